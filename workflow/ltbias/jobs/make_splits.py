"""Job `make_splits`: build, validate and write the train / val / test manifests of a dataset."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .. import config, experiment, fetch, files, prepare, splits, staging
from ..lists import LIST_SUFFIX
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    dataset: config.Dataset
    origins: dict[str, str]  # list key -> the path or URL the user gave, named in errors
    pins: dict[str, str | None] = dataclasses.field(default_factory=dict)  # list key -> sha256, checked at every read


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    """What the splits depend on: not the backbones, so editing those keeps the splits."""
    key = wildcards["dataset"]
    block = cfg["datasets"][key]
    described = {k: block[k] for k in ("source", "class_names", "split", "decode_check")}
    described |= {
        "key": key,
        "root": experiment.dataset_root(cfg, key),
        "list_format": block["lists"].get("format", "plain"),
    }
    dataset = config.from_dict(config.Dataset, described, f"datasets.{key}")
    origins = experiment.list_origins(cfg, key)
    return Settings(dataset, origins, {name: fetch.pin(block["lists"][name]) for name in origins})


def run(
    settings: Settings,
    *,
    train: str | os.PathLike,
    val: str | os.PathLike,
    test: str | os.PathLike,
    classes: str | os.PathLike,
    report: str | os.PathLike,
    class_names: str | os.PathLike | None = None,
    log: str | os.PathLike | None = None,
    threads: int = 1,
    **staged_lists: str | os.PathLike,
) -> None:
    """Write the train, val and test manifests, the class table and the report.

    `staged_lists` are a `lists` dataset's staged files, as `<key>_list`; `class_names` is
    a folder dataset's class-name file (`settings.dataset.class_names`, an input of the rule
    so that an edit reruns the job).
    """
    context.start(log)
    unknown = [name for name in staged_lists if not name.endswith(LIST_SUFFIX)]
    if unknown:
        raise TypeError(f"make_splits: unexpected argument(s) {unknown}")
    list_files = {name.removesuffix(LIST_SUFFIX): str(path) for name, path in staged_lists.items()}
    for key, path in list_files.items():
        staging.verify(path, settings.pins.get(key), f"datasets.{settings.dataset.key}.lists.{key}")
    dataset = dataclasses.replace(settings.dataset, class_names=class_names)
    frames, class_table, found = prepare.prepare_splits(dataset, list_files, threads=threads, origins=settings.origins)
    manifests = {"train": train, "val": val, "test": test}
    splits.write_splits(frames, class_table, manifests=manifests, classes_csv=classes)
    files.save_json(report, found)
