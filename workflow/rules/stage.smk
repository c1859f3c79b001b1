"""Staging for runs without network: every file a config needs from outside, fetched and
listed with its sha256."""


# `snakemake stage`, where there is internet: fetch and print every file the run needs
# from outside, so that the run itself needs no network (docs/own-data.md: "Offline nodes").
rule stage:
    input:
        unpack(stage_inputs),
        code=job_code("stage"),
    log:
        "logs/stage.log",
    localrule: True
    conda:
        "../../envs/py-cpu.yaml"
    params:
        **job_params("stage"),
    script:
        JOB_SCRIPT
