import json

import numpy as np
import pandas as pd
import pytest

from ltbias import caches, prior
from ltbias.jobs import entry, estimate_prior


def test_zero_shot_logits_must_follow_the_val_manifest(evaluated, tmp_path):
    outputs = {"prior": tmp_path / "prior.csv", "info": tmp_path / "info.json"}
    inputs = {"val": evaluated["test"], "classes": evaluated["classes"], "true_counts": []}
    params = {"settings": {"prior": {"calibrate": True}}}
    entry.call(estimate_prior, inputs=inputs | {"zeroshot": evaluated["logits"][0]}, outputs=outputs, params=params)
    info = json.loads((tmp_path / "info.json").read_text())
    assert info["temperature"] > 0 and info["solver"] == "exact"
    assert -1 <= info["solvers"]["spearman"] <= 1 and 0 <= info["solvers"]["p_group_agreement"] <= 1
    logits, labels = caches.load_logits(evaluated["logits"][0], evaluated["test"], 6)
    extra = tmp_path / "extra.npz"
    caches.save_logits(extra, np.vstack([logits, logits[:1]]), np.append(labels, labels[0]))
    with pytest.raises(caches.InconsistentLogitsError, match=r"extra\.npz .*test\.csv\): 25 rows, the manifest has 24"):
        entry.call(estimate_prior, inputs=inputs | {"zeroshot": extra}, outputs=outputs, params=params)


def test_true_counts_are_read_by_label_and_a_reordered_file_is_refused(evaluated, tmp_path):
    """The toy world's Spearman of the estimate against the truth matches counts by label."""
    classes = pd.read_csv(evaluated["classes"])
    counts = tmp_path / "pretrain_counts.csv"
    classes[["label", "class_name"]].assign(count=np.arange(6, 0, -1) * 10).to_csv(counts, index=False)
    outputs = {"prior": tmp_path / "prior.csv", "info": tmp_path / "info.json"}
    inputs = {"val": evaluated["test"], "classes": evaluated["classes"], "zeroshot": evaluated["logits"][0]}
    params = {"settings": {"prior": {"calibrate": True}}}
    entry.call(estimate_prior, inputs=inputs | {"true_counts": [counts]}, outputs=outputs, params=params)
    assert -1 <= json.loads((tmp_path / "info.json").read_text())["spearman_vs_pretrain_counts"] <= 1
    pd.read_csv(counts).sort_values("count").to_csv(counts, index=False)
    with pytest.raises(
        prior.InconsistentPriorError, match=r"pretrain_counts\.csv:2: label '5' where the dataset has '0'"
    ):
        entry.call(estimate_prior, inputs=inputs | {"true_counts": [counts]}, outputs=outputs, params=params)
