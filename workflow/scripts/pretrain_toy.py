"""Pretrain one toy backbone contrastively on its long-tailed caption corpus."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import pretrain_toy

pretrain_toy.run(
    pretrain_toy.Settings.from_params(snakemake.params.world, snakemake.params.pretrain),
    backbone_json=snakemake.input.backbone,
    weights=snakemake.output.weights,
    counts_csv=snakemake.output.counts,
    history_json=snakemake.output.history,
    log=snakemake.log[0],
    threads=snakemake.threads,
)
