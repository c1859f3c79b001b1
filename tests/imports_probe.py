"""What a fresh interpreter reads from the package when the job script loads a job.

    python tests/imports_probe.py SCRIPT PACKAGE_DIR JOB

Runs SCRIPT with a stand-in `snakemake` object of a rule named JOB that stops it at the
first use of anything but `scriptdir`, `rule` and `params.get`, i.e. once the job's module
is imported, and prints as JSON the package files it
read: the file of every loaded package module, and every other file opened under
PACKAGE_DIR (data such as model configs). This derives a rule's code dependencies by
running Python, independently of `ltbias.importgraph`, which reads them with `ast`.
"""

import builtins
import contextlib
import json
import runpy
import sys
from pathlib import Path

script, package_dir, job = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), sys.argv[3]
opened = set()


def audit(event, args):
    if event == "open" and isinstance(args[0], str | Path):
        opened.add(Path(args[0]).resolve())


class Stop(Exception):
    pass


class Params:
    def get(self, name, default=None):
        return default


class Snakemake:
    scriptdir = str(script.parent)
    rule = job
    params = Params()

    def __getattr__(self, name):
        raise Stop(name)


sys.addaudithook(audit)
builtins.snakemake = Snakemake()
with contextlib.suppress(Stop):
    runpy.run_path(str(script))
modules = {Path(m.__file__).resolve() for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
data = {p for p in opened if p.suffix not in (".py", ".pyc")}
inside = sorted(
    str(p.relative_to(package_dir)) for p in modules | data if p.is_relative_to(package_dir) and p.is_file()
)
print(json.dumps(inside))
