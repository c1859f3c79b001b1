"""The micro toy world through the real Snakefile, as `snakemake --cores 2` runs it."""

import json

import numpy as np
import pandas as pd

from smk import copy_checkout, edit_yaml, planned_jobs, snakemake

MICRO = "tests/config/micro.yaml"


def test_micro_run_writes_tables_and_figures(micro_run):
    results = micro_run / "results" / "toy"
    for table in ("table6", "table8", "table8_tte", "table9", "zeroshot"):
        for ext in ("csv", "md", "tex"):
            assert (results / "tables" / f"{table}.{ext}").stat().st_size > 0
    for figure in ("per_class_accuracy", "accuracy_vs_members", "dxp_gain", "accuracy_vs_cost"):
        assert (results / "figures" / f"{figure}.svg").read_text().startswith("<?xml")
    metrics = pd.read_csv(results / "ensembles" / "metrics.csv")
    uniform = metrics[(metrics["variant"] == "uniform") & (metrics["protocol"] == "single")]
    assert uniform["subset"].tolist() == [
        "toy_a", "toy_b", "toy_c", "toy_a+toy_b", "toy_a+toy_c", "toy_b+toy_c", "toy_a+toy_b+toy_c"
    ]  # fmt: skip
    variants = {"uniform": 14, "fitted": 8, "debiased": 14, "prior_subtracted": 14, "gla": 14, "zero-shot": 3}
    assert metrics.groupby("variant").size().to_dict() == variants  # two protocols
    assert metrics.groupby("protocol").size().to_dict() == {"single": 35, "tte": 32}
    assert metrics[["all", "d_many", "d_medium", "d_few", "all_lo", "all_hi"]].notna().all().all()
    assert ((metrics["all_lo"] <= metrics["all"]) & (metrics["all"] <= metrics["all_hi"])).all()
    comparisons = pd.read_csv(results / "ensembles" / "comparisons.csv")
    full = comparisons[(comparisons["subset"] == "toy_a+toy_b+toy_c") & (comparisons["metric"] == "all")]
    assert set(full["reference"]) == {"best single", "LIFT"} and set(full["protocol"]) == {"single", "tte"}
    assert (full["p_value"].between(0, 1)).all()
    classes = pd.read_csv(results / "splits" / "classes.csv")
    assert set(classes["d_group"]) == {"D-Many", "D-Medium", "D-Few"}
    assert len(list((results / "ensembles" / "dxp").glob("*.csv"))) == 7
    table8 = pd.read_csv(results / "tables" / "table8.csv")
    labels = {"uniform", "fitted on val", "prior-debiased", "prior-subtracted", "GLA post-hoc"}
    assert len(table8) == 32 and set(table8["P(c)"]) == labels
    zeroshot = pd.read_csv(results / "tables" / "zeroshot.csv")
    assert zeroshot["Model"].tolist() == ["zero-shot", "fine-tuned (LIFT)"] * 3
    zs = metrics[metrics["variant"] == "zero-shot"].set_index("subset")
    assert len(pd.read_csv(results / "tables" / "table8_tte.csv")) == 32
    table6 = pd.read_csv(results / "tables" / "table6.csv")["Method"].tolist()
    assert "Ours (reproduced, five-crop TTE)" in table6 and "Ours (reproduced)" in table6
    assert zeroshot["All"].iloc[0] == round(zs.loc["toy_a", "all"], 2)
    knn = pd.read_csv(results / "ensembles" / "knn.csv")
    assert knn["subset"].tolist() == ["toy_a", "toy_b", "toy_c"]
    assert knn[["all", "d_many", "d_few", "p_few"]].notna().all().all()


def test_table9_costs_are_the_members_measured_costs(micro_run):
    results = micro_run / "results" / "toy"
    costs = {b: json.loads((results / f"logits/{b}/cost.json").read_text()) for b in ("toy_a", "toy_b", "toy_c")}
    assert all(c["parameters"] > c["trainable_parameters"] > 0 and c["gflops_per_image"] > 0 for c in costs.values())
    table9 = pd.read_csv(results / "tables" / "table9.csv").fillna("")
    full = table9[table9["M"] == 3].iloc[0]
    assert full["Params"] == sum(c["parameters"] for c in costs.values())
    assert full["MFLOPs/image"] == round(1e3 * sum(c["gflops_per_image"] for c in costs.values()), 2)
    assert (table9["Frontier"] == "✓").any()


