"""A small fine-tune through the `finetune` job, run as a subprocess by the resume tests.

    python tests/jobs/run_finetune.py WORKDIR OUT_CHECKPOINT [STEP_SECONDS]

WORKDIR holds what the `workdir` fixture of test_finetune_job.py wrote. STEP_SECONDS slows every training
step so that a test can interrupt the run part-way through an epoch.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ltbias import models
from ltbias.jobs import entry, finetune

SETTINGS = {
    "backbone": {"key": "toy", "model": "ltbias-toy-vit", "weights": {"toy": {}}},
    "finetune": {"epochs": 3, "batch_size": 8, "lr": 0.05, "crop_scale": [0.5, 1.0], "checkpoint_every_steps": 1},
    "prompt": "a photo of a {}.",
}


def run(workdir: Path, settings: dict, checkpoint: Path, pretrain_prior: Path | None = None) -> None:
    """The finetune job on the inputs in `workdir`; history and provenance beside `checkpoint`."""
    inputs = {"weights": workdir / "weights.pt"} | {name: workdir / f"{name}.csv" for name in ("train", "classes")}
    if pretrain_prior is not None:
        inputs["prior"] = pretrain_prior
    outputs = {
        "checkpoint": checkpoint,
        "history": checkpoint.with_suffix(".history.json"),
        "provenance": checkpoint.with_suffix(".provenance.json"),
    }
    entry.call(finetune, inputs=inputs, outputs=outputs, params={"settings": settings, "root": workdir / "raw"})


def main(workdir: Path, checkpoint: Path, step_seconds: float) -> None:
    if step_seconds:
        forward = models.LongTailClassifier.forward

        def slow(self, images):
            time.sleep(step_seconds)
            return forward(self, images)

        models.LongTailClassifier.forward = slow
    print("started", flush=True)
    run(workdir, SETTINGS, checkpoint)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
