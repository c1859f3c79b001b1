"""Official split lists and class names of ImageNet-LT, Places-LT and iNaturalist 2018.

List format: `<relative path> <integer label>` per line. iNaturalist 2018 lists carry the
original category ids; `reindex_inat` maps them to the index of the species name in the
alphabetically sorted list of names from `categories.json` (method.md §2.1).
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .config import LIST_FORMATS
from .splits import D_GROUPS, d_groups

__all__ = [
    "LIST_SUFFIX",
    "inat_class_names",
    "read_class_names",
    "read_classes",
    "read_split_list",
    "reindex_inat",
    "split_stats",
]

LIST_SUFFIX = "_list"  # a staged list is the job input `<key>_list` (train_list, ..., classnames_list)


_LABEL = re.compile(r"[0-9]+")  # ASCII digits only: no sign, no "²"
_MAX_LABEL = np.iinfo(np.int64).max


def _lines(path: str | os.PathLike, where: str | None) -> Iterator[tuple[int, str]]:
    """`(line number, text)` of a UTF-8 file (a byte-order mark is allowed); anything else
    is refused with the file, line and byte offset."""
    where = where or str(path)
    data = Path(path).read_bytes()
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = start + err.start
        line = data[:offset].count(b"\n") + 1
        raise ValueError(
            f"{where}:{line}: not UTF-8 (byte 0x{data[offset]:02x} at offset {offset}); save the file as UTF-8"
        ) from None
    yield from enumerate(text.splitlines(), start=1)


def read_split_list(path: str | os.PathLike, where: str | None = None) -> pd.DataFrame:
    """Parse a split list into a frame with `path` (str), `label` (int64) and `line` columns.

    `where` names the file in errors (the user's file when `path` is a staged copy); every
    error gives its line. Labels are non-negative integers.
    """
    where = where or str(path)
    paths, labels, numbers = [], [], []
    for number, line in _lines(path, where):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not _LABEL.fullmatch(parts[1]):
            raise ValueError(f"{where}:{number}: expected '<path> <non-negative integer label>', got {line.strip()!r}")
        label = int(parts[1])
        if label > _MAX_LABEL:
            raise ValueError(f"{where}:{number}: label {label} is too large (at most {_MAX_LABEL})")
        paths.append(parts[0])
        labels.append(label)
        numbers.append(number)
    if not paths:
        raise ValueError(f"{where}: the split list is empty")
    return pd.DataFrame({"path": paths, "label": np.array(labels, dtype=np.int64), "line": numbers})


def read_class_names(path: str | os.PathLike, where: str | None = None) -> tuple[list[str], list[str]]:
    """Class ids (folder names: wnids, Places folders) and names from `<id> <name ...>` lines.

    Used for ImageNet-LT, Places-LT, the toy world and any class-folder dataset.
    """
    where = where or str(path)
    ids, names = [], []
    for number, line in _lines(path, where):
        parts = line.strip().split(maxsplit=1)
        if not parts:
            continue
        if len(parts) != 2:
            raise ValueError(f"{where}:{number}: expected '<id> <class name>', got {line.strip()!r}")
        ids.append(parts[0])
        names.append(parts[1])
    if not names:
        raise ValueError(f"{where}: no class names")
    return ids, names


def inat_class_names(categories: str | os.PathLike, where: str | None = None) -> tuple[list[str], dict[int, int]]:
    """Alphabetically sorted species names and the map from category id to their index."""
    where = where or str(categories)
    text = "\n".join(line for _, line in _lines(categories, where))
    try:
        entries = json.loads(text)
        names = sorted({entry["name"] for entry in entries})
        ids = {int(entry["id"]): entry["name"] for entry in entries}
    except json.JSONDecodeError as err:
        raise ValueError(f"{where}:{err.lineno}: not valid JSON ({err.msg})") from None
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{where}: expected a list of {{'id': int, 'name': str}} entries ({err!r})") from None
    index = {name: i for i, name in enumerate(names)}
    return names, {category: index[name] for category, name in ids.items()}


def read_classes(
    fmt: str, path: str | os.PathLike, where: str | None = None
) -> tuple[list[str], dict[int, int] | None]:
    """Class names of a list format (`config.LIST_FORMATS`) from its class list, and for
    iNaturalist 2018 the map from category id to label (None for plain lists)."""
    if fmt not in LIST_FORMATS:
        raise ValueError(f"list format {fmt!r} is not one of {sorted(LIST_FORMATS)}")
    if LIST_FORMATS[fmt] == "categories":
        return inat_class_names(path, where)
    return read_class_names(path, where)[1], None


def reindex_inat(frame: pd.DataFrame, id_to_label: dict[int, int], where: str) -> pd.DataFrame:
    """Replace iNat category ids by alphabetical class indices; unknown ids are an error."""
    known = frame["label"].isin(list(id_to_label))
    if not known.all():
        first = frame[~known].iloc[0]
        unknown = sorted(set(frame.loc[~known, "label"].tolist()))
        line = f":{first['line']}" if "line" in frame else ""
        raise ValueError(
            f"{where}{line}: category id {first['label']} is not in categories.json "
            f"({len(unknown)} unknown ids, e.g. {unknown[:10]})"
        )
    return frame.assign(label=frame["label"].map(id_to_label).astype(np.int64))


def split_stats(frame: pd.DataFrame, num_classes: int | None = None, class_groups: np.ndarray | None = None) -> dict:
    """`num_classes, num_images, min_count, max_count, groups` of a split: `groups` counts
    the classes of each D-group, given by `class_groups` (from the train counts) or else by
    the split's own counts."""
    counts = np.bincount(frame["label"].to_numpy(), minlength=num_classes or 0)
    groups = d_groups(counts) if class_groups is None else np.asarray(class_groups)
    return {
        "num_classes": len(counts),
        "num_images": int(counts.sum()),
        "min_count": int(counts.min()),
        "max_count": int(counts.max()),
        "groups": {g: int((groups == g).sum()) for g in D_GROUPS},
    }
