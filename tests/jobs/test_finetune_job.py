"""The fine-tuning stage: crashes and preemption lose nothing, bad images are named."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from PIL import Image
from run_finetune import SETTINGS, run

from helpers import REPO, TOY_MODEL
from ltbias import backbones, data, splits, toyworld

JOB = Path(__file__).with_name("run_finetune.py")
pytestmark = pytest.mark.workflow  # runs the job as a process, as its rule does


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """Toy weights, a raw dataset and its manifests, as the finetune rule receives them."""
    root = tmp_path_factory.mktemp("finetune")
    world = toyworld.ToyWorld(colors=dict(list(toyworld.DEFAULT_COLORS.items())[:3]), patterns=("plain", "striped"))
    toyworld.write_raw_dataset(world, root / "raw", {"train": 7})
    folders = [n.replace(" ", "_") for n in world.class_names]
    manifest = splits.folder_manifest(root / "raw", "train", folders)
    classes = splits.class_table(world.class_names, manifest["label"])
    splits.write_splits(
        {"train": manifest}, classes, manifests={"train": root / "train.csv"}, classes_csv=root / "classes.csv"
    )
    torch.manual_seed(0)
    torch.save(backbones.random_clip(TOY_MODEL).state_dict(), root / "weights.pt")
    return root


def _start(
    workdir: Path, checkpoint: Path, step_seconds: float = 0.0, code: Path = REPO / "workflow"
) -> subprocess.Popen:
    """Run the job with the `ltbias` package found in `code`."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(code), str(REPO / "tests")])}
    command = [sys.executable, str(JOB), str(workdir), str(checkpoint), str(step_seconds)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen) -> str:
    """Wait for a successful exit; return the job's log (stderr)."""
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return err


