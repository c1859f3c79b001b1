import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import REPO
from ltbias import ensemble, splits, tables

BACKBONES = ["clip", "openclip", "metaclip"]
EPOCHS = dict.fromkeys(BACKBONES, 10)


def _write(frame, stem):
    tables.write_table(frame, csv=f"{stem}.csv", md=f"{stem}.md", tex=f"{stem}.tex")


@pytest.fixture
def metrics():
    rng = np.random.default_rng(0)
    train_counts = rng.choice([300, 50, 8], size=30)  # all three D-groups
    classes = splits.class_table([f"c{i}" for i in range(30)], np.repeat(np.arange(30), train_counts))
    labels = np.repeat(np.arange(30), 10)  # class-balanced test set
    logits = [(rng.normal(size=(300, 30)) + 2.5 * np.eye(30)[labels]).astype(np.float32) for _ in BACKBONES]
    priors = {b: rng.dirichlet(np.ones(30)) for b in BACKBONES}
    frame = ensemble.evaluate_ensembles(BACKBONES, logits, labels, classes, priors=priors).metrics
    sizes = classes["d_group"].value_counts()
    return frame, sizes


def test_all_is_the_class_weighted_mean_of_the_d_groups(metrics):
    frame, sizes = metrics
    weights = np.array([sizes[g] for g in splits.D_GROUPS]) / sizes.sum()
    for _, row in frame.iterrows():
        assert row["all"] == pytest.approx(weights @ row[["d_many", "d_medium", "d_few"]].to_numpy(float))


def test_paper_numbers_satisfy_the_same_identity():
    published = yaml.safe_load((REPO / "config" / "baselines.yaml").read_text())["imagenet_lt"]["paper"]
    weighted = 0.385 * published["d_many"] + 0.479 * published["d_medium"] + 0.136 * published["d_few"]
    assert weighted == pytest.approx(published["all"], abs=0.01)


def test_every_table_number_is_the_metric_it_came_from(metrics, tmp_path):
    frame, _ = metrics
    names = {"clip": "CLIP", "openclip": "OpenCLIP", "metaclip": "MetaCLIP"}
    t6 = tables.table6(frame, "clip", BACKBONES, EPOCHS, [{"method": "LiVT", "epochs": 100, "all": 60.9}], None)
    t8 = tables.table8(frame, BACKBONES, names)
    _write(t6, tmp_path / "table6")
    _write(t8, tmp_path / "table8")
    t6 = pd.read_csv(tmp_path / "table6.csv").set_index("Method")
    t8 = pd.read_csv(tmp_path / "table8.csv").fillna("")
    by_subset = frame.set_index("subset")
    for method, subset in [("LIFT (reproduced)", "clip"), ("Ours (reproduced)", "clip+openclip+metaclip")]:
        for key, column in tables.GROUP_COLUMNS.items():
            assert t6.loc[method, column] == round(by_subset.loc[subset, key], 2)
    assert t6.loc["LiVT", "All"] == 60.9 and np.isnan(t6.loc["LiVT", "D-Many"])
    assert len(t8) == 7 and t8["M"].tolist() == [1, 1, 1, 2, 2, 2, 3]
    for _, row in t8.iterrows():
        subset = "+".join(b for b in BACKBONES if row[names[b]] == tables.CHECK)
        for key, column in tables.GROUP_COLUMNS.items():
            assert row[column] == round(by_subset.loc[subset, key], 2)


def test_latex_is_booktabs_with_the_best_value_bold(metrics, tmp_path):
    frame, _ = metrics
    _write(tables.table8(frame, BACKBONES, dict(zip(BACKBONES, "ABC", strict=True))), tmp_path / "t8")
    tex = (tmp_path / "t8.tex").read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex and "\\checkmark" in tex
    best = frame["d_few"].max()
    assert f"\\textbf{{{best:.2f}}}" in tex


def test_table6_compares_with_the_paper_row(metrics):
    frame, _ = metrics
    paper = {"epochs": 10, "d_many": 82.21, "d_medium": 78.75, "d_few": 74.99, "all": 79.57}
    t6 = tables.table6(frame, "clip", BACKBONES, EPOCHS, [], paper).set_index("Method")
    ours = frame.set_index("subset").loc["clip+openclip+metaclip"]
    assert t6.loc["Reproduced - paper", "All"] == pytest.approx(ours["all"] - 79.57)
    assert pd.isna(t6.loc["Reproduced - paper", "P-Few"])


def test_table6_epochs_are_each_rows_own(metrics):
    frame, _ = metrics
    epochs = {"clip": 10, "openclip": 10, "metaclip": 20}  # one backbone overrides finetune.epochs
    t6 = tables.table6(frame, "clip", BACKBONES, epochs).set_index("Method")
    assert t6.loc["LIFT (reproduced)", "Epochs"] == 10
    assert t6.loc["Ours (reproduced)", "Epochs"] == 20


def test_table9_sums_member_costs_and_marks_the_frontier(metrics, tmp_path):
    frame, _ = metrics
    costs = {
        b: {"parameters": n, "trainable_parameters": 1, "gflops_per_image": n / 1e3, "images_per_second": 1e4 / n}
        for b, n in zip(BACKBONES, (100, 200, 400), strict=True)
    }
    t9 = tables.table9(frame, costs, BACKBONES, dict(zip(BACKBONES, "ABC", strict=True)))
    by_subset = frame.set_index("subset")
    assert t9["M"].tolist() == [1, 1, 1, 2, 2, 2, 3]
    for _, row in t9.iterrows():
        members = [b for b in BACKBONES if row[dict(zip(BACKBONES, "ABC", strict=True))[b]] == tables.CHECK]
        assert row["Params"] == sum(costs[b]["parameters"] for b in members)
        assert row["MFLOPs/image"] == pytest.approx(sum(costs[b]["parameters"] for b in members))
        assert row["Images/s"] == pytest.approx(1e4 / sum(costs[b]["parameters"] for b in members))  # time adds
        assert row["All"] == by_subset.loc["+".join(members), "all"]
        others = t9.drop(index=row.name)
        no_costlier = others[others["MFLOPs/image"] <= row["MFLOPs/image"]]
        as_good = no_costlier[no_costlier["All"] >= row["All"]]
        strictly = (as_good["MFLOPs/image"] < row["MFLOPs/image"]) | (as_good["All"] > row["All"])
        assert (row["Frontier"] == tables.CHECK) == (not strictly.any())
    assert t9.loc[0, "Frontier"] == tables.CHECK  # the cheapest subset is on the frontier
    _write(t9, tmp_path / "t9")
    assert "\\textbf{100.00}" in (tmp_path / "t9.tex").read_text()  # fewest FLOPs bold, not most
