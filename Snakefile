# ltbias: long-tailed fine-tuning of foundation models and backdoor-adjusted ensembles.
# Default config: the toy world (config/config.yaml). `--configfile X` replaces it
# instead of merging into it, so a paper config never inherits the toy backbones.
from snakemake.utils import min_version

min_version("9.20")


if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/backbones.smk"
include: "workflow/rules/finetune.smk"
include: "workflow/rules/logits.smk"
include: "workflow/rules/ensemble.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/recovery.smk"
include: "workflow/rules/stage.smk"


check_settings()


onstart:
    refuse_placeholders()
    clear_fatal()


rule all:
    default_target: True
    input:
        with_missing_intermediates(layout.final_outputs(config)),
