"""Download an open_clip pretrained tag once into the weights cache (needs the internet)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import backbones, log

log.setup(snakemake.log[0])
backbone = json.loads(snakemake.params.backbone)
backbones.fetch_pretrained(backbone["model"], backbone["weights"]["tag"], snakemake.output[0])
