"""The jobs that turn cached logits and metrics into Tables 3 and 4 and the figures."""

import json

import numpy as np
import pandas as pd
import pytest

from ltbias import caches
from ltbias.jobs import controls_table, entry, figures, gla_tables, peft_loss_gaps
from ltbias.prior import p_groups

PRIOR = {"many_fraction": 0.5, "few_fraction": 0.5}


def _gla_inputs(evaluated):
    la, gla_train = evaluated["logits"]
    return {
        "la_test": la,
        "la_test_tte": la,
        "la_knn": evaluated["knn"][0],
        "gla_train_test": gla_train,
        "gla_train_test_tte": gla_train,
        "gla_train_knn": evaluated["knn"][1],
        "zeroshot_test": evaluated["val_logits"][0],  # any cache of the test split will do
        "zeroshot_test_tte": evaluated["val_logits"][1],
        "prior": evaluated["priors"][0],
        "test": evaluated["test"],
        "classes": evaluated["classes"],
    }


def test_table3s_gla_adds_the_zero_shot_logits_and_subtracts_the_log_prior(evaluated, tmp_path):
    outputs = {f"{t}_{ext}": tmp_path / f"{t}.{ext}" for t in ("table3", "table4") for ext in ("csv", "md", "tex")}
    settings = {"backbone": "a", "prior": PRIOR, "ensemble": {"bootstrap_resamples": 100}, "decimals": 4}
    entry.call(gla_tables, inputs=_gla_inputs(evaluated), outputs=outputs, params={"settings": settings})
    table3 = pd.read_csv(outputs["table3_csv"])
    assert table3["Method"].tolist() == ["LA", "GLA-Train", "GLA post-hoc"] * 2
    assert table3["Test"].tolist() == ["one crop"] * 3 + ["five-crop TTE"] * 3
    prior = pd.read_csv(evaluated["priors"][0])["prior"].to_numpy()
    for row, zero_shot in ((2, evaluated["val_logits"][0]), (5, evaluated["val_logits"][1])):
        logits, labels = caches.load_logits(evaluated["logits"][0], evaluated["test"], 6)
        z_zs, _ = caches.load_logits(zero_shot, evaluated["test"], 6)
        adjusted = (logits + z_zs - np.log(prior).astype(np.float32)).argmax(axis=1) == labels
        per_class = np.bincount(labels, weights=adjusted, minlength=6) / np.bincount(labels, minlength=6)
        assert table3.loc[row, "All"] == pytest.approx(100 * per_class.mean(), abs=1e-4)  # class-mean accuracy
    assert table3.loc[0, "All"] != table3.loc[2, "All"]
    assert pd.read_csv(outputs["table4_csv"])["Method"].tolist() == ["LA", "GLA-Train"]


def test_fig3_gaps_are_many_minus_few_of_each_cells_logits(evaluated, tmp_path):
    """Each cell's row: D-groups by train count, P-groups by the LIFT backbone's prior, and
    the gaps, against a hand computation from the cached logits."""
    outputs = {f"fig3_{ext}": tmp_path / f"fig3.{ext}" for ext in ("csv", "md", "tex")}
    cells = [["adaptformer", "ce"], ["vpt_deep", "la"], ["vpt_deep", "ce"]]
    caches_ = [evaluated["logits"][0], evaluated["logits"][1], evaluated["val_logits"][0]]
    settings = {"backbone": "a", "cells": cells, "prior": PRIOR, "ensemble": {"bootstrap_resamples": 100}}
    inputs = {"cells": caches_, "prior": evaluated["priors"][0], "test": evaluated["test"]}
    entry.call(
        peft_loss_gaps,
        inputs=inputs | {"classes": evaluated["classes"]},
        outputs=outputs | {"figure": tmp_path / "gaps.svg"},
        params={"settings": settings | {"decimals": 4}},
    )
    table = pd.read_csv(outputs["fig3_csv"])
    assert table[["PEFT", "Loss"]].values.tolist() == [["AdaptFormer", "CE"], ["VPT-deep", "LA"], ["VPT-deep", "CE"]]
    classes = pd.read_csv(evaluated["classes"])
    prior = pd.read_csv(evaluated["priors"][0])["prior"].to_numpy()
    d, p = classes["d_group"].to_numpy(), p_groups(prior, 0.5, 0.5)
    for row, path in enumerate(caches_):
        logits, labels = caches.load_logits(path, evaluated["test"], 6)
        per_class = 100 * np.bincount(labels, weights=logits.argmax(1) == labels, minlength=6) / 4
        d_gap = per_class[d == "D-Many"].mean() - per_class[d == "D-Few"].mean()
        p_gap = per_class[p == "P-Many"].mean() - per_class[p == "P-Few"].mean()
        assert table.loc[row, "D gap"] == pytest.approx(d_gap, abs=1e-4)
        assert table.loc[row, "P gap"] == pytest.approx(p_gap, abs=1e-4)
        assert table.loc[row, "P gap lo"] <= table.loc[row, "P gap"] <= table.loc[row, "P gap hi"]
    assert "VPT-deep" in (tmp_path / "gaps.svg").read_text()


