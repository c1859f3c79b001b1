"""Draw the figures of one dataset."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import figures

figures.run(
    figures.Settings.from_params(snakemake.params.settings),
    metrics_csv=snakemake.input.metrics,
    per_class_csv=snakemake.input.per_class,
    lift_prior_csv=snakemake.input.lift_prior,
    costs=snakemake.input.costs,
    per_class_accuracy=snakemake.output.per_class_accuracy,
    accuracy_vs_members=snakemake.output.accuracy_vs_members,
    dxp_gain=snakemake.output.dxp_gain,
    accuracy_vs_cost=snakemake.output.accuracy_vs_cost,
    log=snakemake.log[0],
)
