"""Fine-tune one backbone on one dataset with the LIFT recipe."""

import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # weights are local files by now: set before huggingface_hub loads
sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import finetune

finetune.run(
    finetune.Settings.from_params(
        snakemake.params.settings,
        f"backbones.{snakemake.wildcards.backbone}.finetune",
        untracked=snakemake.params.untracked.json,
    ),
    backbone_json=snakemake.input.backbone,
    weights=snakemake.input.weights,
    root=snakemake.params.root,
    train_csv=snakemake.input.train,
    classes_csv=snakemake.input.classes,
    checkpoint=snakemake.output.checkpoint,
    history=snakemake.output.history,
    provenance_json=snakemake.output.provenance,
    pretrain_prior=snakemake.input.get("prior"),
    log=snakemake.log[0],
    attempt=snakemake.resources.attempt,
    threads=snakemake.threads,
    gpus=snakemake.resources.get("gpu", 0),
)
