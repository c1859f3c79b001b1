"""Small inputs of the light jobs: a class table, a test manifest and member caches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ltbias import caches, splits
from ltbias.jobs import ensemble, entry

BACKBONES = ("a", "b")


@pytest.fixture
def evaluated(tmp_path: Path) -> dict[str, Path | list]:
    """Paths the ensemble and prior jobs read, for 6 classes and 2 backbones (the val split
    has the test split's labels)."""
    rng = np.random.default_rng(0)
    train = np.repeat(np.arange(6), [150, 120, 50, 30, 10, 5])
    classes = splits.class_table([f"c{i}" for i in range(6)], train)
    labels = np.repeat(np.arange(6), 4)
    paths: dict[str, Path | list[Path]] = {"classes": tmp_path / "classes.csv", "test": tmp_path / "test.csv"}
    paths["backbones"] = list(BACKBONES)
    classes.to_csv(paths["classes"], index=False)
    pd.DataFrame({"path": [f"{i}.png" for i in range(len(labels))], "label": labels}).to_csv(paths["test"], index=False)
    paths["train"] = tmp_path / "train.csv"  # the val split (the test manifest) shares no image with it
    pd.DataFrame({"path": [f"train/{i}.png" for i in range(len(train))], "label": train}).to_csv(
        paths["train"], index=False
    )
    for kind in ("logits", "val_logits", "knn"):
        paths[kind] = [tmp_path / f"{kind}_{b}.npz" for b in BACKBONES]
        for path in paths[kind]:
            caches.save_logits(path, rng.normal(size=(len(labels), 6)) + 2 * np.eye(6)[labels], labels)
    paths["priors"] = [tmp_path / f"prior_{b}.csv" for b in BACKBONES]
    for path in paths["priors"]:
        classes[["label", "class_name"]].assign(prior=rng.dirichlet(np.ones(6))).to_csv(path, index=False)
    return paths


@pytest.fixture
def run_ensemble(evaluated: dict) -> Callable[..., dict[str, Path]]:
    """The ensemble job on `evaluated`'s caches, as a function of its output folder that
    returns the output paths (the zero-shot caches: the kNN votes, and val's for TTE: any
    caches of the test split will do)."""

    def run(out: Path, resamples: int = 200) -> dict[str, Path]:
        settings = {
            "backbones": evaluated["backbones"],
            "lift_backbone": "a",
            "prior": {"many_fraction": 0.5, "few_fraction": 0.5},
            "ensemble": {"bootstrap_resamples": resamples},
        }
        inputs = {
            "test_logits": evaluated["logits"],
            "test_tte_logits": evaluated["logits"],
            "val_logits": evaluated["val_logits"],
            "zeroshot_logits": evaluated["knn"],
            "zeroshot_tte_logits": evaluated["val_logits"],
            "knn_logits": evaluated["knn"],
            "priors": evaluated["priors"],
            "true_counts": [],
            "train": evaluated["train"],
            "test": evaluated["test"],
            "val": evaluated["test"],
            "classes": evaluated["classes"],
        }
        names = ("metrics.csv", "comparisons.csv", "adjustments.json", "per_class.csv", "dxp", "knn.csv")
        outputs = {name.split(".")[0]: out / name for name in names}
        entry.call(ensemble, inputs=inputs, outputs=outputs, params={"settings": settings})
        return outputs

    return run
