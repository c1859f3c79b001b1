"""Checks on split manifests that run before any GPU time is spent.

Every failure names what is wrong, how often, and the first 20 offending paths or rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from tqdm import tqdm

from .errors import JobError

__all__ = ["SplitValidationError", "check_files", "check_labels", "check_lists", "decode_check", "duplicates"]

SHOW = 20


class SplitValidationError(JobError, ValueError):
    """A split manifest does not match the data on disk or the class list."""


def _listing(items: Sequence[str]) -> str:
    return "\n  ".join(items[:SHOW]) + ("\n  ..." if len(items) > SHOW else "")


def check_labels(frame: pd.DataFrame, n_classes: int, where: str) -> None:
    """Every label is in 0..C-1; offenders are named by list line (or manifest row)."""
    labels = frame["label"].to_numpy()
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if len(bad):
        place = [f"line {n}" for n in frame["line"].to_numpy()[bad]] if "line" in frame else [f"row {i}" for i in bad]
        rows = [f"{p}: {frame['path'].iat[i]} label {labels[i]}" for p, i in zip(place, bad, strict=True)]
        raise SplitValidationError(f"{where}: {len(bad)} labels outside 0..{n_classes - 1}:\n  {_listing(rows)}")


def duplicates(splits: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Paths listed twice within a split (`train`) or in two splits (`train&test`)."""
    found = {}
    for name, frame in splits.items():
        repeated = frame["path"][frame["path"].duplicated()].unique().tolist()
        if repeated:
            found[name] = repeated
    names = list(splits)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shared = sorted(set(splits[a]["path"]) & set(splits[b]["path"]))
            if shared:
                found[f"{a}&{b}"] = shared
    return found


def check_lists(frames: dict[str, pd.DataFrame], n_classes: int, where: dict[str, str]) -> dict:
    """Labels of every split in 0..C-1 (`where[split]` names its source), and the paths
    listed twice, within a split or across splits: `{kind: {"count", "first"}}`.

    The workflow's split validation and `python -m ltbias split-stats` both call this.
    """
    for split, frame in frames.items():
        check_labels(frame, n_classes, where[split])
    _check_one_label_per_path(frames, where)
    return {kind: {"count": len(paths), "first": paths[:SHOW]} for kind, paths in duplicates(frames).items()}


def _check_one_label_per_path(frames: dict[str, pd.DataFrame], where: dict[str, str]) -> None:
    """A path listed twice (in one split or two) must have one label; else both places are named."""
    listed = pd.concat([f.assign(split=s) for s, f in frames.items()], ignore_index=True)
    labels = listed.groupby("path", sort=False)["label"].transform("nunique")
    conflicts = listed[labels > 1]
    if len(conflicts):
        first = conflicts[conflicts["path"] == conflicts["path"].iloc[0]]
        places = [
            f"{where[row.split]}" + (f":{row.line}" if "line" in first else "") + f" label {row.label}"
            for row in first.itertuples()
        ]
        raise SplitValidationError(
            f"{first['path'].iloc[0]} is listed with different labels ({'; '.join(places)}); "
            f"{conflicts['path'].nunique()} such paths"
        )


def check_files(root: str | os.PathLike, paths: Sequence[str], where: str) -> None:
    """Every listed file exists under `root`."""
    root = Path(root)
    if not root.is_dir():
        raise SplitValidationError(f"{where}: dataset root {root} is not a directory")
    missing = [p for p in paths if not (root / p).is_file()]
    if missing:
        raise SplitValidationError(
            f"{where}: {len(missing)} of {len(paths)} listed files are missing under {root}:\n  {_listing(missing)}"
        )


def _decode_error(path: Path) -> str | None:
    try:
        with Image.open(path) as img:
            img.convert("RGB")
    except Exception as err:  # noqa: BLE001  (any decoder failure is reported, not raised here)
        return f"{path}: {err}"
    return None


def decode_check(
    root: str | os.PathLike,
    paths: Sequence[str],
    where: str,
    sample_size: int | None = None,
    workers: int = 1,
    seed: int = 0,
) -> int:
    """Decode every listed image (or a seeded sample of `sample_size`) in parallel.

    Returns the number of images checked; raises naming the corrupt files.
    """
    paths = list(paths)
    if sample_size is not None and sample_size < len(paths):
        pick = np.random.default_rng(seed).choice(len(paths), sample_size, replace=False)
        paths = [paths[i] for i in np.sort(pick)]
    targets = [Path(root) / p for p in paths]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(tqdm(pool.map(_decode_error, targets), total=len(targets), desc=f"decode {where}", disable=None))
    corrupt = [r for r in results if r is not None]
    if corrupt:
        raise SplitValidationError(
            f"{where}: {len(corrupt)} of {len(targets)} images cannot be decoded:\n  {_listing(corrupt)}"
        )
    return len(targets)
