"""Reruns of only what changed: each test edits a finished micro run and dry-runs it."""

from helpers import rule_jobs
from smk import edit_yaml, planned_jobs, planned_wildcards, snakemake

MICRO = "tests/config/micro.yaml"


def _dry_run(checkout, *args, profile="none"):
    result = snakemake(checkout, "--configfile", MICRO, "--dry-run", *args, profile=profile)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _plan(result) -> dict[str, list[str]]:
    """rule -> the wildcards of each planned job."""
    return {rule: planned_wildcards(result, rule) for rule in planned_jobs(result)}


def test_editing_a_package_file_reruns_exactly_the_rules_whose_jobs_read_it(finished_copy, job_imports):
    """The expectation comes from what Python reads when it loads each job (not from the
    workflow's import graph): the plan of forcing those rules on the unedited run.

    `test_importgraph` checks every rule's code inputs file by file against Python; this
    shows that Snakemake reruns exactly by them, on the package files whose readers span
    the cases: a file no job reads (lineage.py), one every job reads (files.py), the job
    module with the fewest readers and one in between. Only the rules of the default target
    count: the others (`stage`, `table3`'s, `fig3`'s, `controls`') are not in its plan,
    edited or not."""
    package = finished_copy / "workflow" / "ltbias"
    planned = set(planned_jobs(_dry_run(finished_copy, "--forceall")))
    jobs = {rule: job for rule, job in rule_jobs().items() if rule in planned}
    edited = [*sorted((package / "jobs").glob("[a-z]*.py")), package / "files.py", package / "lineage.py"]
    by_readers = {}
    for path in edited:
        name = str(path.relative_to(package))
        by_readers.setdefault(frozenset(rule for rule, job in jobs.items() if name in job_imports[job]), path)
    assert len(by_readers) >= 12 and frozenset() in by_readers  # lineage.py: no job reads it
    assert max(by_readers, key=len) == frozenset(jobs)  # files.py: every job reads it
    sizes = sorted(by_readers, key=len)
    for readers in {sizes[0], sizes[1], sizes[len(sizes) // 2], sizes[-1]}:
        path = by_readers[readers]
        expected = _plan(_dry_run(finished_copy, "--forcerun", *sorted(readers))) if readers else {}
        original = path.read_bytes()
        path.write_bytes(original + b"\n# an edit\n")
        try:
            assert _plan(_dry_run(finished_copy)) == expected, path.name
        finally:
            path.write_bytes(original)
    assert _plan(_dry_run(finished_copy)) == {}  # restoring the content reruns nothing


def test_one_backbones_learning_rate_reruns_only_its_chain(finished_copy):
    edit_yaml(finished_copy / MICRO, lambda c: c["backbones"]["toy_b"].update(finetune={"lr": 0.02}))
    result = _dry_run(finished_copy)
    assert planned_jobs(result) == {
        "finetune": 1, "logits": 1, "ensemble": 1, "tables": 1, "claims": 1, "figures": 1, "all": 1
    }  # fmt: skip
    assert planned_wildcards(result, "finetune") == ["dataset=toy, backbone=toy_b"]
    assert planned_wildcards(result, "logits") == ["dataset=toy, backbone=toy_b"]


def test_a_table_formatting_option_reruns_only_the_tables(finished_copy):
    edit_yaml(finished_copy / MICRO, lambda c: c.update(tables={"decimals": 3}))
    assert planned_jobs(_dry_run(finished_copy)) == {"tables": 1, "claims": 1, "all": 1}


def test_editing_the_training_module_reruns_only_the_fine_tunes_and_what_follows(finished_copy):
    module = finished_copy / "workflow" / "ltbias" / "train.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    assert planned_jobs(_dry_run(finished_copy)) == {
        "finetune": 3, "logits": 3, "ensemble": 1, "tables": 1, "claims": 1, "figures": 1, "all": 1
    }  # fmt: skip


def test_editing_the_table_module_reruns_only_the_tables(finished_copy):
    module = finished_copy / "workflow" / "ltbias" / "tables.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    plan = planned_jobs(_dry_run(finished_copy))
    assert plan == {"tables": 1, "claims": 1, "all": 1}  # figures read tradeoff, not tables


def test_editing_the_figure_module_reruns_only_the_figures(finished_copy):
    module = finished_copy / "workflow" / "ltbias" / "figures.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    assert planned_jobs(_dry_run(finished_copy)) == {"figures": 1, "all": 1}


def test_touching_a_module_without_changing_it_reruns_nothing(finished_copy):
    (finished_copy / "workflow" / "ltbias" / "train.py").touch()
    assert planned_jobs(_dry_run(finished_copy)) == {}


def test_the_job_script_reruns_every_rule_when_edited_and_none_when_touched(finished_copy):
    """Every rule runs `workflow/scripts/job.py`. Snakemake's `code` trigger reruns them all
    once its mtime is newer than an output (a checkout that rewrites it, a copy); the profiles
    leave that trigger out, and the script is a checksummed code input of every rule."""
    script = finished_copy / "workflow" / "scripts" / "job.py"
    script.touch()
    plain = _dry_run(finished_copy)  # without the profile
    assert "code has changed" in (plain.stdout + plain.stderr).lower()
    assert planned_jobs(_dry_run(finished_copy, profile="profiles/default")) == {}
    everything = planned_jobs(_dry_run(finished_copy, "--forceall", profile="profiles/default"))
    script.write_text(script.read_text() + "\n# an edit\n")
    assert planned_jobs(_dry_run(finished_copy, profile="profiles/default")) == everything
