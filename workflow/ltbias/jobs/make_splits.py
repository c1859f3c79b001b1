"""Rule `make_splits`: build, validate and write the train / val / test manifests of a dataset."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .. import files, prepare, splits
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    name: str  # the dataset key
    dataset: dict  # the keys its splits depend on: source, root, class_names, split, decode_check, lists.format
    root: str
    origins: dict[str, str]  # list key -> the path or URL the user gave, named in errors

    @classmethod
    def from_params(cls, name: str, dataset: str, root: str, origins: str) -> Settings:
        return cls(name, json.loads(dataset), root, json.loads(origins))


def run(
    settings: Settings,
    *,
    list_files: dict[str, str | os.PathLike],
    manifests: dict[str, str | os.PathLike],
    classes_csv: str | os.PathLike,
    report_json: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Write `manifests[split]` for train, val and test, the class table and the report."""
    context.start(log)
    frames, classes, report = prepare.prepare_splits(
        settings.dataset, settings.name, settings.root, list_files, threads=threads, origins=settings.origins
    )
    splits.write_splits(frames, classes, manifests=manifests, classes_csv=classes_csv)
    files.save_json(report_json, report)
