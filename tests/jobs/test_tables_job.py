import json

import pandas as pd
import pytest

from ltbias.jobs import entry, tables


def _settings(**changes):
    return {
        "dataset": "toy",
        "backbones": ["a", "b"],
        "display_names": {"a": "A", "b": "B"},
        "lift_backbone": "a",
        "epochs": {"a": 10, "b": 20},
        "decimals": 1,
    } | changes


def _paths(folder):
    """Every table output, `t6.csv` for `table6_csv`."""
    short = {"table6": "t6", "table8": "t8", "table8_tte": "t8_tte", "table9": "t9", "zeroshot": "t0", "members": "m"}
    return {f"{table}_{ext}": folder / f"{name}.{ext}" for table, name in short.items() for ext in ("csv", "md", "tex")}


def _costs(folder):
    paths = [folder / f"cost_{b}.json" for b in ("a", "b")]
    for path in paths:
        cost = {"parameters": 100, "trainable_parameters": 10, "gflops_per_image": 0.5, "images_per_second": 20.0}
        path.write_text(json.dumps(cost))
    return paths


def _run(tmp_path, metrics, out):
    inputs = {
        "metrics": metrics,
        "comparisons": _comparisons(tmp_path),
        "baselines": tmp_path / "baselines.yaml",
        "costs": _costs(tmp_path),
    }
    entry.call(tables, inputs=inputs, outputs=_paths(out), params={"settings": _settings()})


def _comparisons(folder):
    path = folder / "comparisons.csv"
    columns = ["subset", "variant", "reference", "reference_subset", "metric", "difference", "lo", "hi", "p_value"]
    pd.DataFrame([["a+b", "uniform", "best single", "a", "all", 5.0, 1.0, 9.0, 0.01]], columns=columns).to_csv(
        path, index=False
    )
    return path


def test_writes_exactly_the_paths_it_is_given(tmp_path):
    metrics = tmp_path / "metrics.csv"
    rows = [
        {"subset": s, "variant": v, "size": s.count("+") + 1, "all": 50.0, "d_many": 60.0, "d_many_lo": 55.0,
         "d_many_hi": 64.0}
        for s, v in (("a", "uniform"), ("b", "uniform"), ("a+b", "uniform"), ("a", "zero-shot"), ("b", "zero-shot"))
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(metrics, index=False)
    (tmp_path / "baselines.yaml").write_text("toy: {table6: [{method: X, epochs: 3, all: 40.0}]}\n")
    out = tmp_path / "out"
    _run(tmp_path, metrics, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{t}.{e}" for t in ("t0", "t6", "t8", "t8_tte", "t9", "m") for e in ("csv", "md", "tex")
    )
    t9 = pd.read_csv(out / "t9.csv")
    assert t9["Params"].tolist() == [100, 100, 200] and t9["Images/s"].tolist() == [20.0, 20.0, 10.0]
    t6 = pd.read_csv(out / "t6.csv").set_index("Method")
    assert t6.loc["Ours (reproduced)", "Epochs"] == 20 and t6.loc["X", "All"] == 40.0
    assert t6.loc["Ours (reproduced)", ["D-Many lo", "D-Many hi"]].tolist() == [55.0, 64.0]
    t8 = (out / "t8.md").read_text()
    assert "60.0 ± 4.5" in t8 and "5.0 ± 4.0*" in t8  # half-width of [55, 64]; gain with p < 0.05


def test_a_subset_missing_from_the_metrics_is_named(tmp_path):
    metrics = tmp_path / "metrics.csv"
    pd.DataFrame([{"subset": "a", "size": 1, "all": 50.0}]).to_csv(metrics, index=False)
    (tmp_path / "baselines.yaml").write_text("")
    with pytest.raises(KeyError, match=r"subset 'a\+b' not in metrics"):
        _run(tmp_path, metrics, tmp_path / "out")


def test_a_member_that_lowers_the_ensemble_is_noted_and_warned_about(tmp_path, capsys):
    """The newcomer's case: a useless backbone (3.6 % zero-shot) lowers the ensemble of all."""
    metrics = tmp_path / "metrics.csv"
    accuracy = {("a", "uniform"): 60.0, ("b", "uniform"): 20.0, ("a+b", "uniform"): 55.0}
    accuracy |= {("a", "zero-shot"): 40.0, ("b", "zero-shot"): 3.6}
    rows = [{"subset": s, "variant": v, "size": s.count("+") + 1, "all": a} for (s, v), a in accuracy.items()]
    pd.DataFrame(rows).to_csv(metrics, index=False)
    (tmp_path / "baselines.yaml").write_text("")
    _run(tmp_path, metrics, tmp_path / "out")
    members = pd.read_csv(tmp_path / "out" / "m.csv").set_index("Backbone").fillna("")
    assert members.loc["B", "Note"] == "lowers the ensemble; far below the best member"
    assert members.loc["B", "All, ensemble without it"] == 60.0 and members.loc["A", "Note"] == ""
    assert "member B: lowers the ensemble; far below the best member" in capsys.readouterr().err
