"""Backbone weights: fetched once (login node) or pretrained in the toy world."""


# Only a missing download is fetched (`layout.fetched_tags`): a staged file, copied from another
# machine or staged before the library changed, is never fetched again.
rule fetch_weights:
    input:
        code=ancient(job_code("fetch_weights")),
    output:
        weights=f"{config['weights_dir']}/{{backbone}}.pt",
    log:
        "logs/fetch_weights/{backbone}.log",
    wildcard_constraints:
        backbone=layout.fetched_tags(config),
    priority: PRIORITY["weights"]
    localrule: True
    conda:
        "../../envs/torch.yaml"
    params:
        **job_params("fetch_weights"),
    script:
        JOB_SCRIPT


rule pretrain_toy:
    input:
        code=job_code("pretrain_toy"),
    output:
        weights="results/backbones/{backbone}/weights.pt",
        counts="results/backbones/{backbone}/pretrain_counts.csv",
        history="results/backbones/{backbone}/pretrain_history.json",
    log:
        "logs/pretrain_toy/{backbone}.log",
    benchmark:
        "benchmarks/pretrain_toy/{backbone}.tsv"
    wildcard_constraints:
        backbone=layout.toy_backbones(config),
    priority: PRIORITY["weights"]
    conda:
        "../../envs/torch.yaml"
    threads: compute("pretrain", "threads")
    resources:
        gpu=compute("pretrain", "gpu"),
        mem_mb=compute("pretrain", "mem_mb"),
        runtime=compute("pretrain", "runtime"),
    params:
        **job_params("pretrain_toy"),
    script:
        JOB_SCRIPT
