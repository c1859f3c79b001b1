"""No stale result after a failed job: a job killed on every attempt (as an OOM kill
would: its process only) is planned again with everything after it, whatever changed."""

import pytest
from test_reruns import MICRO, _dry_run, _plan

from smk import edit_yaml, planned_jobs, snakemake

# the job's run() kills its own process (the workflow imports job modules to build settings)
KILL = "\nimport os, signal\n\ndef run(*args, **kwargs):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
# every stage, killed together with the stages that neither feed nor read it: one run for all
STAGES = [
    ("render_toy", "pretrain_toy"),
    ("make_splits",),
    ("finetune", "zeroshot_logits"),
    ("logits", "estimate_prior"),
    ("ensemble",),
    ("tables", "claims", "figures"),
]


def _run_killing(checkout, *rules):
    """Run with the rules' job modules edited so that running one kills its own process."""
    modules = {checkout / "workflow" / "ltbias" / "jobs" / f"{rule}.py": None for rule in rules}
    for module in modules:
        modules[module] = module.read_text()
        module.write_text(modules[module] + KILL)
    try:
        result = snakemake(checkout, "--configfile", MICRO, "--retries", "1", "--keep-going")
    finally:
        for module, original in modules.items():
            module.write_text(original)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Trying to restart" in output
    assert all(f"Error in rule {rule}:" in output for rule in rules)  # none waited on another


@pytest.mark.parametrize("rules", STAGES, ids="+".join)
def test_a_stage_killed_after_a_code_edit_is_planned_again_with_everything_after_it(finished_copy, rules):
    """The edit is the kill itself; with the code restored, only the missing outputs are left."""
    expected = _plan(_dry_run(finished_copy, "--forcerun", *rules))
    _run_killing(finished_copy, *rules)
    assert _plan(_dry_run(finished_copy)) == expected


def test_fine_tunes_killed_after_a_parameter_change_are_planned_again(finished_copy):
    """The issue's case: a new learning rate, and the fine-tunes (all three: the kill is a
    code edit) die; the old logits, ensembles and tables must not stand."""
    edit_yaml(finished_copy / MICRO, lambda c: c["backbones"]["toy_b"].update(finetune={"lr": 0.02}))
    _run_killing(finished_copy, "finetune")
    assert planned_jobs(_dry_run(finished_copy)) == {
        "finetune": 3, "logits": 3, "ensemble": 1, "tables": 1, "claims": 1, "figures": 1, "all": 1
    }  # fmt: skip


def test_a_deleted_cache_is_rebuilt_with_what_follows(finished_copy):
    (finished_copy / "results" / "toy" / "logits" / "toy_c" / "test.npz").unlink()
    plan = planned_jobs(_dry_run(finished_copy))
    assert plan == {"logits": 1, "ensemble": 1, "tables": 1, "claims": 1, "figures": 1, "all": 1}


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (
            lambda c: (
                c["datasets"]["toy"]["backbones"].append("toy_d"),
                c["backbones"].update(toy_d={"model": "ltbias-toy-vit", "weights": {"file": "gone.pt"}}),
            ),
            "backbones.toy_d.weights.file: gone.pt does not exist",
        ),
        (
            lambda c: c["datasets"].update(mine={"source": "folder", "root": "no/data", "backbones": ["toy_a"]}),
            "datasets.mine.root: no/data is not a folder",
        ),
    ],
)
def test_a_missing_path_stops_a_finished_run_naming_its_key(finished_copy, edit, key):
    edit_yaml(finished_copy / MICRO, edit)
    result = snakemake(finished_copy, "--configfile", MICRO, "--dry-run")
    assert result.returncode != 0
    assert key in result.stdout + result.stderr


def test_the_checkpoint_frequency_reruns_nothing(finished_copy):
    edit_yaml(finished_copy / MICRO, lambda c: c["finetune"].update(checkpoint_every_steps=7, log_every_steps=1))
    assert planned_jobs(_dry_run(finished_copy)) == {}
