import json
import zipfile

import pandas as pd
import pytest

from ltbias import caches
from ltbias.jobs import ensemble, entry


def _run(evaluated, out):
    settings = {
        "backbones": evaluated["backbones"],
        "lift_backbone": "a",
        "prior": {"many_fraction": 0.5, "few_fraction": 0.5},
        "ensemble": {"bootstrap_resamples": 200},
    }
    inputs = {
        "test_logits": evaluated["logits"],
        "test_tte_logits": evaluated["logits"],
        "val_logits": evaluated["val_logits"],
        "zeroshot_logits": evaluated["knn"],  # any cache of the test split will do
        "knn_logits": evaluated["knn"],
        "priors": evaluated["priors"],
        "true_counts": [],
        "test": evaluated["test"],
        "val": evaluated["test"],
        "classes": evaluated["classes"],
    }
    names = ("metrics.csv", "comparisons.csv", "adjustments.json", "per_class.csv", "dxp", "knn.csv")
    outputs = {name.split(".")[0]: out / name for name in names}
    entry.call(ensemble, inputs=inputs, outputs=outputs, params={"settings": settings})


def test_writes_every_subset_and_uses_the_configured_p_fractions(evaluated, tmp_path):
    _run(evaluated, tmp_path / "out")
    metrics = pd.read_csv(tmp_path / "out" / "metrics.csv")
    assert metrics["protocol"].value_counts().to_dict() == {"single": 12, "tte": 10}
    metrics = metrics[metrics["protocol"] == "single"]
    singles = ["uniform", "debiased", "gla"]
    assert metrics["subset"].tolist() == ["a"] * 3 + ["b"] * 3 + ["a+b"] * 4 + ["a", "b"]
    assert metrics["variant"].tolist() == singles * 2 + ["uniform", "fitted", "debiased", "gla"] + ["zero-shot"] * 2
    adjustments = json.loads((tmp_path / "out" / "adjustments.json").read_text())
    assert set(adjustments["debias_lambda"]) == {"a", "b"} and sum(adjustments["weights"]["a+b"]) == pytest.approx(1)
    comparisons = pd.read_csv(tmp_path / "out" / "comparisons.csv")
    assert set(comparisons["reference"]) == {"best single", "LIFT"} and set(comparisons["subset"]) == {"a+b"}
    assert sorted(p.name for p in (tmp_path / "out" / "dxp").iterdir()) == ["a+b.csv", "a.csv", "b.csv"]
    cells = pd.read_csv(tmp_path / "out" / "dxp" / "a.csv").groupby("p_group")["classes"].sum()
    assert cells.to_dict() == {"P-Few": 3, "P-Many": 3, "P-Medium": 0}  # halves, not thirds
    knn = pd.read_csv(tmp_path / "out" / "knn.csv")
    assert knn["subset"].tolist() == ["a", "b"] and "ece" not in knn


def test_a_damaged_member_cache_stops_the_job_naming_it(evaluated, tmp_path):
    path = evaluated["logits"][1]
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("logits.npy")
    data[info.header_offset + info.compress_size // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(caches.InconsistentLogitsError, match=rf"{path}.* fails its CRC-32 check"):
        _run(evaluated, tmp_path / "out")
    assert not (tmp_path / "out").exists()
