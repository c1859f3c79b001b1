#!/usr/bin/env bash
# Wall time of the default toy run from a clean results folder, and where it goes.
#   bench/demo.sh [CORES]      (default: all cores)
# Runs in a scratch copy of the checkout, so your results/ stays as it is. Target: under
# 60 s on a 2-core machine (issue 32; not met: docs/benchmarks.md).
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
python - "$start" "$end" <<'PY'
import sys
from pathlib import Path

import pandas as pd

wall = float(sys.argv[2]) - float(sys.argv[1])
rows = [(p.parts[1], pd.read_csv(p, sep="\t")["s"].iloc[0]) for p in Path("benchmarks").rglob("*.tsv")]
per_rule = pd.DataFrame(rows, columns=["rule", "s"]).groupby("rule")["s"].agg(["count", "sum", "max"])
per_rule = per_rule.sort_values("sum", ascending=False)
print(f"default toy run: {wall:.0f} s wall ({wall / 60:.1f} min); target < 60 s")
print(f"job seconds summed over rules: {per_rule['sum'].sum():.0f} s (jobs run in parallel)")
print(per_rule.rename(columns={"count": "jobs", "sum": "total_s", "max": "slowest_s"}).round(1).to_string())
PY
