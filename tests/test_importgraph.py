"""A rule's code inputs are the files its job really imports, found without running it."""

from helpers import REPO
from ltbias.importgraph import module_closure

PACKAGE = REPO / "workflow" / "ltbias"


def test_closure_of_every_job_is_what_python_imports(job_imports):
    """Loading a job reads exactly the modules its closure without deferred imports names;
    the closure the rule tracks holds those and what `run` imports inside."""
    script = REPO / "workflow" / "scripts" / "job.py"
    assert len(job_imports) == 19
    for job, loaded in job_imports.items():
        modules = (f"ltbias.jobs.{job}",)
        on_load = [str(p.relative_to(PACKAGE)) for p in module_closure(script, PACKAGE, modules, deferred=False)]
        assert on_load == loaded, job
        assert set(on_load) <= {str(p.relative_to(PACKAGE)) for p in module_closure(script, PACKAGE, modules)}


def test_a_job_loads_no_torch_so_the_workflow_builds_settings_cheaply(job_imports):
    """The workflow imports every job module at parse time for its settings (`check_settings`)."""
    torch_side = {"backbones.py", "models.py", "inference.py", "train.py", "pretrain.py", "recovery.py"}
    for job, loaded in job_imports.items():
        assert not torch_side & set(loaded), job


def test_relative_absolute_nested_and_lazy_imports_and_data_folders(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "shapes").mkdir()
    (package / "shapes" / "a.json").write_text("{}")
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import leaf\n")
    (package / "sub" / "leaf.py").write_text("from ..base import x\n")
    (package / "base.py").write_text("x = 1\ndef f():\n    from pkg import lazy\n")
    (package / "lazy.py").write_text("FOLDER = 'shapes'\n")
    (package / "unused.py").write_text("")
    script = tmp_path / "script.py"
    script.write_text("import os\nfrom pkg.sub import leaf\n")
    closure = [str(p.relative_to(package)) for p in module_closure(script, package)]
    assert closure == ["__init__.py", "base.py", "lazy.py", "shapes/a.json", "sub/__init__.py", "sub/leaf.py"]
    on_load = [str(p.relative_to(package)) for p in module_closure(script, package, deferred=False)]
    assert on_load == ["__init__.py", "base.py", "sub/__init__.py", "sub/leaf.py"]  # lazy.py only when f runs
