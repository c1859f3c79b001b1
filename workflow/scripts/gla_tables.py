"""Write Table 3 (LA, GLA-Train, GLA post-hoc) and Table 4 (kNN accuracy) of one dataset."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from ltbias.jobs import gla_tables

gla_tables.run(
    gla_tables.Settings.from_params(snakemake.params.settings),
    la_logits={"single": snakemake.input.la_test, "tte": snakemake.input.la_test_tte},
    gla_train_logits={"single": snakemake.input.gla_train_test, "tte": snakemake.input.gla_train_test_tte},
    la_knn=snakemake.input.la_knn,
    gla_train_knn=snakemake.input.gla_train_knn,
    prior_csv=snakemake.input.prior,
    test_csv=snakemake.input.test,
    classes_csv=snakemake.input.classes,
    table3={ext: snakemake.output[f"table3_{ext}"] for ext in snakemake.params.formats},
    table4={ext: snakemake.output[f"table4_{ext}"] for ext in snakemake.params.formats},
    log=snakemake.log[0],
)
