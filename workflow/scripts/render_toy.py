"""Render the toy world's class-balanced raw dataset as image folders."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import log, toyworld

log.setup(snakemake.log[0])
world = toyworld.ToyWorld.from_dict(json.loads(snakemake.params.world))
images_per_class = json.loads(snakemake.params.images_per_class)
toyworld.write_raw_dataset(world, snakemake.output[0], images_per_class)
