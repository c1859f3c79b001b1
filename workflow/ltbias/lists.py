"""Official split lists and class names of ImageNet-LT, Places-LT and iNaturalist 2018.

List format: `<relative path> <integer label>` per line. iNaturalist 2018 lists carry the
original category ids; `reindex_inat` maps them to the index of the species name in the
alphabetically sorted list of names from `categories.json` (method.md §2.1).
"""

from __future__ import annotations

import codecs
import json
import os
import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from . import validate
from .config import LIST_FORMATS
from .splits import D_GROUPS, d_groups

__all__ = [
    "LIST_SUFFIX",
    "class_names_by_label",
    "inat_class_names",
    "read_class_names",
    "read_labelled",
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
        if posixpath.isabs(parts[0]) or posixpath.normpath(parts[0]).split("/")[0] == "..":
            raise ValueError(f"{where}:{number}: {parts[0]!r} is not a path inside the dataset root")
        paths.append(parts[0])
        labels.append(label)
        numbers.append(number)
    if not paths:
        raise ValueError(f"{where}: the split list is empty")
    return pd.DataFrame({"path": paths, "label": np.array(labels, dtype=np.int64), "line": numbers})


def read_class_names(path: str | os.PathLike, where: str | None = None) -> tuple[list[str], list[str]]:
    """Class ids (folder names: wnids, Places folders; or labels) and names from `<id> <name
    ...>` lines, in file order; an id given twice is refused with both lines.

    Used for ImageNet-LT, Places-LT, the toy world and any class-folder dataset.
    """
    where = where or str(path)
    ids, names, lines = [], [], {}
    for number, line in _lines(path, where):
        parts = line.strip().split(maxsplit=1)
        if not parts:
            continue
        if len(parts) != 2:
            raise ValueError(f"{where}:{number}: expected '<id> <class name>', got {line.strip()!r}")
        if parts[0] in lines:
            raise ValueError(f"{where}:{number}: class id {parts[0]!r} is also on line {lines[parts[0]]}")
        lines[parts[0]] = number
        ids.append(parts[0])
        names.append(parts[1])
    if not names:
        raise ValueError(f"{where}: no class names")
    return ids, names


def class_names_by_label(
    ids: list[str], names: list[str], frames: dict[str, pd.DataFrame], where: str, list_where: dict[str, str]
) -> list[str]:
    """The class names in label order, by their ids, not by their lines' order.

    Ids that are all integers are the labels themselves: exactly 0..C-1. Other ids are the
    class folders (wnids, Places folders): every image of a label in the split lists
    (`frames`, with their `line` numbers; `list_where` names each) lies in the folder of
    one id, which names the label, and every id names a label that some list uses.
    """
    if all(_LABEL.fullmatch(i) for i in ids):
        by_id = {int(i): name for i, name in zip(ids, names, strict=True)}
        outside = sorted(set(by_id) - set(range(len(ids))))
        if outside:
            raise ValueError(f"{where}: class ids are labels 0..{len(ids) - 1}, but {outside[0]} is among them")
        return [by_id[label] for label in range(len(ids))]
    name_of = dict(zip(ids, names, strict=True))
    folder_of: dict[int, str] = {}
    for split, frame in frames.items():
        for path, label, line in zip(frame["path"], frame["label"], frame["line"], strict=True):
            folder = PurePosixPath(path).parent.name
            known = folder_of.setdefault(int(label), folder)
            if folder not in name_of:
                raise ValueError(f"{list_where[split]}:{line}: {path} lies in no class folder that {where} names")
            if folder != known:
                raise ValueError(
                    f"{list_where[split]}:{line}: label {label} is in folder {folder!r}, elsewhere {known!r}"
                )
    unused = [i for i in ids if i not in set(folder_of.values())]
    if unused:
        raise ValueError(f"{where}: class {unused[0]!r} has no image in any split list ({len(unused)} such classes)")
    return [name_of[folder_of[label]] for label in range(len(ids))]


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
    if len(ids) != len(entries):
        repeated = min(i for i, n in Counter(int(e["id"]) for e in entries).items() if n > 1)
        raise ValueError(f"{where}: category id {repeated} is given more than once")
    index = {name: i for i, name in enumerate(names)}
    return names, {category: index[name] for category, name in ids.items()}


def read_labelled(
    fmt: str, class_list: str | os.PathLike, split_lists: dict[str, str | os.PathLike], where: dict[str, str]
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The split lists (split -> file) with their labels checked (`validate.check_lists`:
    in 0..C-1, one label per path), and the class names in label order from the class list
    of format `fmt` (`config.LIST_FORMATS`): by id (`class_names_by_label`), or for
    iNaturalist 2018 alphabetically, its category ids re-indexed. `where` names the user's
    file of every key (the splits and the class list's) in errors."""
    if fmt not in LIST_FORMATS:
        raise ValueError(f"list format {fmt!r} is not one of {sorted(LIST_FORMATS)}")
    key = LIST_FORMATS[fmt]
    frames = {split: read_split_list(path, where[split]) for split, path in split_lists.items()}
    if key == "categories":
        names, id_to_label = inat_class_names(class_list, where[key])
        frames = {split: reindex_inat(frame, id_to_label, where[split]) for split, frame in frames.items()}
    else:
        ids, names = read_class_names(class_list, where[key])
    validate.check_lists(frames, len(names), where)
    if key != "categories":
        names = class_names_by_label(ids, names, frames, where[key], where)
    return frames, names


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
