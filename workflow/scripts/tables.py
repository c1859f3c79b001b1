"""Write Tables 6, 8 and 9 and the zero-shot table of one dataset as CSV, Markdown and LaTeX."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import tables

tables.run(
    tables.Settings.from_params(snakemake.params.settings),
    metrics_csv=snakemake.input.metrics,
    comparisons_csv=snakemake.input.comparisons,
    baselines_yaml=snakemake.input.baselines,
    costs=snakemake.input.costs,
    table6={ext: snakemake.output[f"table6_{ext}"] for ext in snakemake.params.formats},
    table8={ext: snakemake.output[f"table8_{ext}"] for ext in snakemake.params.formats},
    table8_tte={ext: snakemake.output[f"table8_tte_{ext}"] for ext in snakemake.params.formats},
    table9={ext: snakemake.output[f"table9_{ext}"] for ext in snakemake.params.formats},
    zeroshot={ext: snakemake.output[f"zeroshot_{ext}"] for ext in snakemake.params.formats},
    log=snakemake.log[0],
)
