"""Cache one backbone's zero-shot logits on val and test."""

import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # weights are local files by now: set before huggingface_hub loads
sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import zeroshot_logits

zeroshot_logits.run(
    zeroshot_logits.Settings.from_params(snakemake.params.settings),
    backbone_json=snakemake.input.backbone,
    weights=snakemake.input.weights,
    root=snakemake.params.root,
    val_csv=snakemake.input.val,
    test_csv=snakemake.input.test,
    classes_csv=snakemake.input.classes,
    val_logits=snakemake.output.val,
    test_logits=snakemake.output.test,
    provenance_json=snakemake.output.provenance,
    log=snakemake.log[0],
    threads=snakemake.threads,
    gpus=snakemake.resources.get("gpu", 0),
)
