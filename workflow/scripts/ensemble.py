"""Evaluate the backdoor-adjusted ensemble of every subset of a dataset's backbones."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import ensemble

ensemble.run(
    ensemble.Settings.from_params(snakemake.params.settings),
    test_logits=list(snakemake.input.logits),
    test_tte_logits=list(snakemake.input.tte_logits),
    val_logits=list(snakemake.input.val_logits),
    zeroshot_logits=list(snakemake.input.zeroshot),
    knn=list(snakemake.input.knn),
    priors=list(snakemake.input.priors),
    true_counts=list(snakemake.input.true_counts),
    test_csv=snakemake.input.test,
    val_csv=snakemake.input.val,
    classes_csv=snakemake.input.classes,
    metrics_csv=snakemake.output.metrics,
    comparisons_csv=snakemake.output.comparisons,
    adjustments_json=snakemake.output.adjustments,
    per_class_csv=snakemake.output.per_class,
    dxp_dir=snakemake.output.dxp,
    knn_csv=snakemake.output.knn,
    log=snakemake.log[0],
    threads=snakemake.threads,
)
