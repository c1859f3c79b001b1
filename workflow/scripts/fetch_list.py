"""Stage one split list or class-name file: copy or download, then verify its sha256."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import fetch_list

where = f"datasets.{snakemake.wildcards.dataset}.lists.{snakemake.wildcards.name}"
fetch_list.run(
    fetch_list.Settings.from_params(snakemake.params.source, where),
    staged=snakemake.output[0],
    log=snakemake.log[0],
)
