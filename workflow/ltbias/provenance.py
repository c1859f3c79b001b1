"""Provenance records written beside checkpoints and logits caches."""

from __future__ import annotations

import importlib.metadata
import platform
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["now", "record"]

_PACKAGES = ("torch", "torchvision", "open_clip_torch", "numpy", "pandas", "pillow")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() + ("-dirty" if dirty else "")


def record(config: dict, started: str, **facts: object) -> dict:
    """The resolved config slice, package versions, git commit, host and timing, plus `facts`
    (device, images_per_second, ...)."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "config": config,
        "packages": versions,
        "python": platform.python_version(),
        "git_commit": _git_commit(),
        "host": socket.gethostname(),
        "started": started,
        "finished": now(),
        **facts,
    }
