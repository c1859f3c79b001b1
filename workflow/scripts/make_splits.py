"""Build, validate and write the train / val / test manifests of one dataset."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias import files, log, prepare, splits

log.setup(snakemake.log[0])
inputs = dict(snakemake.input.items())
list_files = {k: inputs[k] for k in snakemake.params.list_names if k in inputs}
frames, classes, report = prepare.prepare_splits(
    json.loads(snakemake.params.dataset),
    snakemake.wildcards.dataset,
    snakemake.params.root,
    list_files,
    threads=snakemake.threads,
    origins=json.loads(snakemake.params.list_origins),
)
splits.write_splits(Path(snakemake.output.classes).parent, frames, classes)
files.save_json(snakemake.output.report, report)
