"""The documentation of results/ is checked against what the rules declare."""

import re

import yaml

from helpers import REPO
from ltbias.config import LOSSES, PEFTS
from smk import copy_checkout, edit_yaml, snakemake

MICRO = "tests/config/micro.yaml"


def test_results_readme_lists_every_output_the_rules_declare(tmp_path):
    checkout = copy_checkout(tmp_path / "ltbias")
    edit_yaml(checkout / MICRO, lambda config: config["datasets"]["toy"].update(replicas=2))
    plan = snakemake(checkout, "all", "table3", "fig3", "controls", "--configfile", MICRO, "--dry-run", "--forceall")
    assert plan.returncode == 0, plan.stderr[-3000:]
    micro = yaml.safe_load((REPO / MICRO).read_text())
    names = {d: "{dataset}" for d in micro["datasets"]} | {b: "{backbone}" for b in micro["backbones"]}
    names |= {f"{peft}-{loss}": "{peft}-{loss}" for peft in PEFTS for loss in LOSSES}  # the Fig. 3 cells
    names["seed1"] = "seed{N}"  # a replica
    outputs = {
        path
        for line in re.findall(r"^\s+output: (.*)$", plan.stdout + plan.stderr, flags=re.MULTILINE)
        for path in line.split(", ")
        if path.startswith("results/")
    }
    assert len(outputs) > 40
    readme = (REPO / "results" / "README.md").read_text()
    missing = []
    for path in sorted(outputs):
        parts = [names.get(p, p) for p in path.removeprefix("results/").split("/")]
        stem, dot, extension = parts[-1].partition(".")
        folder, name = "/".join(parts[:-1]) + "/", names.get(stem, stem) + dot + extension  # prior/{backbone}.csv
        whole = rf"(?<!\w){re.escape(name)}(?!\w)"
        grouped = rf"(?<!\w){re.escape(stem)}\.(\{{|\*)"  # table9.csv is listed as table9.{csv,md,tex}
        shown = re.search(whole, readme) or re.search(grouped, readme)
        if not (shown and (folder in readme or parts[-2] + "/" in readme)):
            missing.append(path)
    assert not missing, f"results/README.md does not list {missing}"


def test_list_changes_params_still_lists_unchanged_jobs_as_the_readme_warns(finished_copy):
    """Snakemake's `--list-changes params` lists outputs of unchanged jobs; `-n` is right.
    When this test fails, Snakemake fixed it: say so in docs/reruns.md."""
    checkout, target = finished_copy, "results/backbones/toy_a/weights.pt"
    plan = snakemake(checkout, target, "--configfile", MICRO, "--dry-run")
    assert "Nothing to be done" in plan.stdout + plan.stderr
    listed = snakemake(checkout, target, "--configfile", MICRO, "--list-changes", "params")
    assert "results/backbones/toy_a/" in listed.stdout  # an output of the unchanged job
    assert "--list-changes params" in (REPO / "docs" / "reruns.md").read_text()
