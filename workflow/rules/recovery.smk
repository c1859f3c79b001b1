"""`snakemake prior_recovery`: on the toy world, how well the paper's prior estimator
recovers each backbone's known pre-training prior, and what limits it."""


rule recovery_point:
    input:
        code=job_code("recovery_point"),
    output:
        measured="results/{dataset}/prior_recovery/{point}/{backbone}.json",
    log:
        "logs/recovery_point/{dataset}/{point}/{backbone}.log",
    benchmark:
        "benchmarks/recovery_point/{dataset}/{point}/{backbone}.tsv"
    wildcard_constraints:
        backbone=layout.toy_backbones(config),
    conda:
        "../../envs/torch.yaml"
    threads: compute("pretrain", "threads")
    resources:
        gpu=compute("pretrain", "gpu"),
        mem_mb=compute("pretrain", "mem_mb"),
        runtime=compute("pretrain", "runtime"),
    params:
        **job_params("recovery_point"),
    script:
        JOB_SCRIPT


rule recovery_table:
    input:
        measured=lambda wc: expand(
            "results/{dataset}/prior_recovery/{point}/{backbone}.json",
            dataset=wc.dataset,
            point=experiment.recovery_points(config),
            backbone=experiment.dataset_backbones(config, wc.dataset),
        ),
        code=job_code("recovery_table"),
    output:
        prior_recovery_csv=table_output("prior_recovery", "csv"),
        prior_recovery_md=table_output("prior_recovery", "md"),
        prior_recovery_tex=table_output("prior_recovery", "tex"),
        figure=figure_output("prior_recovery"),
    log:
        "logs/recovery_table/{dataset}.log",
    benchmark:
        "benchmarks/recovery_table/{dataset}.tsv"
    localrule: True  # seconds: not worth a cluster job
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        **job_params("recovery_table"),
    script:
        JOB_SCRIPT


# `snakemake prior_recovery`: the sweep on every dataset whose true pre-training priors are known
rule prior_recovery:
    input:
        layout.analysis_outputs(config, "prior_recovery"),
