"""Official split lists and class names of ImageNet-LT, Places-LT and iNaturalist 2018.

List format: `<relative path> <integer label>` per line. iNaturalist 2018 lists carry the
original category ids; `reindex_inat` maps them to the index of the species name in the
alphabetically sorted list of names from `categories.json` (method.md §2.1).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .splits import D_GROUPS, d_groups

__all__ = ["inat_class_names", "read_class_names", "read_split_list", "reindex_inat", "split_stats"]


def read_split_list(path: str | os.PathLike) -> pd.DataFrame:
    """Parse a split list into a frame with `path` (str) and `label` (int64) columns."""
    paths, labels = [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
                raise ValueError(f"{path}:{number}: expected '<path> <integer label>', got {line.strip()!r}")
            paths.append(parts[0])
            labels.append(int(parts[1]))
    if not paths:
        raise ValueError(f"{path}: the split list is empty")
    return pd.DataFrame({"path": paths, "label": np.array(labels, dtype=np.int64)})


def read_class_names(path: str | os.PathLike) -> tuple[list[str], list[str]]:
    """Class ids (folder names: wnids, Places folders) and names from `<id> <name ...>` lines.

    Used for ImageNet-LT, Places-LT, the toy world and any class-folder dataset.
    """
    ids, names = [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            parts = line.strip().split(maxsplit=1)
            if not parts:
                continue
            if len(parts) != 2:
                raise ValueError(f"{path}:{number}: expected '<id> <class name>', got {line.strip()!r}")
            ids.append(parts[0])
            names.append(parts[1])
    if not names:
        raise ValueError(f"{path}: no class names")
    return ids, names


def inat_class_names(categories: str | os.PathLike) -> tuple[list[str], dict[int, int]]:
    """Alphabetically sorted species names and the map from category id to their index."""
    entries = json.loads(Path(categories).read_text(encoding="utf-8"))
    names = sorted({entry["name"] for entry in entries})
    index = {name: i for i, name in enumerate(names)}
    return names, {int(entry["id"]): index[entry["name"]] for entry in entries}


def reindex_inat(frame: pd.DataFrame, id_to_label: dict[int, int], where: str) -> pd.DataFrame:
    """Replace iNat category ids by alphabetical class indices; unknown ids are an error."""
    unknown = sorted(set(frame["label"].tolist()) - set(id_to_label))
    if unknown:
        raise ValueError(f"{where}: {len(unknown)} category ids not in categories.json, e.g. {unknown[:10]}")
    return frame.assign(label=frame["label"].map(id_to_label).astype(np.int64))


def split_stats(frame: pd.DataFrame, num_classes: int | None = None) -> dict:
    """`num_classes, num_images, min_count, max_count, groups` of a split (groups by count)."""
    counts = np.bincount(frame["label"].to_numpy(), minlength=num_classes or 0)
    groups = d_groups(counts)
    return {
        "num_classes": len(counts),
        "num_images": int(counts.sum()),
        "min_count": int(counts.min()),
        "max_count": int(counts.max()),
        "groups": {g: int((groups == g).sum()) for g in D_GROUPS},
    }
