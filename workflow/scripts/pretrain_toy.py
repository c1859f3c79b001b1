"""Pretrain one toy backbone contrastively on its long-tailed caption corpus."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import config, files, log, pretrain, runtime, toyworld

log.setup(snakemake.log[0])
runtime.set_threads(snakemake.threads)
backbone = files.load_json(snakemake.input.backbone)
world = toyworld.ToyWorld.from_dict(json.loads(snakemake.params.world))
cfg = config.from_dict(config.PretrainConfig, json.loads(snakemake.params.pretrain), "toy_pretrain")
state, counts, history = pretrain.pretrain(backbone["model"], world, cfg, backbone["preprocess"])
files.save_torch(snakemake.output.weights, state)
files.save_csv(snakemake.output.counts, counts)
files.save_json(snakemake.output.history, history)
