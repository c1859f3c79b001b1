#!/usr/bin/env bash
# Wall time of the default toy run from a clean results folder, and where it goes.
#   bench/demo.sh [CORES]      (default: all cores)
# Runs in a scratch copy of the checkout, so your results/ stays as it is. Target: under
# 60 s on a 2-core machine (issue 32; not met: docs/benchmarks.md). After the run, each
# rule's imports are timed alone in a fresh interpreter (its job module and every module of
# the library it may import): the share of the job-seconds no toy-world setting can remove.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cores="${1:-all}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp -r "$repo/Snakefile" "$repo/workflow" "$repo/config" "$repo/envs" "$repo/profiles" "$scratch/"
cd "$scratch"
start=$(date +%s.%N)
snakemake --cores "$cores" --quiet rules > run.log 2>&1 || { tail -50 run.log; exit 1; }
end=$(date +%s.%N)
PYTHONPATH="$repo/workflow" python - "$start" "$end" "$repo" "$cores" <<'PY'
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from ltbias.importgraph import module_closure

start, end, repo, cores = sys.argv[1:]
wall = float(end) - float(start)
package = Path(repo) / "workflow" / "ltbias"


def import_seconds(job: str) -> float:
    """Seconds a fresh interpreter takes to import the job and what it may import."""
    paths = module_closure(package.parent / "scripts" / "job.py", package, modules=(f"ltbias.jobs.{job}",))
    names = {".".join(p.relative_to(package.parent).with_suffix("").parts) for p in paths if p.suffix == ".py"}
    names = {name.removesuffix(".__init__") for name in names}
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import " + ", ".join(sorted(names))], check=True)
    return time.perf_counter() - begin


rows = [(p.parts[1], pd.read_csv(p, sep="\t")["s"].iloc[0]) for p in Path("benchmarks").rglob("*.tsv")]
per_rule = pd.DataFrame(rows, columns=["rule", "s"]).groupby("rule")["s"].agg(["count", "sum", "max"])
per_rule["import_s"] = [import_seconds(rule) for rule in per_rule.index]
per_rule = per_rule.sort_values("sum", ascending=False)
job_seconds = per_rule["sum"].sum()
imports = (per_rule["count"] * per_rule["import_s"]).sum()
n_cores = os.cpu_count() if cores == "all" else int(cores)
print(f"default toy run: {wall:.0f} s wall ({wall / 60:.1f} min); target < 60 s")
print(f"job seconds summed over rules: {job_seconds:.0f} s (jobs run in parallel)")
print(
    f"imports alone: {imports:.0f} job-seconds ({100 * imports / job_seconds:.0f} %), "
    f"{imports / n_cores:.0f} s of wall on {n_cores} cores before any work"
)
columns = {"count": "jobs", "sum": "total_s", "max": "slowest_s", "import_s": "import_s_per_job"}
print(per_rule.rename(columns=columns).round(1).to_string())
PY
