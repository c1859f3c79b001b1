"""The per-rule conda environments: light rules must not need torch, pins must agree."""

import re
import subprocess
import sys

import yaml

from helpers import REPO, rule_blocks, rule_jobs


def _light_jobs() -> list[str]:
    """The job modules of the rules whose conda env is envs/py-cpu.yaml, read from the rules."""
    blocks, jobs = rule_blocks(), rule_jobs()
    return sorted(f"ltbias.jobs.{jobs[rule]}" for rule, block in blocks.items() if "envs/py-cpu.yaml" in block)


def test_light_rules_import_without_torch():
    blocker = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'torchvision', 'open_clip'):\n"
        "            raise ImportError(f'{name} is not in envs/py-cpu.yaml')\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    light = _light_jobs()
    assert "ltbias.jobs.ensemble" in light and "ltbias.jobs.finetune" not in light
    imports = "\n".join(f"import {m}" for m in light)
    result = subprocess.run(
        [sys.executable, "-c", blocker + imports],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "workflow")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def _pins(text, separator):
    return dict(re.findall(rf"^\s*-?\s*([A-Za-z0-9_.\[\]-]+)\s*{separator}\s*([0-9][\w.]*)", text, flags=re.MULTILINE))


def test_conda_envs_pin_the_versions_the_tests_use():
    requirements = {k.lower().split("[")[0]: v for k, v in _pins((REPO / "requirements.txt").read_text(), "==").items()}
    conda_names = {"pytorch-gpu": "torch", "open-clip-torch": "open-clip-torch", "matplotlib-base": "matplotlib"}
    for env in ("torch.yaml", "py-cpu.yaml"):
        spec = yaml.safe_load((REPO / "envs" / env).read_text())
        assert spec["channels"] == ["conda-forge", "nodefaults"], env
        for dependency in spec["dependencies"]:
            name, version = (part.strip() for part in dependency.split("="))
            assert version, f"{env}: {name} is not pinned"
            package = conda_names.get(name, name)
            if package in requirements:
                assert requirements[package] == version, (
                    f"{env}: {name} ={version}, requirements.txt {requirements[package]}"
                )


def test_the_slurm_profile_and_the_cluster_docs_give_the_same_commands():
    header = (REPO / "profiles" / "slurm" / "profile.yaml").read_text().split("\nexecutor:")[0]
    commands = [line.removeprefix("#").strip() for line in header.splitlines() if line.startswith("#   ")]
    assert len(commands) >= 5, commands
    docs = (REPO / "docs" / "cluster.md").read_text()
    for command in commands:
        assert command in docs, f"profiles/slurm/profile.yaml says {command!r}; docs/cluster.md does not"


def test_both_profiles_leave_out_the_code_trigger_that_a_touched_job_script_fires():
    """`tests/workflow/test_reruns.py` runs the default profile; the Slurm one must agree."""
    triggers = {
        name: yaml.safe_load((REPO / "profiles" / name / "profile.yaml").read_text())["rerun-triggers"]
        for name in ("default", "slurm")
    }
    assert triggers["default"] == triggers["slurm"] == ["mtime", "params", "input", "software-env"]
