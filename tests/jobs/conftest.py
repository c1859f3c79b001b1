"""Small inputs of the light jobs: a class table, a test manifest and member caches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ltbias import caches, splits

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
