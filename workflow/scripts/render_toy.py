"""Render the toy world's class-balanced raw dataset as image folders."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import render_toy

render_toy.run(
    render_toy.Settings.from_params(snakemake.params.world, snakemake.params.images_per_class),
    raw_dir=snakemake.output[0],
    log=snakemake.log[0],
)
