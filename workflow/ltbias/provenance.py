"""Provenance records written beside checkpoints and logits caches."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["code_digest", "now", "package_versions", "record"]

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


def package_versions() -> dict[str, str | None]:
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def code_digest() -> str:
    """sha256 of the code this process runs from the package: every loaded module of it and
    its data files (model configs). Whatever a job imported by the time it asks is covered."""
    package_dir = Path(__file__).parent
    package = package_dir.name
    loaded = {
        Path(module.__file__)
        for name, module in list(sys.modules.items())
        if (name == package or name.startswith(package + ".")) and getattr(module, "__file__", None)
    }
    data = {p for p in package_dir.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    digest = hashlib.sha256()
    for path in sorted(loaded | data):
        digest.update(str(path.relative_to(package_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def record(config: dict, started: str, **facts: object) -> dict:
    """The resolved config slice, package versions, git commit, host and timing, plus `facts`
    (device, images_per_second, ...)."""
    return {
        "config": config,
        "packages": package_versions(),
        "python": platform.python_version(),
        "git_commit": _git_commit(),
        "host": socket.gethostname(),
        "started": started,
        "finished": now(),
        **facts,
    }
