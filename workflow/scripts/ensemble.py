"""Evaluate the backdoor-adjusted ensemble of every subset of a dataset's backbones."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import log, reports

log.setup(snakemake.log[0])
reports.ensemble_metrics(
    json.loads(snakemake.params.backbones),
    list(snakemake.input.logits),
    snakemake.input.test,
    snakemake.input.classes,
    list(snakemake.input.priors),
    list(snakemake.input.true_counts),
    list(snakemake.input.knn),
    json.loads(snakemake.params.settings),
    dict(snakemake.output.items()),
)
