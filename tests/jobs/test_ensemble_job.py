import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from ltbias import caches, tables


def test_writes_every_subset_and_uses_the_configured_p_fractions(evaluated, run_ensemble, tmp_path):
    run_ensemble(tmp_path / "out")
    metrics = pd.read_csv(tmp_path / "out" / "metrics.csv")
    assert metrics["protocol"].value_counts().to_dict() == {"single": 15, "tte": 13}
    tte = metrics[(metrics["protocol"] == "tte") & (metrics["variant"] == "gla")].set_index("subset")
    metrics = metrics[metrics["protocol"] == "single"]
    singles = ["uniform", "debiased", "prior_subtracted", "gla"]
    assert metrics["subset"].tolist() == ["a"] * 4 + ["b"] * 4 + ["a+b"] * 5 + ["a", "b"]
    pairs = ["uniform", "fitted", "debiased", "prior_subtracted", "gla"]
    assert metrics["variant"].tolist() == singles * 2 + pairs + ["zero-shot"] * 2
    # GLA post-hoc: the sum of each member's z_ft + z_zs - log q, per protocol its own zero-shot logits
    for protocol, zero_shot, rows in (("single", "knn", metrics), ("tte", "val_logits", tte.reset_index())):
        members = []
        for b in range(2):
            z_ft, labels = caches.load_logits(evaluated["logits"][b], evaluated["test"], 6)
            z_zs, _ = caches.load_logits(evaluated[zero_shot][b], evaluated["test"], 6)
            log_q = np.log(pd.read_csv(evaluated["priors"][b])["prior"].to_numpy()).astype(np.float32)
            members.append(z_ft + z_zs - log_q)
        for subset, total in (("a", members[0]), ("a+b", members[0] + members[1])):
            right = total.argmax(axis=1) == labels
            expected = 100 * (np.bincount(labels, weights=right, minlength=6) / np.bincount(labels, minlength=6)).mean()
            row = rows[(rows["subset"] == subset) & (rows["variant"] == "gla")]
            assert row["all"].item() == pytest.approx(expected), (protocol, subset)
    adjustments = json.loads((tmp_path / "out" / "adjustments.json").read_text())
    assert set(adjustments["debias_lambda"]) == {"a", "b"} and sum(adjustments["weights"]["a+b"]) == pytest.approx(1)
    comparisons = pd.read_csv(tmp_path / "out" / "comparisons.csv")
    assert set(comparisons["reference"]) == {"best single", "LIFT"} and set(comparisons["subset"]) == {"a+b"}
    assert sorted(p.name for p in (tmp_path / "out" / "dxp").iterdir()) == ["a+b.csv", "a.csv", "b.csv"]
    cells = pd.read_csv(tmp_path / "out" / "dxp" / "a.csv").groupby("p_group")["classes"].sum()
    assert cells.to_dict() == {"P-Few": 3, "P-Many": 3, "P-Medium": 0}  # halves, not thirds
    knn = pd.read_csv(tmp_path / "out" / "knn.csv")
    assert knn["subset"].tolist() == ["a", "b"] and "ece" not in knn


def test_a_damaged_member_cache_stops_the_job_naming_it(evaluated, run_ensemble, tmp_path):
    path = evaluated["logits"][1]
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("logits.npy")
    data[info.header_offset + info.compress_size // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(caches.InconsistentLogitsError, match=rf"{path}.* fails its CRC-32 check"):
        run_ensemble(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_val_split_drawn_from_train_is_never_fitted_on_the_test_halves_are(evaluated, run_ensemble, tmp_path):
    from ltbias import fitting

    train = pd.read_csv(evaluated["train"])
    overlapping = pd.concat([train, pd.read_csv(evaluated["test"])])  # val (the test manifest) is inside train
    overlapping.to_csv(evaluated["train"], index=False)
    run_ensemble(tmp_path / "out")
    recorded = json.loads((tmp_path / "out" / "adjustments.json").read_text())
    assert recorded["fitted_on"] == fitting.CROSS_FIT and recorded["fold_sizes"] == [12, 12]
    labels = pd.read_csv(evaluated["test"])["label"].to_numpy()
    fold = fitting.folds(labels, 0)
    z = [caches.load_logits(p, evaluated["test"], 6)[0] for p in evaluated["logits"]]
    priors = {b: pd.read_csv(p)["prior"].to_numpy() for b, p in zip("ab", evaluated["priors"], strict=True)}
    for k in (0, 1):  # the values that score fold k come from the other fold alone
        other = fitting.fit("ab", {"a": z[0][fold != k], "b": z[1][fold != k]}, labels[fold != k], priors)
        assert recorded["folds"][k]["weights"]["a+b"] == pytest.approx(other["weights"]["a+b"])
    weights = np.array([f["weights"]["a+b"] for f in recorded["folds"]], dtype=np.float32)[fold]
    right = (weights[:, :1] * z[0] + weights[:, 1:] * z[1]).argmax(axis=1) == labels
    expected = 100 * (np.bincount(labels, weights=right, minlength=6) / np.bincount(labels, minlength=6)).mean()
    metrics = (
        pd.read_csv(tmp_path / "out" / "metrics.csv").query("protocol == 'single'").set_index(["subset", "variant"])
    )
    assert metrics.loc[("a+b", "fitted"), "all"] == pytest.approx(expected)
    assert metrics.loc[("a+b", "fitted"), "fitted_on"] == fitting.CROSS_FIT
    assert pd.isna(metrics.loc[("a+b", "uniform"), "fitted_on"])
    table = tables.table8(metrics.reset_index(), ["a", "b"], {"a": "A", "b": "B"})
    labels = table["P(c)"].tolist()
    assert "fitted on test, 2-fold" in labels and "prior-debiased (fitted on test, 2-fold)" in labels
    assert "fitted on val" not in labels and "uniform" in labels


def test_the_same_inputs_twice_give_byte_identical_outputs(run_ensemble, tmp_path):
    """Fitted weights, bootstrap intervals and paired p-values are seeded: a second run of a
    config reproduces every number (the workflow test reruns one member's chain)."""
    first, second = run_ensemble(tmp_path / "first"), run_ensemble(tmp_path / "second")
    for name, path in first.items():
        files = sorted(path.iterdir()) if path.is_dir() else [path]
        others = sorted(second[name].iterdir()) if path.is_dir() else [second[name]]
        assert [f.read_bytes() for f in files] == [f.read_bytes() for f in others], name
