"""Download an open_clip pretrained tag once into the weights cache (needs the internet)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import fetch_weights

fetch_weights.run(backbone_json=snakemake.input.backbone, weights=snakemake.output[0], log=snakemake.log[0])
