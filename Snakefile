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


onstart:
    clear_fatal()


rule all:
    default_target: True
    input:
        with_missing_intermediates(final_outputs()),


# `snakemake stage`, where there is internet: fetch and print every file the run needs
# from outside, so that the run itself needs no network (README: "Offline nodes").
rule stage:
    input:
        unpack(stage_inputs),
        code=job_code("stage"),
    log:
        "logs/stage.log",
    localrule: True
    conda:
        "envs/py-cpu.yaml"
    script:
        "workflow/scripts/job.py"
