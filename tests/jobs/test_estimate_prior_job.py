import json

import numpy as np
import pytest

from ltbias import caches
from ltbias.jobs import estimate_prior


def test_zero_shot_logits_must_follow_the_val_manifest(evaluated, tmp_path):
    settings = estimate_prior.Settings.from_params(json.dumps({"calibrate": True}))
    outputs = {"prior_csv": tmp_path / "prior.csv", "info_json": tmp_path / "info.json"}
    common = {"val_csv": evaluated["test"], "classes_csv": evaluated["classes"]} | outputs
    estimate_prior.run(settings, zeroshot_val=evaluated["logits"][0], **common)
    assert json.loads((tmp_path / "info.json").read_text())["temperature"] > 0
    logits, labels = caches.load_logits(evaluated["logits"][0], evaluated["test"], 6)
    extra = tmp_path / "extra.npz"
    caches.save_logits(extra, np.vstack([logits, logits[:1]]), np.append(labels, labels[0]))
    with pytest.raises(caches.InconsistentLogitsError, match=r"extra\.npz .*test\.csv\): 25 rows, the manifest has 24"):
        estimate_prior.run(settings, zeroshot_val=extra, **common)
