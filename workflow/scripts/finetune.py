"""Fine-tune one backbone on one dataset with the LIFT recipe."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import log, stages

log.setup(snakemake.log[0])
stages.finetune(
    snakemake.input.backbone,
    snakemake.input.weights,
    snakemake.params.root,
    snakemake.input.train,
    snakemake.input.classes,
    json.loads(snakemake.params.settings),
    dict(snakemake.output.items()),
    threads=snakemake.threads,
    where=f"finetune (backbone {snakemake.wildcards.backbone})",
)
