"""Write Table 6 and Table 8 of one dataset as CSV, Markdown and LaTeX."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import log, reports

log.setup(snakemake.log[0])
reports.make_tables(
    snakemake.input.metrics,
    snakemake.input.baselines,
    snakemake.wildcards.dataset,
    json.loads(snakemake.params.settings),
    Path(snakemake.output[0]).parent,
)
