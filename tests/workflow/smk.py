"""Run the real Snakefile in a copy of the checkout, as a user would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import REPO

CHECKOUT_PARTS = ["Snakefile", "workflow", "config", "envs", "profiles", "tests/config"]


def copy_checkout(target: Path) -> Path:
    """Copy what a run needs (not results, not .venv) so tests may edit code and config."""
    target.mkdir(parents=True)
    for part in CHECKOUT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)
    return target


def snakemake(
    checkout: Path, *args: str, cores: int = 2, profile: str = "none", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`snakemake` in `checkout` with the given arguments (and `env` added to the
    environment); never raises on failure."""
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--workflow-profile", profile, *args]
    environment = os.environ | (env or {})
    return subprocess.run(command, cwd=checkout, capture_output=True, text=True, timeout=1800, env=environment)


def planned_jobs(result: subprocess.CompletedProcess) -> dict[str, int]:
    """Job counts per rule from a dry run's "Job stats" table."""
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1]
    counts = {}
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        counts[match.group(1)] = int(match.group(2))
    counts.pop("total", None)
    return counts


def planned_wildcards(result: subprocess.CompletedProcess, rule: str) -> list[str]:
    """The `wildcards:` line of every planned job of `rule` in a dry run."""
    text = result.stdout + result.stderr
    blocks = re.split(r"\n(?=\[.*\]\n(?:local)?rule \w+:)", text)
    found = []
    for block in blocks:
        if re.search(rf"^(?:local)?rule {rule}:$", block, flags=re.MULTILINE):
            match = re.search(r"^\s+wildcards: (.*)$", block, flags=re.MULTILINE)
            found.append(match.group(1) if match else "")
    return sorted(found)


def edit_yaml(path: Path, edit) -> None:
    """Apply `edit(dict)` to a YAML config file in place."""
    import yaml

    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