def test_logits_cache_schema(micro_run):
    from ltbias import caches

    manifest = pd.read_csv(micro_run / "results/toy/splits/test.csv")
    logits, labels = caches.load_logits(
        micro_run / "results/toy/logits/toy_b/test.npz", micro_run / "results/toy/splits/test.csv", 9
    )
    assert logits.dtype == "float32" and labels.dtype == "int64"
    assert logits.shape == (len(manifest), 9)
    assert labels.tolist() == manifest["label"].tolist()
    provenance = json.loads((micro_run / "results/toy/finetune/toy_b/provenance.json").read_text())
    assert {"config", "packages", "git_commit", "device", "started", "finished", "images_per_second"} <= set(provenance)


def test_a_finished_run_has_nothing_to_do(micro_run):
    result = snakemake(micro_run, "--configfile", "tests/config/micro.yaml", "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    assert planned_jobs(result) == {}, result.stdout[-3000:]


def test_the_same_config_twice_gives_the_same_numbers(micro_run, tmp_path):
    """The second run keeps one backbone of the three: its chain, from the rendered images
    to its rows of the ensemble's files, is what a second run must reproduce (the ensemble
    job's own determinism, over subsets of several members, is tested beside the job)."""
    again = copy_checkout(tmp_path / "again")
    edit_yaml(again / MICRO, lambda config: config["datasets"]["toy"].update(backbones=["toy_a"]))
    result = snakemake(again, "--configfile", MICRO)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second = micro_run / "results/toy", again / "results/toy"
    for name in ("splits/train.csv", "splits/val.csv", "splits/test.csv", "prior/toy_a.csv"):
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    for name in ("logits/toy_a/test.npz", "logits/toy_a/test_tte.npz", "logits/toy_a/val.npz"):
        assert np.array_equal(np.load(second / name)["logits"], np.load(first / name)["logits"]), name
    metrics = [pd.read_csv(run / "ensembles/metrics.csv").query("subset == 'toy_a'") for run in (first, second)]
    assert len(metrics[1]) == 5 + 4  # every variant of a single model, one crop and TTE
    pd.testing.assert_frame_equal(metrics[1].reset_index(drop=True), metrics[0].reset_index(drop=True))
    per_class = [pd.read_csv(run / "ensembles/per_class.csv") for run in (first, second)]
    pd.testing.assert_frame_equal(per_class[1], per_class[0][per_class[1].columns])


def test_report_contains_the_tables(finished_copy):
    result = snakemake(finished_copy, "--configfile", "tests/config/micro.yaml", "--report", "report.html")
    assert result.returncode == 0, result.stderr[-3000:]
    html = (finished_copy / "report.html").read_text(encoding="utf-8", errors="replace")
    assert "table6.csv" in html and "table8.csv" in html and "dxp_gain.svg" in html


def test_table3_fine_tunes_the_lift_backbone_once_more_with_gla_train(finished_copy):
    args = ("table3", "--configfile", "tests/config/micro.yaml")
    planned = snakemake(finished_copy, *args, "--dry-run")
    assert planned_jobs(planned) == {"gla_train": 1, "gla_train_logits": 1, "gla_tables": 1, "table3": 1}
    result = snakemake(finished_copy, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    results = finished_copy / "results" / "toy"
    provenance = json.loads((results / "gla_train/toy_a/provenance.json").read_text())
    assert provenance["config"]["finetune"]["loss"] == "gla"
    table3 = pd.read_csv(results / "tables" / "table3.csv")
    assert table3["Method"].tolist() == ["LA", "GLA-Train", "GLA post-hoc"] * 2
    assert table3["Test"].tolist() == ["one crop"] * 3 + ["five-crop TTE"] * 3
    metrics = pd.read_csv(results / "ensembles" / "metrics.csv").query("subset == 'toy_a'")
    for method, variant, protocol, test in [
        ("LA", "uniform", "single", "one crop"),
        ("GLA post-hoc", "gla", "single", "one crop"),
        ("LA", "uniform", "tte", "five-crop TTE"),
    ]:
        expected = metrics[(metrics["variant"] == variant) & (metrics["protocol"] == protocol)]
        shown = table3[(table3["Method"] == method) & (table3["Test"] == test)]
        expected, shown = expected[["all", "p_few", "d_few"]], shown[["All", "P-Few", "D-Few"]]
        assert shown.to_numpy().tolist() == expected.round(2).to_numpy().tolist(), method
    table4 = pd.read_csv(results / "tables" / "table4.csv")
    assert table4["Method"].tolist() == ["LA", "GLA-Train"]
    knn = pd.read_csv(results / "ensembles" / "knn.csv").set_index("subset")
    assert table4.loc[0, "All"] == round(knn.loc["toy_a", "all"], 2)
    la = np.load(results / "logits/toy_a/test.npz")["logits"]
    assert not np.allclose(np.load(results / "gla_train/toy_a/logits/test.npz")["logits"], la)
