"""Cache one backbone's zero-shot logits on the evaluated splits."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import log, stages

log.setup(snakemake.log[0])
splits = snakemake.params.splits
stages.zeroshot_logits(
    snakemake.input.backbone,
    snakemake.input.weights,
    snakemake.params.root,
    dict(zip(splits, snakemake.input.manifests, strict=True)),
    snakemake.input.classes,
    json.loads(snakemake.params.settings),
    dict(zip(splits, snakemake.output.logits, strict=True)) | {"provenance": snakemake.output.provenance},
    threads=snakemake.threads,
)
