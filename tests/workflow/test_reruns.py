"""Reruns of only what changed: each test edits a finished micro run and dry-runs it."""

from smk import edit_yaml, planned_jobs, planned_wildcards, snakemake

MICRO = "tests/config/micro.yaml"


def _dry_run(checkout):
    result = snakemake(checkout, "--configfile", MICRO, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_one_backbones_learning_rate_reruns_only_its_chain(finished_copy):
    edit_yaml(finished_copy / MICRO, lambda c: c["backbones"]["toy_b"].update(finetune={"lr": 0.02}))
    result = _dry_run(finished_copy)
    assert planned_jobs(result) == {"finetune": 1, "logits": 1, "ensemble": 1, "tables": 1, "figures": 1, "all": 1}
    assert planned_wildcards(result, "finetune") == ["dataset=toy, backbone=toy_b"]
    assert planned_wildcards(result, "logits") == ["dataset=toy, backbone=toy_b"]


def test_a_table_formatting_option_reruns_only_the_tables(finished_copy):
    edit_yaml(finished_copy / MICRO, lambda c: c.update(tables={"decimals": 3}))
    assert planned_jobs(_dry_run(finished_copy)) == {"tables": 1, "all": 1}


def test_editing_the_training_module_reruns_the_fine_tunes(finished_copy):
    module = finished_copy / "workflow" / "ltbias" / "train.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    result = _dry_run(finished_copy)
    assert planned_jobs(result) == {"finetune": 3, "logits": 3, "ensemble": 1, "tables": 1, "figures": 1, "all": 1}


def test_editing_the_table_module_reruns_only_the_tables(finished_copy):
    module = finished_copy / "workflow" / "ltbias" / "tables.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    assert planned_jobs(_dry_run(finished_copy)) == {"tables": 1, "all": 1}


def test_touching_a_module_without_changing_it_reruns_nothing(finished_copy):
    (finished_copy / "workflow" / "ltbias" / "train.py").touch()
    assert planned_jobs(_dry_run(finished_copy)) == {}
