"""The script of every rule: `ltbias.jobs.<job>`, named by the rule's `job` param, run with
the rule's named inputs, outputs and params (`ltbias.jobs.entry`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import entry

job = entry.load(snakemake.params["job"])
entry.call(
    job,
    inputs=dict(snakemake.input.items()),
    outputs=dict(snakemake.output.items()),
    params=dict(snakemake.params.items()),
    log=snakemake.log[0] if snakemake.log else None,
    threads=snakemake.threads,
    resources=dict(snakemake.resources.items()),
)
