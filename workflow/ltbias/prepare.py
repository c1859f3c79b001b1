"""Turn a dataset's config block into validated train / val / test manifests.

Two sources:

- class folders (`folder`, and the rendered `toy` world): `root/train/<class>/` is the
  pool; `val_per_class` images per class become val (as ImageNet-LT drew val from the
  train folder), the long-tailed profile draws train from the rest, and `root/val/` gives
  the balanced test split.
- official lists (`lists`): the split lists as published; iNaturalist 2018 labels are
  re-indexed alphabetically. A dataset without a val list (iNat) draws a balanced val
  from the train list; it overlaps train and serves only zero-shot prior estimation.

Every manifest is checked against the files under the root before anything trains.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from . import lists, splits, validate
from .config import LIST_FORMATS, Dataset

__all__ = ["prepare_splits"]

logger = logging.getLogger(__name__)


def _class_folders(root: Path, class_names: str | None) -> tuple[list[str], list[str]]:
    """Folder and name of every class: from a `<folder> <name>` file, else the folders."""
    names_file = Path(class_names) if class_names else root / "classnames.txt"
    if names_file.is_file():
        return lists.read_class_names(names_file)
    if class_names:
        raise FileNotFoundError(f"class names file {names_file} not found")
    folders = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())
    if not folders:
        raise FileNotFoundError(f"no class folders under {root / 'train'}")
    return folders, folders


def _folder_splits(root: Path, dataset: Dataset) -> tuple[dict[str, pd.DataFrame], list[str]]:
    spec = dataset.split
    folders, names = _class_folders(root, dataset.class_names)
    pool = splits.folder_manifest(root, "train", folders)
    val = splits.balanced_subset(pool, spec.val_per_class, spec.seed)
    rest = pool[~pool["path"].isin(val["path"])]
    train = splits.long_tailed_subset(rest, splits.profile_counts(spec, len(folders)), spec.seed)
    test = splits.folder_manifest(root, "val", folders)
    if spec.test_per_class is not None:
        test = splits.balanced_subset(test, spec.test_per_class, spec.seed)
    return {"train": train, "val": val, "test": test}, names


def _list_splits(
    list_files: dict[str, str], origins: dict[str, str], dataset: Dataset
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Read the staged lists; errors name `origins[key]`, the file or URL the user gave."""
    spec = dataset.split
    class_list = LIST_FORMATS[dataset.list_format]
    split_lists = {s: list_files[s] for s in ("train", "val", "test") if s in list_files}
    frames, names = lists.read_labelled(dataset.list_format, list_files[class_list], split_lists, origins)
    if "val" not in frames:
        frames["val"] = splits.balanced_subset(frames["train"], spec.val_per_class, spec.seed)
        logger.warning("no val list: drew %d val images from the train list (they overlap train)", len(frames["val"]))
    return frames, names


def prepare_splits(
    dataset: Dataset,
    list_files: dict[str, str] | None = None,
    threads: int = 1,
    origins: dict[str, str] | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]:
    """Build and validate the splits of `dataset` from the images under its root.

    Args:
        list_files: the staged list files by key (`train`, ..., `classnames`).
        origins: the path or URL each staged list came from, named in errors.

    Returns `{split: frame(path, label)}`, the class table (see `splits.class_table`) and a
    report with the statistics of each split, duplicates and the decode check.
    """
    root = Path(dataset.root)
    where = f"datasets.{dataset.key}"
    list_files = list_files or {}
    origins = {key: (origins or {}).get(key, path) for key, path in list_files.items()}
    if dataset.source == "lists":
        frames, names = _list_splits(list_files, origins, dataset)
    else:
        frames, names = _folder_splits(root, dataset)
    split_where = {s: f"{where} {s} split" + (f" ({origins[s]})" if s in origins else "") for s in frames}
    duplicates = validate.check_lists(frames, len(names), split_where)
    if dataset.source == "lists" and "val" not in list_files:
        duplicates.pop("train&val", None)  # drawn from train on purpose, and said so once
    for split, frame in frames.items():
        validate.check_files(root, frame["path"].tolist(), split_where[split])
    for kind, found in duplicates.items():
        logger.warning("%s: %d duplicate paths in %s, e.g. %s", where, found["count"], kind, found["first"][:3])
    decode = dataset.decode_check
    checked = {}
    if decode.mode != "none":
        sample = decode.sample_size if decode.mode == "sample" else None
        for split, frame in frames.items():
            checked[split] = validate.decode_check(root, frame["path"].tolist(), split_where[split], sample, threads)
    classes = splits.class_table(names, frames["train"]["label"].to_numpy())
    report = {
        "splits": {s: lists.split_stats(f, len(names), classes["d_group"].to_numpy()) for s, f in frames.items()},
        "duplicates": duplicates,
        "decoded": checked,
    }
    return frames, classes, report
