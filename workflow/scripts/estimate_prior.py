"""Estimate one backbone's pre-training label prior from its zero-shot val logits."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import estimate_prior

estimate_prior.run(
    estimate_prior.Settings.from_params(snakemake.params.settings),
    zeroshot_val=snakemake.input.zeroshot,
    val_csv=snakemake.input.val,
    classes_csv=snakemake.input.classes,
    prior_csv=snakemake.output.prior,
    info_json=snakemake.output.info,
    true_counts_csv=next(iter(snakemake.input.true_counts), None),
    log=snakemake.log[0],
)