def _wait_for_state(state: Path, process: subprocess.Popen, epoch: int, min_step: int) -> dict:
    """Poll the resume state until it is inside `epoch` at or after `min_step`."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()[-3000:]
        if state.is_file():
            try:
                saved = torch.load(state, weights_only=True)
            except (RuntimeError, EOFError):  # replaced while reading
                continue
            if saved["epoch"] == epoch and saved["step"] >= min_step:
                return saved
        time.sleep(0.05)
    raise TimeoutError(f"no training state at epoch {epoch} step >= {min_step}")


@pytest.fixture(scope="module")
def reference_run(workdir, tmp_path_factory) -> Path:
    """The checkpoint of an uninterrupted run (history and provenance beside it)."""
    checkpoint = tmp_path_factory.mktemp("reference") / "checkpoint.pt"
    _finish(_start(workdir, checkpoint))
    return checkpoint


@pytest.fixture(scope="module")
def reference(reference_run) -> dict:
    return torch.load(reference_run, weights_only=True)["state"]


def _assert_same_weights(checkpoint: Path, reference: dict) -> None:
    state = torch.load(checkpoint, weights_only=True)["state"]
    for part in ("adapters", "head"):
        for name, value in reference[part].items():
            assert torch.equal(state[part][name], value), f"{part}.{name}"


def test_the_same_run_twice_gives_a_byte_identical_checkpoint(workdir, reference_run, tmp_path):
    checkpoint = tmp_path / "elsewhere" / "checkpoint.pt"
    _finish(_start(workdir, checkpoint))
    assert checkpoint.read_bytes() == reference_run.read_bytes()


def test_sigkill_mid_epoch_then_rerun_equals_an_uninterrupted_run(workdir, reference, tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    process = _start(workdir, checkpoint, step_seconds=0.15)
    saved = _wait_for_state(tmp_path / "resume.pt", process, epoch=1, min_step=2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert not checkpoint.exists()
    assert 0 < saved["step"] < 6  # 42 images in batches of 8: 6 steps per epoch
    log = _finish(_start(workdir, checkpoint))
    assert "resuming from" in log  # it did not just train again from scratch
    _assert_same_weights(checkpoint, reference)
    assert not (tmp_path / "resume.pt").exists()  # removed once the checkpoint is written


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1])
def test_stop_signal_checkpoints_exits_non_zero_and_resumes(workdir, reference, reference_run, tmp_path, signum):
    checkpoint = tmp_path / "checkpoint.pt"
    process = _start(workdir, checkpoint, step_seconds=0.15)
    _wait_for_state(tmp_path / "resume.pt", process, epoch=0, min_step=2)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "INFO ltbias: stopped by signal at epoch" in err  # a planned stop, not an uncaught error
    assert "uncaught exception" not in err and "Traceback" not in err
    stopped = torch.load(tmp_path / "resume.pt", weights_only=True)
    assert (stopped["epoch"], stopped["step"]) >= (0, 2)
    log = _finish(_start(workdir, checkpoint))
    assert f"resuming from {tmp_path / 'resume.pt'} at epoch {stopped['epoch']} step {stopped['step']}" in log
    _assert_same_weights(checkpoint, reference)
    # the interruption leaves a trace, and the interrupted epoch's record covers all its images
    resumes = json.loads(checkpoint.with_suffix(".provenance.json").read_text())["resumes"]
    assert [(r["epoch"], r["step"]) for r in resumes] == [(stopped["epoch"], stopped["step"])]
    exact = ("epoch", "images", "train_acc", "lr", "loss")
    history = json.loads(checkpoint.with_suffix(".history.json").read_text())
    uninterrupted = json.loads(reference_run.with_suffix(".history.json").read_text())
    assert [{k: e[k] for k in exact} for e in history] == [{k: e[k] for k in exact} for e in uninterrupted]


def test_a_state_from_another_configuration_is_set_aside(workdir, reference, tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    torch.save({"fingerprint": "something else", "epoch": 2, "step": 3}, tmp_path / "resume.pt")
    log = _finish(_start(workdir, checkpoint))
    assert "lacks" in log and "training starts fresh" in log
    assert len(list(tmp_path.glob("resume.unreadable-*.pt"))) == 1
    _assert_same_weights(checkpoint, reference)
    history = json.loads(checkpoint.with_suffix(".history.json").read_text())
    assert [h["epoch"] for h in history] == [0, 1, 2]


def test_a_resume_across_a_training_code_edit_starts_fresh(workdir, reference, tmp_path):
    code = tmp_path / "code"
    shutil.copytree(REPO / "workflow" / "ltbias", code / "ltbias", ignore=shutil.ignore_patterns("__pycache__"))
    checkpoint = tmp_path / "checkpoint.pt"
    process = _start(workdir, checkpoint, step_seconds=0.15, code=code)
    _wait_for_state(tmp_path / "resume.pt", process, epoch=1, min_step=2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    train = code / "ltbias" / "train.py"
    train.write_text(train.read_text() + "\n# an edit\n")
    log = _finish(_start(workdir, checkpoint, code=code))
    assert "belongs to a different configuration, code" in log and "resuming from" not in log
    assert len(list(tmp_path.glob("resume.mismatch-*.pt"))) == 1  # kept for inspection
    _assert_same_weights(checkpoint, reference)


def test_a_corrupt_state_is_moved_aside_and_the_job_succeeds(workdir, reference, tmp_path):
    state = tmp_path / "resume.pt"
    torch.save({"fingerprint": "x", "model": torch.zeros(1000)}, state)
    state.write_bytes(state.read_bytes()[:700])  # what a full disk or a killed copy leaves
    damaged = state.read_bytes()
    checkpoint = tmp_path / "checkpoint.pt"
    log = _finish(_start(workdir, checkpoint))
    assert f"training state {state} cannot be read" in log
    (aside,) = tmp_path.glob("resume.unreadable-*.pt")
    assert aside.read_bytes() == damaged
    _assert_same_weights(checkpoint, reference)


def test_the_gla_train_loss_needs_a_prior_and_the_la_loss_refuses_one(workdir, tmp_path):
    gla = SETTINGS | {"finetune": SETTINGS["finetune"] | {"loss": "gla"}}
    with pytest.raises(ValueError, match=r"finetune\.loss: 'gla' needs the backbone's estimated prior"):
        run(workdir, gla, tmp_path / "gla.pt")
    classes = pd.read_csv(workdir / "classes.csv")
    prior = tmp_path / "prior.csv"
    classes[["label", "class_name"]].assign(prior=1 / len(classes)).to_csv(prior, index=False)
    with pytest.raises(ValueError, match=r"finetune\.loss: 'la' takes no pre-training prior"):
        run(workdir, SETTINGS, tmp_path / "la.pt", pretrain_prior=prior)
    assert not list(tmp_path.glob("*.pt"))


def test_corrupt_jpeg_is_named_and_can_be_skipped(workdir, tmp_path):
    shutil.copytree(workdir, tmp_path / "job")
    job = tmp_path / "job"
    Image.new("RGB", (32, 32), "red").save(job / "raw" / "bad.jpg")
    (job / "raw" / "bad.jpg").write_bytes((job / "raw" / "bad.jpg").read_bytes()[:60])  # truncated JPEG
    manifest = pd.read_csv(job / "train.csv")
    manifest.loc[5, "path"] = "bad.jpg"
    manifest.to_csv(job / "train.csv", index=False)
    settings = json.loads(json.dumps(SETTINGS))
    settings["finetune"] |= {"epochs": 1, "checkpoint_every_steps": 0}
    with pytest.raises(data.BadImageError, match=r"cannot decode image .*bad\.jpg \(manifest row 5\)"):
        run(job, settings, tmp_path / "strict" / "ckpt.pt")
    assert not (tmp_path / "strict" / "ckpt.pt").exists()
    settings["finetune"] |= {"max_bad_images": 1, "epochs": 2}
    run(job, settings, tmp_path / "lenient" / "ckpt.pt")
    provenance = json.loads((tmp_path / "lenient" / "ckpt.provenance.json").read_text())
    assert provenance["bad_images"] == 1
    assert "bad.jpg" in provenance["skipped_images"][0]
