"""Preemption as Slurm delivers it: a signal to every process of the job step, Snakemake
included, then the step is torn down. The trainer must save the step it is on first."""

import os
import signal
import subprocess
import sys
import time

import torch

from smk import copy_checkout, snakemake

SLOW_FORWARD = """

import time as _time

_forward = LongTailClassifier.forward


def _slow_forward(self, images):  # a test's edit of its own copy: a trainer slow to reach its next step
    _time.sleep(0.5)
    return _forward(self, images)


LongTailClassifier.forward = _slow_forward
"""


def test_sigterm_to_the_whole_job_saves_the_current_step_and_the_rerun_resumes(tmp_path):
    checkout = copy_checkout(tmp_path / "ltbias")
    models = checkout / "workflow" / "ltbias" / "models.py"
    models.write_text(models.read_text() + SLOW_FORWARD)
    target = "results/toy/finetune/toy_a/checkpoint.pt"
    command = [sys.executable, "-m", "snakemake", target, "--cores", "2", "--workflow-profile", "none",
               "--configfile", "tests/config/micro.yaml"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=checkout, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    log = checkout / "logs" / "finetune" / "toy" / "toy_a.log"
    deadline = time.monotonic() + 600
    while not (log.is_file() and "epoch 0 step 2/" in log.read_text()):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[0][-3000:]
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGTERM)  # Slurm: --signal=TERM@300 reaches every process of the step
    output, _ = process.communicate(timeout=120)
    subprocess.run(["pkill", "-KILL", "-s", str(process.pid)], check=False)  # the step's teardown
    assert process.returncode != 0, output[-3000:]
    saved = torch.load(checkout / "results/toy/finetune/toy_a/resume.pt", weights_only=True)
    assert saved["epoch"] == 0 and saved["step"] >= 2  # where the signal landed, not an epoch's end
    assert f"stopped by signal at epoch 0 step {saved['step']}" in log.read_text()
    rerun = snakemake(checkout, target, "--configfile", "tests/config/micro.yaml")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"at epoch 0 step {saved['step']}" in log.read_text()  # resumed there
    # a new run's job is Snakemake's attempt 1 again: its log is appended to, the stop kept
    attempt = log.with_name("toy_a.attempt1.log").read_text()
    assert attempt.index("stopped by signal") < attempt.index("resuming from")
    assert not log.with_name("toy_a.attempt2.log").exists()
