"""Backbone weights: checked, fetched once (login node) or pretrained in the toy world."""


rule check_backbone:
    input:
        code=job_code("check_backbone"),
    output:
        backbone="results/backbones/{backbone}/backbone.json",
    log:
        "logs/check_backbone/{backbone}.log",
    benchmark:
        "benchmarks/check_backbone/{backbone}.tsv"
    priority: PRIORITY["check"]
    localrule: True
    conda:
        "../../envs/torch.yaml"
    params:
        settings=backbone_settings,
    script:
        JOB_SCRIPT


# Fetches are tracked by their settings only (code `ancient`): a file staged on another
# machine, or before the library changed, is never fetched again (README: "Offline nodes").
rule fetch_weights:
    input:
        code=ancient(job_code("fetch_weights")),
    output:
        weights=f"{config['weights_dir']}/{{backbone}}.pt",
    log:
        "logs/fetch_weights/{backbone}.log",
    priority: PRIORITY["weights"]
    localrule: True
    conda:
        "../../envs/torch.yaml"
    params:
        settings=fetch_settings,
    script:
        JOB_SCRIPT


rule pretrain_toy:
    input:
        backbone="results/backbones/{backbone}/backbone.json",
        code=job_code("pretrain_toy"),
    output:
        weights="results/backbones/{backbone}/weights.pt",
        counts="results/backbones/{backbone}/pretrain_counts.csv",
        history="results/backbones/{backbone}/pretrain_history.json",
    log:
        "logs/pretrain_toy/{backbone}.log",
    benchmark:
        "benchmarks/pretrain_toy/{backbone}.tsv"
    priority: PRIORITY["weights"]
    conda:
        "../../envs/torch.yaml"
    threads: compute("pretrain", "threads")
    resources:
        gpu=compute("pretrain", "gpu"),
        mem_mb=compute("pretrain", "mem_mb"),
        runtime=compute("pretrain", "runtime"),
    params:
        settings=pretrain_settings,
    script:
        JOB_SCRIPT
