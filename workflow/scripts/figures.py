"""Draw the figures of one dataset."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import log, reports

log.setup(snakemake.log[0])
reports.make_figures(
    snakemake.input.metrics,
    snakemake.input.per_class,
    snakemake.input.lift_prior,
    json.loads(snakemake.params.settings),
    dict(snakemake.output.items()),
)