def test_the_control_tables_seed_ensemble_is_the_sum_of_the_seeds_cached_logits(evaluated, tmp_path):
    tables = ("controls", "seed_variance")
    outputs = {f"{t}_{ext}": tmp_path / f"{t}.{ext}" for t in tables for ext in ("csv", "md", "tex")}
    replicas = [evaluated["logits"][0], evaluated["val_logits"][0], evaluated["logits"][1], evaluated["val_logits"][1]]
    settings = {"dataset": "d", "backbones": ["a", "b"], "display_names": {"a": "Alpha", "b": "Beta"}}
    settings |= {"lift_backbone": "a", "replicas": 2, "prior": PRIOR, "ensemble": {"bootstrap_resamples": 100}}
    inputs = {"replicas": replicas, "priors": evaluated["priors"], "test": evaluated["test"]}
    inputs["classes"] = evaluated["classes"]
    outputs["figure"] = tmp_path / "controls.svg"
    entry.call(controls_table, inputs=inputs, outputs=outputs, params={"settings": settings | {"decimals": 4}})
    table = pd.read_csv(outputs["controls_csv"]).set_index("Method")
    first, labels = caches.load_logits(replicas[0], evaluated["test"], 6)
    second, _ = caches.load_logits(replicas[1], evaluated["test"], 6)
    correct = (first + second).argmax(1) == labels
    expected = 100 * (np.bincount(labels, weights=correct, minlength=6) / 4).mean()
    assert table.loc["2 seeds of Alpha", "All"] == pytest.approx(expected, abs=1e-4)
    gain = table.loc["2 backbones minus 2 seeds", "All"]
    means = table.loc["2 backbones (mean over subsets)", "All"] - table.loc["2 seeds (mean over backbones)", "All"]
    assert gain == pytest.approx(means, abs=1e-3) and 0 < table.loc["2 backbones minus 2 seeds", "All p"] <= 1
    spread = pd.read_csv(outputs["seed_variance_csv"]).set_index("Subset")
    single = [25 * np.mean(np.bincount(labels, weights=z.argmax(1) == labels, minlength=6)) for z in (first, second)]
    assert spread.loc["Alpha", "All"] == pytest.approx(np.mean(single), abs=1e-4)
    assert spread.loc["Alpha", "All sd"] == pytest.approx(np.std(single, ddof=1), abs=1e-4)
    assert spread.loc["Alpha + Beta", "Draws"] == 4 and "± " in outputs["seed_variance_md"].read_text()
    settings["replicas"] = 1
    with pytest.raises(ValueError, match=r"datasets\.d\.replicas: the controls need 2 or more"):
        entry.call(controls_table, inputs=inputs, outputs=outputs, params={"settings": settings | {"decimals": 4}})


def test_the_figures_show_every_subset_and_the_frontier(evaluated, run_ensemble, tmp_path):
    outputs = run_ensemble(tmp_path / "ensemble", resamples=50)
    costs = []
    for backbone, flops in (("a", 1.0), ("b", 3.0)):
        costs.append(tmp_path / f"cost_{backbone}.json")
        cost = {"parameters": 10, "trainable_parameters": 1, "gflops_per_image": flops, "images_per_second": 5.0}
        costs[-1].write_text(json.dumps(cost))
    figure_names = ("per_class_accuracy", "accuracy_vs_members", "dxp_gain", "accuracy_vs_cost")
    drawn = {name: tmp_path / f"{name}.svg" for name in figure_names}
    settings = {"backbones": ["a", "b"], "display_names": {"a": "Alpha", "b": "Beta"}, "lift_backbone": "a"}
    inputs = {"metrics": outputs["metrics"], "per_class": outputs["per_class"], "lift_prior": evaluated["priors"][0]}
    entry.call(
        figures, inputs=inputs | {"costs": costs}, outputs=drawn, params={"settings": settings | {"prior": PRIOR}}
    )
    for name, path in drawn.items():
        assert path.read_text().startswith("<?xml"), name
    cost_figure = drawn["accuracy_vs_cost"].read_text()
    assert all(label in cost_figure for label in ("Alpha", "Beta", "Alpha+Beta"))
    assert "all 2 minus Alpha (LIFT)" in drawn["dxp_gain"].read_text()
