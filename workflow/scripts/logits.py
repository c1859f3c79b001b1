"""Cache one fine-tuned backbone's logits on val and test, and its kNN probe."""

import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # weights are local files by now: set before huggingface_hub loads
sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import logits

logits.run(
    logits.Settings.from_params(snakemake.params.settings),
    checkpoint=snakemake.input.checkpoint,
    weights=snakemake.input.weights,
    root=snakemake.params.root,
    val_csv=snakemake.input.val,
    test_csv=snakemake.input.test,
    val_logits=snakemake.output.val,
    test_logits=snakemake.output.test,
    test_tte_logits=snakemake.output.test_tte,
    knn=snakemake.output.knn,
    cost_json=snakemake.output.cost,
    provenance_json=snakemake.output.provenance,
    log=snakemake.log[0],
    threads=snakemake.threads,
    gpus=snakemake.resources.get("gpu", 0),
)
