"""Provenance: what a record holds, and a code digest that follows the code."""

import subprocess
import sys

from ltbias import provenance


def test_a_record_names_config_versions_and_times():
    started = provenance.now()
    record = provenance.record({"lr": 0.1}, started, device="cpu")
    assert record["config"] == {"lr": 0.1} and record["device"] == "cpu"
    assert record["started"] == started and record["finished"] >= started
    assert set(provenance.package_versions()) >= {"torch", "numpy", "pandas"}
    assert record["packages"]["numpy"] is not None


def _digest(package_dir, module):
    script = f"import sys; sys.path.insert(0, {str(package_dir)!r}); import {module}; "
    script += "from ltbias import provenance; print(provenance.code_digest())"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout


def test_the_code_digest_covers_the_loaded_modules_only(tmp_path):
    import shutil

    from helpers import REPO

    shutil.copytree(REPO / "workflow" / "ltbias", tmp_path / "ltbias", ignore=shutil.ignore_patterns("__pycache__"))
    before = _digest(tmp_path, "ltbias.subsets")
    (tmp_path / "ltbias" / "tables.py").write_text("# not loaded by the probe\n", encoding="utf-8")
    assert _digest(tmp_path, "ltbias.subsets") == before
    with open(tmp_path / "ltbias" / "subsets.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    assert _digest(tmp_path, "ltbias.subsets") != before
