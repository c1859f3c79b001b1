"""Stage one split list or class-name file: copy or download, then verify its sha256."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import fetch, log

log.setup(snakemake.log[0])
where = f"datasets.{snakemake.wildcards.dataset}.lists.{snakemake.wildcards.name}"
fetch.fetch_file(json.loads(snakemake.params.source), snakemake.output[0], where)
