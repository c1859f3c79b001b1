"""Ensembles of every subset from cached logits: the lattice walk against the naive sums.

    PYTHONPATH=workflow python bench/ensembles.py [--n 50000] [--classes 1000] [--members 3 8]

Synthetic logits of ImageNet-LT scale are written as logits caches; each measurement runs
in a fresh process that memory-maps them, as the ensemble rule does, and reports its wall
time and peak resident memory. Targets (issue #8): 50,000 x 1,000 with M = 3 in under 5 s
and 2 GB; M = 8 (255 subsets) in under 60 s. The time includes verifying every cache when it
is read (CRC-32 and the checks against the manifest); that part is also printed on its own,
against one plain pass over the same file. The stratified bootstrap of the ensemble job
(1,000 resamples over every row: uniform, fitted and debiased variants, and the paired
comparisons) is timed separately; target (issue #16): a few seconds for M = 3.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ltbias import caches, ensemble, intervals, splits
from ltbias.subsets import subset_name, subsets

MAX_BOOTSTRAP_MEMBERS = 5  # the bootstrap holds (N, rows x metrics) contributions in memory


def _write_caches(folder: Path, n: int, classes: int, members: int) -> list[Path]:
    """Member caches and, first in the list, the manifest they follow."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % classes
    paths = [folder / "test.csv"]
    pd.DataFrame({"path": [f"{i}.jpg" for i in range(n)], "label": labels}).to_csv(paths[0], index=False)
    for m in range(members):
        logits = rng.standard_normal((n, classes), dtype=np.float32)
        logits[np.arange(n), labels] += 2.0 + 0.1 * m
        paths.append(folder / f"b{m}.npz")
        caches.save_logits(paths[-1], logits, labels)
    return paths


def _naive_subset_logit_sums(logits):
    """The baseline: every subset's sum recomputed from its members."""
    for k in range(1, len(logits) + 1):
        for members in itertools.combinations(range(len(logits)), k):
            total = np.array(logits[members[0]], dtype=np.float32)
            for i in members[1:]:
                total += logits[i]
            yield members, total


def child(method: str, paths: list[str], classes: int) -> None:
    """One measured run: load memory-mapped caches, evaluate every subset, print JSON."""
    manifest, paths = paths[0], paths[1:]
    started = time.perf_counter()
    logits, labels = zip(*(caches.load_logits(p, manifest, classes) for p in paths), strict=True)
    verify_seconds = time.perf_counter() - started
    labels = np.asarray(labels[0])
    counts = np.maximum(5, (1280 * np.linspace(1, 0, classes) ** 3).astype(int))
    table = splits.class_table([f"c{i}" for i in range(classes)], np.repeat(np.arange(classes), counts))
    if method == "naive":
        ensemble.subset_logit_sums = _naive_subset_logit_sums
    names = [f"b{i}" for i in range(len(paths))]
    metrics = ensemble.evaluate_ensembles(names, logits, labels, table).metrics
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()  # the summation alone, block by block as in evaluate_ensembles
    for start in range(0, len(labels), 4096):
        for _ in ensemble.subset_logit_sums([x[start : start + 4096] for x in logits]):
            pass
    sums_seconds = time.perf_counter() - started
    started = time.perf_counter()  # one plain pass over the caches' logits, for scale
    for x in logits:
        np.add.reduce(x, axis=None)
    read_seconds = time.perf_counter() - started
    result = {"seconds": seconds, "sums_seconds": sums_seconds, "peak_mb": peak_mb, "subsets": len(metrics)}
    if len(names) <= MAX_BOOTSTRAP_MEMBERS:
        started = time.perf_counter()  # the job's rows: fitted (size >= 2), debiased and GLA variants too
        weights = {subset_name(s): np.full(len(s), 1 / len(s)) for s in subsets(names) if len(s) > 1}
        zeros = {b: np.zeros(classes, dtype=np.float32) for b in names}
        offsets = {"debiased": zeros, "gla": zeros}
        rows = ensemble.evaluate_ensembles(names, logits, labels, table, offsets=offsets, weights=weights)
        result["variants_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        intervals.with_intervals(rows, labels, names[0])
        result |= {"bootstrap_seconds": time.perf_counter() - started, "rows": len(rows.metrics)}
    result |= {"verify_seconds": verify_seconds, "read_seconds": read_seconds}
    print(json.dumps(result | {"all": metrics["all"].tolist()}))


def measure(method: str, paths: list[Path], classes: int) -> dict:
    command = [sys.executable, __file__, "--child", method, "--classes", str(classes), *map(str, paths)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--members", type=int, nargs="+", default=[3, 8])
    parser.add_argument("--child", choices=["lattice", "naive"])
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.paths, args.classes)
        return
    for members in args.members:
        with tempfile.TemporaryDirectory() as folder:
            paths = _write_caches(Path(folder), args.n, args.classes, members)
            lattice = measure("lattice", paths, args.classes)
            naive = measure("naive", paths, args.classes)
        assert lattice["all"] == naive["all"], "the lattice walk must give the naive results exactly"
        print(
            f"N={args.n} C={args.classes} M={members} ({lattice['subsets']} subsets): "
            f"lattice {lattice['seconds']:.2f} s, peak {lattice['peak_mb']:.0f} MB; "
            f"naive {naive['seconds']:.2f} s, peak {naive['peak_mb']:.0f} MB; "
            f"naive / lattice: {naive['seconds'] / lattice['seconds']:.2f}x in total, "
            f"{naive['sums_seconds'] / lattice['sums_seconds']:.2f}x for the sums alone "
            f"({lattice['sums_seconds']:.2f} s vs {naive['sums_seconds']:.2f} s)"
        )
        print(
            f"  verifying the {members} caches when read: {lattice['verify_seconds']:.2f} s "
            f"({lattice['verify_seconds'] / members:.3f} s per {args.n} x {args.classes} cache), "
            f"{lattice['verify_seconds'] / lattice['read_seconds']:.2f}x one plain pass over them "
            f"({lattice['read_seconds']:.2f} s), {lattice['verify_seconds'] / lattice['seconds']:.0%} of the stage"
        )
        if "rows" in lattice:
            print(
                f"  all variants ({lattice['rows']} rows): {lattice['variants_seconds']:.2f} s; "
                f"bootstrap intervals and comparisons (1000 resamples): {lattice['bootstrap_seconds']:.2f} s"
            )


if __name__ == "__main__":
    main()
