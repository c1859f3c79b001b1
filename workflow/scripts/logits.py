"""Cache one fine-tuned backbone's logits on the evaluated splits."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import log, stages

log.setup(snakemake.log[0])
splits = snakemake.params.splits
stages.logits(
    snakemake.input.checkpoint,
    snakemake.input.weights,
    snakemake.params.root,
    dict(zip(splits, snakemake.input.manifests, strict=True)),
    json.loads(snakemake.params.settings),
    dict(zip(splits, snakemake.output.logits, strict=True))
    | {"knn": snakemake.output.knn, "provenance": snakemake.output.provenance},
    threads=snakemake.threads,
)
