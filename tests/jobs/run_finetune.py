"""A small fine-tune through `stages.finetune`, run as a subprocess by the resume tests.

    python tests/finetune_job.py WORKDIR OUT_CHECKPOINT [STEP_SECONDS]

WORKDIR holds what `prepare_finetune_inputs` wrote. STEP_SECONDS slows every training
step so that a test can interrupt the run part-way through an epoch.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ltbias import log, models, stages

SETTINGS = {
    "finetune": {"epochs": 3, "batch_size": 8, "lr": 0.05, "crop_scale": [0.5, 1.0], "checkpoint_every_steps": 1},
    "prompt": "a photo of a {}.",
}


def main(workdir: Path, checkpoint: Path, step_seconds: float) -> None:
    log.setup()
    if step_seconds:
        forward = models.LongTailClassifier.forward

        def slow(self, images):
            time.sleep(step_seconds)
            return forward(self, images)

        models.LongTailClassifier.forward = slow
    print("started", flush=True)
    stages.finetune(
        workdir / "backbone.json",
        workdir / "weights.pt",
        workdir / "raw",
        workdir / "train.csv",
        workdir / "classes.csv",
        json.loads(json.dumps(SETTINGS)),
        {
            "checkpoint": str(checkpoint),
            "history": str(checkpoint.with_suffix(".history.json")),
            "provenance": str(checkpoint.with_suffix(".provenance.json")),
        },
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
