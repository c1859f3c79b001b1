"""Ensembles of every subset from cached logits: the lattice walk against the naive sums.

    PYTHONPATH=workflow python bench/ensembles.py [--n 50000] [--classes 1000] [--members 3 8]
        [--threads N]

Synthetic logits of ImageNet-LT scale are written as logits caches; each measurement runs
in a fresh process that memory-maps them, as the ensemble rule does, and reports its wall
time and peak resident memory. Target (issue #17): 50,000 x 1,000 with M = 8 (255 subsets)
in under 8 s and 2 GB, bootstrap intervals and paired comparisons (1,000 resamples)
included, on every core of the machine (`--threads`, default all). The time includes
verifying every cache when it is read (CRC-32 and the checks against the manifest); that
part is also printed on its own, against one plain pass over the same file, and so are the
time per subset of the sums alone and of the evaluation. For M <= 5 the job's other
variants (fitted, debiased, GLA) are timed too.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
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

MAX_VARIANT_MEMBERS = 5  # all variants for larger M take minutes on two cores
TARGET_SECONDS, TARGET_MB = 8.0, 2048  # M = 8, issue #17


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


def child(method: str, paths: list[str], classes: int, threads: int) -> None:
    """One measured run: load memory-mapped caches, evaluate every subset with intervals,
    print JSON."""
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
    evaluation = ensemble.evaluate_ensembles(names, logits, labels, table, threads=threads)
    evaluate_seconds = time.perf_counter() - started - verify_seconds
    bootstrap_started = time.perf_counter()
    intervals.with_intervals(evaluation, labels, names[0])
    bootstrap_seconds = time.perf_counter() - bootstrap_started
    metrics = evaluation.metrics
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
    result = {
        "seconds": seconds,
        "sums_seconds": sums_seconds,
        "evaluate_seconds": evaluate_seconds,
        "bootstrap_seconds": bootstrap_seconds,
        "peak_mb": peak_mb,
        "subsets": len(metrics),
    }
    if len(names) <= MAX_VARIANT_MEMBERS and method == "lattice":
        started = time.perf_counter()  # the job's rows: fitted (size >= 2), debiased and GLA variants too
        weights = {"fitted": {subset_name(s): np.full(len(s), 1 / len(s)) for s in subsets(names) if len(s) > 1}}
        zeros = {b: np.zeros(classes, dtype=np.float32) for b in names}
        offsets = {"debiased": zeros, "gla": zeros}
        rows = ensemble.evaluate_ensembles(
            names, logits, labels, table, offsets=offsets, weights=weights, threads=threads
        )
        intervals.with_intervals(rows, labels, names[0])
        result |= {"variants_seconds": time.perf_counter() - started, "rows": len(rows.metrics)}
    result |= {"verify_seconds": verify_seconds, "read_seconds": read_seconds}
    print(json.dumps(result | {"all": metrics["all"].tolist()}))


def measure(method: str, paths: list[Path], classes: int, threads: int) -> dict:
    command = [sys.executable, __file__, "--child", method, "--classes", str(classes), "--threads", str(threads)]
    command += list(map(str, paths))
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--members", type=int, nargs="+", default=[3, 8])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--child", choices=["lattice", "naive"])
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.paths, args.classes, args.threads)
        return
    for members in args.members:
        with tempfile.TemporaryDirectory() as folder:
            paths = _write_caches(Path(folder), args.n, args.classes, members)
            lattice = measure("lattice", paths, args.classes, args.threads)
            naive = measure("naive", paths, args.classes, args.threads)
        assert lattice["all"] == naive["all"], "the lattice walk must give the naive results exactly"
        subsets_count = lattice["subsets"]
        print(
            f"N={args.n} C={args.classes} M={members} ({subsets_count} subsets, {args.threads} threads): "
            f"{lattice['seconds']:.2f} s with intervals, peak {lattice['peak_mb']:.0f} MB"
            + (
                f" (target {TARGET_SECONDS:.0f} s and {TARGET_MB} MB: "
                f"{lattice['seconds'] / TARGET_SECONDS:.2f}x and {lattice['peak_mb'] / TARGET_MB:.2f}x of it)"
                if members == 8
                else ""
            )
        )
        print(
            f"  per subset: sums {1e3 * lattice['sums_seconds'] / subsets_count:.1f} ms, "
            f"evaluation {1e3 * (lattice['evaluate_seconds'] - lattice['sums_seconds']) / subsets_count:.1f} ms; "
            f"bootstrap intervals and comparisons (1000 resamples): {lattice['bootstrap_seconds']:.2f} s"
        )
        print(
            f"  naive sums instead of the lattice walk: {naive['seconds']:.2f} s in total, "
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
            print(f"  all variants ({lattice['rows']} rows) with intervals: {lattice['variants_seconds']:.2f} s")


if __name__ == "__main__":
    main()
