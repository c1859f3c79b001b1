"""Check one backbone's model, weight source and activation; record its preprocessing."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import check_backbone

check_backbone.run(
    check_backbone.Settings.from_params(snakemake.wildcards.backbone, snakemake.params.backbone),
    backbone_json=snakemake.output[0],
    log=snakemake.log[0],
)
