"""`snakemake fig3 controls` on a finished micro run: the paper's Fig. 3 and the seed control,
next to the default run's results, which they leave untouched but for the claims table, whose
two claims they measure."""

import pandas as pd
import torch

from smk import edit_yaml, planned_jobs, snakemake

MICRO = "tests/config/micro.yaml"


def _ask_for_both(config: dict) -> None:
    config["datasets"]["toy"]["replicas"] = 2
    config["fig3"] = {"pefts": ["adaptformer", "vpt_deep"], "losses": ["ce", "la"]}


def test_fig3_and_controls_add_fine_tunes_and_leave_the_default_run_alone(finished_copy):
    edit_yaml(finished_copy / MICRO, _ask_for_both)
    results = finished_copy / "results"
    before = {p: p.stat().st_mtime_ns for p in results.rglob("*") if p.is_file()}
    assert planned_jobs(snakemake(finished_copy, "--configfile", MICRO, "--dry-run")) == {}  # seed 0 is the default run

    run = snakemake(finished_copy, "fig3", "controls", "--configfile", MICRO)
    assert run.returncode == 0, run.stderr[-3000:]
    claims = {p for p in before if p.name.startswith("claims.")}  # now with the claims these two measure
    assert {p: p.stat().st_mtime_ns for p in before if p not in claims} == {
        p: before[p] for p in before if p not in claims
    }
    measured = pd.read_csv(results / "toy/tables/claims.csv").set_index("Claim")
    assert measured.loc["LA closes the D gap", "Verdict (estimated prior)"] != "not run"
    assert measured.loc["different pre-training beats seeds", "Verdict (estimated prior)"] != "not run"
    assert planned_jobs(snakemake(finished_copy, "--configfile", MICRO, "--dry-run")) == {}  # claims are final
    report = snakemake(finished_copy, "--configfile", MICRO, "--report", "report.html")  # no target named
    assert report.returncode == 0, report.stderr[-3000:]
    html = (finished_copy / "report.html").read_text(encoding="utf-8", errors="replace")
    assert all(name in html for name in ("fig3.csv", "peft_loss_gaps.svg", "controls.csv", "claims.csv"))
    fig3 = pd.read_csv(results / "toy/tables/fig3.csv")
    assert fig3[["PEFT", "Loss"]].values.tolist() == [["AdaptFormer", "CE"], ["AdaptFormer", "LA"],
                                                      ["VPT-deep", "CE"], ["VPT-deep", "LA"]]  # fmt: skip
    default = pd.read_csv(results / "toy/ensembles/metrics.csv").query("subset == 'toy_a' and variant == 'uniform'")
    assert fig3.loc[1, "All"] == round(default.iloc[0]["all"], 2)  # the default run's cell, reused
    controls = pd.read_csv(results / "toy/tables/controls.csv").set_index("Method")
    assert {"2 seeds of Toy-A", "2 backbones minus 2 seeds"} <= set(controls.index)

    replica = results / "toy/replicas/toy_a/seed1"
    first = torch.load(results / "toy/finetune/toy_a/checkpoint.pt", weights_only=True)
    second = torch.load(replica / "checkpoint.pt", weights_only=True)
    assert first["config"]["seed"] == 0 and second["config"]["seed"] == 1
    assert not torch.equal(first["state"]["adapters"]["0.down.weight"], second["state"]["adapters"]["0.down.weight"])
