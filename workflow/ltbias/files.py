"""Atomic writers and typed readers for every file the workflow produces.

Every writer goes through `atomic_path`: the content is written to a temporary name in
the destination folder and renamed into place, so a killed job leaves the old file or
none, never half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import struct
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "atomic_dir",
    "atomic_path",
    "load_json",
    "load_logits",
    "save_csv",
    "save_json",
    "save_logits",
    "save_text",
    "save_torch",
    "sha256",
]


def _temporary_name(path: Path, suffix: str) -> Path:
    """A fresh hidden name beside `path`. Created by the writer, not by mkstemp, so the
    output gets the usual permissions (umask) rather than private ones."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}{suffix}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(path, ".tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder next to `path`; it replaces `path` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(path, ".tmp")
    tmp.mkdir()
    try:
        yield tmp
        if path.exists():
            old = _temporary_name(path, ".old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_json(path: str | os.PathLike, obj: Any) -> None:
    save_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def load_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_logits(path: str | os.PathLike, logits: np.ndarray, labels: np.ndarray) -> None:
    """Write a logits cache file.

    File schema (`.npz`, uncompressed so that `load_logits` can memory-map it):

    | array  | dtype   | shape  | meaning                                         |
    |--------|---------|--------|-------------------------------------------------|
    | logits | float32 | (N, C) | raw classifier logits, rows in manifest order   |
    | labels | int64   | (N,)   | ground-truth label of each row                  |
    """
    logits = np.asarray(logits, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"{path}: logits {logits.shape} and labels {labels.shape} do not match")
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, logits=logits, labels=labels)


def load_logits(path: str | os.PathLike, mmap: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Read a file written by `save_logits`: `(logits (N, C) float32, labels (N,) int64)`.

    With `mmap=True` the logits are a read-only memory map into the file, so subsets of
    many large caches can be evaluated without holding them all in memory.
    """
    if not mmap:
        with np.load(path) as data:
            return data["logits"], data["labels"]
    return _mmap_npz_member(path, "logits.npy"), _mmap_npz_member(path, "labels.npy")


_NPY_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _mmap_npz_member(path: str | os.PathLike, member: str) -> np.ndarray:
    """Memory-map one array stored uncompressed inside an `.npz` archive."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{path}: member {member} is compressed and cannot be memory-mapped")
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)  # fixed part of the zip local file header
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        f.seek(info.header_offset + 30 + name_len + extra_len)
        version = np.lib.format.read_magic(f)
        if version not in _NPY_HEADER_READERS:
            raise ValueError(f"{path}: unsupported .npy format version {version} in {member}")
        shape, fortran, dtype = _NPY_HEADER_READERS[version](f)
        offset = f.tell()
    if shape == () or 0 in shape:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")


def save_torch(path: str | os.PathLike, obj: Any) -> None:
    """`torch.save` through a temporary name (checkpoints, training state, weights)."""
    import torch  # only the torch-side stages need it

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
