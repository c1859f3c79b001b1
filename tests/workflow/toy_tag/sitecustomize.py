"""Test seam, on PYTHONPATH only in tests: registers an open_clip pretrained tag for the toy
model, downloaded from a `file://` URL, so that staging a tag runs open_clip's real download
path without the internet.

`LTBIAS_TOY_TAG=<tag>` and `LTBIAS_TOY_TAG_URL=<url>` name it. The tag is added when
`open_clip.pretrained` is first imported, so processes that never import open_clip pay nothing.
"""

import importlib.abc
import importlib.machinery
import os
import sys

MODEL = "ltbias-toy-vit"


class _RegisterTag(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "open_clip.pretrained":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            module._PRETRAINED.setdefault(MODEL, {})[os.environ["LTBIAS_TOY_TAG"]] = {
                "url": os.environ["LTBIAS_TOY_TAG_URL"]
            }

        spec.loader.exec_module = exec_module
        return spec


if os.environ.get("LTBIAS_TOY_TAG"):
    sys.meta_path.insert(0, _RegisterTag())
