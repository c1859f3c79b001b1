"""Helpers shared by the tests (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TOY_MODEL = "ltbias-toy-vit"


def require_shared(*parts: str) -> Path:
    """A file of ../shared/data; the test is skipped where the checkout has none."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return path


def rule_blocks() -> dict[str, str]:
    """Rule name -> the text of its `rule` block, read from the rule files."""
    blocks = {}
    for rules in (REPO / "workflow" / "rules").glob("*.smk"):
        for block in re.split(r"(?m)^rule ", rules.read_text())[1:]:
            blocks[block.split(":", 1)[0]] = block
    return blocks


def rule_jobs() -> dict[str, str]:
    """Rule name -> the job module it runs (`job_params("<job>")`), for every rule that runs
    the job script."""
    return {
        rule: re.search(r'job_params\("(\w+)"', block).group(1)
        for rule, block in rule_blocks().items()
        if "JOB_SCRIPT" in block
    }
