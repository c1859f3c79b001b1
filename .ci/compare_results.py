"""Compare two finished runs' results folders: everything the workflow computes must be
equal; only measured times and speeds (and the provenance that records them) may differ.

    python .ci/compare_results.py RESULTS_A RESULTS_B
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

MEASURED = {"images_per_second", "seconds", "started", "finished", "host", "device", "git_commit"}


def _same_json(a: Path, b: Path) -> bool:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in MEASURED}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(a.read_text())) == strip(json.loads(b.read_text()))


def _same(a: Path, b: Path) -> bool:
    if a.name == "provenance.json":
        return True  # times, hosts and slurm environments by design
    if a.suffix == ".json":
        return _same_json(a, b)
    if a.name.startswith("table9."):  # images/s is measured
        if a.suffix != ".csv":
            return True
        return pd.read_csv(a).drop(columns="Images/s").equals(pd.read_csv(b).drop(columns="Images/s"))
    if a.suffix == ".npz":
        with np.load(a) as x, np.load(b) as y:
            return sorted(x) == sorted(y) and all(np.array_equal(x[k], y[k]) for k in x)
    if a.suffix == ".pt":
        x, y = torch.load(a, weights_only=False), torch.load(b, weights_only=False)
        return _same_tensors(x, y)
    return a.read_bytes() == b.read_bytes()


def _same_tensors(x, y) -> bool:
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_same_tensors(x[k], y[k]) for k in x)
    if isinstance(x, torch.Tensor):
        return torch.equal(x, y)
    return x == y


def _tracked() -> set[Path]:
    """The files git tracks under results/ (its README): documentation, not outputs."""
    repo = Path(__file__).resolve().parents[1]
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "results"], capture_output=True, text=True, check=True)
    return {Path(line).relative_to("results") for line in listed.stdout.splitlines()}


def main(a: Path, b: Path) -> None:
    tracked = _tracked()
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()} - tracked
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()} - tracked
    assert files_a == files_b, f"different files: {sorted(files_a ^ files_b)[:10]}"
    different = [str(p) for p in sorted(files_a) if not _same(a / p, b / p)]
    assert not different, f"{len(different)} files differ: {different[:10]}"
    print(f"{len(files_a)} files compared: equal (measured times and speeds aside)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
