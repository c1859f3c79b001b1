"""Atomic writers and typed readers for every file the workflow produces.

Every writer goes through `atomic_path`: the content is written to a temporary name in
the destination folder and renamed into place, so a killed job leaves the old file or
none, never half a file. The temporary a killed writer left behind is removed by the next
write of the same output; a failed write names its path and says when the disk is full.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import math
import os
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import JobError

__all__ = [
    "COST_KEYS",
    "MalformedFileError",
    "WriteError",
    "atomic_dir",
    "atomic_path",
    "checkpoint_format",
    "load_cost",
    "load_json",
    "save_csv",
    "save_json",
    "save_text",
    "save_torch",
    "sha256",
]


class WriteError(JobError, OSError):
    """An output could not be written; the message names it and says if the disk is full
    (logged as one line, as every `JobError`)."""


class MalformedFileError(JobError, ValueError):
    """A file the workflow wrote earlier is damaged or does not hold what it should."""


# what Table 9 and its figure read of a member's `cost.json` (`cost.measure`): finite, none negative
COST_KEYS = ("parameters", "trainable_parameters", "gflops_per_image", "images_per_second")

_DISK_FULL_BYTES = 1 << 20  # less free space than this after a failed write: the disk is full


def _temporary_name(path: Path) -> Path:
    """A fresh hidden name beside `path`. Created by the writer, not by mkstemp, so the
    output gets the usual permissions (umask) rather than private ones."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def _remove_stale_temporaries(path: Path) -> None:
    """Temporaries of `path` that a killed writer left (one job writes an output at a time)."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        _remove(stale)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _write_error(path: Path, err: BaseException) -> WriteError | None:
    """The error to raise for a write of `path` that failed with `err`, or None to keep `err`.

    A full disk surfaces as ENOSPC, or, from torch's zip writer, as a bare RuntimeError
    ("unexpected pos ..."); both are recognised by the space left where `path` goes.
    """
    if isinstance(err, WriteError):
        return None
    free = shutil.disk_usage(path.parent).free
    if getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or free < _DISK_FULL_BYTES:
        return WriteError(errno.ENOSPC, f"cannot write {path}: the disk is full ({free} bytes free); {err}")
    if isinstance(err, OSError):
        return WriteError(err.errno, f"cannot write {path}: {err}")
    return None


@contextlib.contextmanager
def _atomic(path: str | os.PathLike, folder: bool) -> Iterator[Path]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    tmp = _temporary_name(path)
    try:
        if folder:
            tmp.mkdir()
        yield tmp
        if folder and path.exists():
            old = _temporary_name(path)  # removed here, or as stale by the next write
            os.replace(path, old)
            os.replace(tmp, path)
            _remove(old)
        else:
            os.replace(tmp, path)
    except (OSError, RuntimeError) as err:
        replacement = _write_error(path, err)
        if replacement is None:
            raise
        raise replacement from err
    finally:
        _remove(tmp)


def atomic_path(path: str | os.PathLike) -> contextlib.AbstractContextManager[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` if the block succeeds."""
    return _atomic(path, folder=False)


def atomic_dir(path: str | os.PathLike) -> contextlib.AbstractContextManager[Path]:
    """Yield a temporary folder next to `path`; it replaces `path` if the block succeeds."""
    return _atomic(path, folder=True)


def save_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_json(path: str | os.PathLike, obj: Any) -> None:
    save_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def load_json(path: str | os.PathLike) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MalformedFileError(
            f"{path}: not valid JSON ({err}); delete it and rerun the rule that writes it"
        ) from None


def load_cost(path: str | os.PathLike) -> dict[str, float]:
    """A member's `cost.json`, checked: every key of `COST_KEYS`, each a finite number >= 0."""
    cost = load_json(path)
    if not isinstance(cost, dict):
        raise MalformedFileError(f"{path}: expected an object with keys {list(COST_KEYS)}")
    for key in COST_KEYS:
        value = cost.get(key)
        if value is None:
            raise MalformedFileError(f"{path}: the key {key!r} is missing")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MalformedFileError(f"{path}: {key} is {value!r}, not a number")
        if not math.isfinite(value) or value < 0:
            raise MalformedFileError(f"{path}: {key} is {value!r}, not a finite number >= 0")
    return {key: cost[key] for key in COST_KEYS}


def save_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_torch(path: str | os.PathLike, obj: Any) -> None:
    """`torch.save` through a temporary name (checkpoints, training state, weights).

    Saved through a file object: given a path, torch names the archive's records after the
    file, and the temporary's random name would make two identical runs differ in bytes.
    """
    import torch  # only the torch-side stages need it

    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checkpoint_format(path: str | os.PathLike) -> str:
    """What kind of checkpoint `path` is, read from its first and last bytes only: `torch`
    (torch.save's zip archive), `pickle` (torch.save before 1.6) or `safetensors`; raises
    a ValueError for anything else (a truncated download, an image, a NumPy file)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as err:
            raise ValueError(f"{path}: a damaged zip archive, not a checkpoint torch can read ({err})") from None
        if any(name.endswith("/data.pkl") or name == "data.pkl" for name in names):
            return "torch"
        raise ValueError(f"{path}: a zip archive, but not one torch.save wrote (no data.pkl)")
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle"
    if len(head) == 8:
        size = int.from_bytes(head, "little")
        with open(path, "rb") as f:
            f.seek(8)
            header = f.read(min(size, 1 << 20))
        if 0 < size <= path.stat().st_size - 8 and header[:1] == b"{":
            return "safetensors"
    raise ValueError(f"{path}: not a checkpoint (torch.save's zip or pickle, or safetensors); first bytes {head!r}")
