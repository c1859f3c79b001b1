"""Check one backbone's model, weight source and activation; record its preprocessing."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import backbones, files, log

log.setup(snakemake.log[0])
backbone = json.loads(snakemake.params.backbone)
backbones.check_backbone(snakemake.wildcards.backbone, backbone)
files.save_json(snakemake.output[0], backbone | {"preprocess": backbones.preprocess_config(backbone)})
