"""Estimate one backbone's pre-training label prior from its zero-shot val logits."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import log, reports

log.setup(snakemake.log[0])
reports.estimate_prior(
    snakemake.input.zeroshot,
    snakemake.input.val,
    snakemake.input.classes,
    json.loads(snakemake.params.settings),
    snakemake.output.prior,
    snakemake.output.info,
    true_counts_csv=next(iter(snakemake.input.true_counts), None),
)
