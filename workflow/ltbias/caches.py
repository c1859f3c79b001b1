"""Cached per-image arrays (fine-tuned logits, zero-shot logits, kNN votes): write, and read verified.

A cache is an uncompressed `.npz` so that readers can memory-map it. Every read checks the
file before a number leaves it: the zip CRC-32 of each member (one pass at memory speed,
which `np.memmap` alone would skip), the arrays' ndim, dtype and shape, finite values, and
rows, labels and class count against the split manifest the cache claims to follow. A
failed check raises `InconsistentLogitsError` naming the cache and the manifest.
"""

from __future__ import annotations

import mmap
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from . import files
from .errors import JobError

__all__ = ["InconsistentLogitsError", "load_logits", "save_logits"]

_MEMBERS = {"logits.npy": (2, np.dtype(np.float32)), "labels.npy": (1, np.dtype(np.int64))}
_NPY_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
_LOCAL_HEADER = 30  # fixed part of a zip local file header


class InconsistentLogitsError(JobError, ValueError):
    """A cache is unreadable, damaged, or disagrees with its split manifest; names both."""


def save_logits(path: str | os.PathLike, logits: np.ndarray, labels: np.ndarray) -> None:
    """Write a cache.

    File schema (`.npz`, uncompressed):

    | array  | dtype   | shape  | meaning                                               |
    |--------|---------|--------|-------------------------------------------------------|
    | logits | float32 | (N, C) | raw logits (or kNN votes), rows in manifest order     |
    | labels | int64   | (N,)   | ground-truth label of each row                        |
    """
    logits = np.asarray(logits, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"{path}: logits {logits.shape} and labels {labels.shape} do not match")
    with files.atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, logits=logits, labels=labels)


def _member(path: Path, f: BinaryIO, mapped: mmap.mmap, info: zipfile.ZipInfo) -> np.ndarray:
    """Check one stored member's CRC and header; return it memory-mapped from `path`."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise InconsistentLogitsError(f"member {info.filename} is compressed; caches are written stored")
    f.seek(info.header_offset + 26)
    name_len, extra_len = struct.unpack("<HH", f.read(4))
    start = info.header_offset + _LOCAL_HEADER + name_len + extra_len
    end = start + info.compress_size
    if end > len(mapped):
        raise InconsistentLogitsError(f"member {info.filename} is truncated")
    with memoryview(mapped) as whole, whole[start:end] as data:
        crc = zlib.crc32(data)
    if crc != info.CRC:
        raise InconsistentLogitsError(f"member {info.filename} fails its CRC-32 check (the file is damaged)")
    ndim, dtype = _MEMBERS[info.filename]
    f.seek(start)
    version = np.lib.format.read_magic(f)
    if version not in _NPY_HEADER_READERS:
        raise InconsistentLogitsError(f"unsupported .npy version {version} in {info.filename}")
    shape, fortran, found = _NPY_HEADER_READERS[version](f)
    if len(shape) != ndim or found != dtype or fortran:
        raise InconsistentLogitsError(f"{info.filename} is {found} with shape {shape}, expected {ndim}-D {dtype}")
    offset = f.tell()
    if offset + dtype.itemsize * int(np.prod(shape)) != end:
        raise InconsistentLogitsError(f"{info.filename} holds the wrong number of bytes for shape {shape}")
    if 0 in shape:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


def load_logits(
    path: str | os.PathLike, manifest_path: str | os.PathLike, n_classes: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read and verify a cache written by `save_logits` for the split `manifest_path`.

    `labels`, when given, are the manifest's labels already read by the caller (a job that
    checks many caches against one manifest reads it once); errors still name the manifest.

    Returns `(logits (N, C) float32, labels (N,) int64)`, memory-mapped read-only, so that
    subsets of many large caches can be evaluated without holding them all in memory.
    """
    path = Path(path)
    where = f"{path} (vs split manifest {manifest_path})"
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            with zipfile.ZipFile(f) as archive:
                infos = {info.filename: info for info in archive.infolist()}
            if set(infos) != set(_MEMBERS):
                raise InconsistentLogitsError(f"members {sorted(infos)}, expected {sorted(_MEMBERS)}")
            logits, cached_labels = (_member(path, f, mapped, infos[name]) for name in _MEMBERS)
    except InconsistentLogitsError as err:
        raise InconsistentLogitsError(f"{where}: {err}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, struct.error) as err:
        raise InconsistentLogitsError(f"{where}: not a readable cache ({type(err).__name__}: {err})") from None
    if labels is None:
        labels = pd.read_csv(manifest_path)["label"].to_numpy()
    _check_against_manifest(where, logits, cached_labels, np.asarray(labels, dtype=np.int64), n_classes)
    return logits, cached_labels


def _check_against_manifest(
    where: str, logits: np.ndarray, labels: np.ndarray, expected: np.ndarray, n_classes: int
) -> None:
    if logits.shape[0] != len(expected):
        raise InconsistentLogitsError(f"{where}: {logits.shape[0]} rows, the manifest has {len(expected)}")
    if labels.shape[0] != logits.shape[0]:
        raise InconsistentLogitsError(f"{where}: {logits.shape[0]} rows of logits but {labels.shape[0]} labels")
    if logits.shape[1] != n_classes:
        raise InconsistentLogitsError(f"{where}: {logits.shape[1]} classes, the split has {n_classes}")
    if not np.array_equal(labels, expected):
        row = int(np.flatnonzero(labels != expected)[0])
        raise InconsistentLogitsError(f"{where}: labels differ, first at row {row} ({labels[row]} vs {expected[row]})")
    if not np.isfinite(logits).all():
        rows = np.flatnonzero(~np.isfinite(logits).all(axis=1))
        raise InconsistentLogitsError(f"{where}: non-finite values in {len(rows)} rows, first {rows[:10].tolist()}")
