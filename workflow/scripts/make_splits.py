"""Build, validate and write the train / val / test manifests of one dataset."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import make_splits

inputs = dict(snakemake.input.items())
make_splits.run(
    make_splits.Settings.from_params(
        snakemake.wildcards.dataset, snakemake.params.dataset, snakemake.params.root, snakemake.params.list_origins
    ),
    list_files={key: inputs[key] for key in snakemake.params.list_names if key in inputs},
    manifests=dict(zip(snakemake.params.splits, snakemake.output.manifests, strict=True)),
    classes_csv=snakemake.output.classes,
    report_json=snakemake.output.report,
    log=snakemake.log[0],
    threads=snakemake.threads,
)
