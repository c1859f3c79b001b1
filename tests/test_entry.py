"""The rule boundary: a job gets the rule's named files and params under their own names."""

import sys
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace

import pytest

from ltbias import config
from ltbias.jobs import entry


def _job(run):
    @dataclass(frozen=True)
    class Settings:
        prior: config.PriorConfig
        names: tuple[str, ...] = ()

    module = ModuleType("ltbias.jobs.fake")
    module.Settings, module.run = Settings, run
    return module


def test_files_params_and_typed_settings_reach_the_job_by_name():
    seen = {}

    def run(settings, *, test, knn_logits, metrics, root, log=None, threads=1):
        seen.update(settings=settings, test=test, knn_logits=knn_logits, metrics=metrics, root=root, threads=threads)

    entry.call(
        _job(run),
        inputs={"test": "t.csv", "knn_logits": ["a.npz", "b.npz"], "code": ["x.py"], "raw": "raw"},
        outputs={"metrics": "m.csv"},
        params={"job": "fake", "settings": {"prior": {"calibrate": False}, "names": ["a", "b"]}, "root": "/data"},
        threads=3,
        resources={"gpu": 1, "attempt": 2},  # taken only by jobs that take them
    )
    assert seen["settings"].prior == config.PriorConfig(calibrate=False) and seen["settings"].names == ("a", "b")
    assert seen["knn_logits"] == ["a.npz", "b.npz"] and seen["test"] == "t.csv" and seen["threads"] == 3
    assert seen["root"] == "/data" and seen["metrics"] == "m.csv"


def test_untracked_settings_are_merged_beneath_the_tracked_ones():
    seen = {}

    def run(settings, *, log=None):
        seen["settings"] = settings

    untracked = SimpleNamespace(settings={"prior": {"few_fraction": 0.25}})
    entry.call(_job(run), inputs={}, outputs={}, params={"settings": {"prior": {}}, "untracked": untracked})
    assert seen["settings"].prior.few_fraction == 0.25


def test_a_name_used_twice_and_a_bad_setting_are_refused():
    def run(settings, *, val, log=None):
        raise AssertionError("not reached")

    with pytest.raises(TypeError, match=r"\['val'\] named twice"):
        entry.call(_job(run), inputs={"val": "v.csv"}, outputs={"val": "v.npz"}, params={"settings": {"prior": {}}})
    with pytest.raises(ValueError, match=r"fake settings\.prior\.many_fraction: must be > 0"):
        entry.call(_job(run), inputs={}, outputs={}, params={"settings": {"prior": {"many_fraction": 0}}})


def test_every_rules_job_module_loads_and_has_a_run():
    from helpers import rule_jobs

    for job in sorted(set(rule_jobs().values())):
        module = entry.load(job)
        assert callable(module.run), job
        assert f"ltbias.jobs.{job}" in sys.modules


def test_every_job_module_loads_without_what_its_run_needs():
    """The workflow imports every job module on every parse, for its settings: torch, SciPy
    and matplotlib are imported where a job trains, solves or draws, or each dry run of the
    workflow pays seconds for them."""
    import subprocess

    from helpers import REPO, rule_jobs

    jobs = sorted(set(rule_jobs().values()))
    code = "import importlib, sys\n" + "".join(f"importlib.import_module('ltbias.jobs.{job}')\n" for job in jobs)
    code += "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'scipy', 'matplotlib'})))"
    result = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(REPO / "workflow")}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(jobs) > 15 and result.stdout.strip() == ""
