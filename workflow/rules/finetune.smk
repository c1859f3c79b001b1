"""LIFT fine-tuning of one backbone on one dataset (the GPU-hours of the paper), the same
with the GLA-Train loss for Tables 3 and 4, and with other PEFT methods and losses for the
paper's Fig. 3."""


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        checkpoint="results/{dataset}/finetune/{backbone}/checkpoint.pt",
        history="results/{dataset}/finetune/{backbone}/history.json",
        provenance="results/{dataset}/finetune/{backbone}/provenance.json",
    log:
        "logs/finetune/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/finetune/{dataset}/{backbone}.tsv"
    priority: PRIORITY["finetune"]
    conda:
        "../../envs/torch.yaml"
    threads: compute("finetune", "threads")
    resources:
        gpu=compute("finetune", "gpu"),
        mem_mb=compute("finetune", "mem_mb"),
        runtime=compute("finetune", "runtime"),
        attempt=lambda wildcards, attempt: attempt,  # numbers the attempt's own log
    params:
        **job_params("finetune"),
        root=dataset_root,
    script:
        JOB_SCRIPT


use rule finetune as gla_train with:
    input:
        unpack(lambda wildcards: finetune_inputs(wildcards, loss="gla")),
    output:
        checkpoint="results/{dataset}/gla_train/{backbone}/checkpoint.pt",
        history="results/{dataset}/gla_train/{backbone}/history.json",
        provenance="results/{dataset}/gla_train/{backbone}/provenance.json",
    log:
        "logs/gla_train/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/gla_train/{dataset}/{backbone}.tsv"
    params:
        **job_params("finetune", loss="gla"),
        root=dataset_root,


use rule finetune as fig3_finetune with:
    input:
        unpack(lambda wildcards: finetune_inputs(wildcards, loss=wildcards.loss)),
    output:
        checkpoint="results/{dataset}/fig3/{backbone}/{peft}-{loss}/checkpoint.pt",
        history="results/{dataset}/fig3/{backbone}/{peft}-{loss}/history.json",
        provenance="results/{dataset}/fig3/{backbone}/{peft}-{loss}/provenance.json",
    log:
        "logs/fig3_finetune/{dataset}/{backbone}/{peft}-{loss}.log",
    benchmark:
        "benchmarks/fig3_finetune/{dataset}/{backbone}/{peft}-{loss}.tsv"
    wildcard_constraints:
        peft="|".join(PEFTS),
        loss="|".join(LOSSES),
    params:
        **job_params("finetune"),
        root=dataset_root,


use rule finetune as replica_finetune with:
    input:
        unpack(finetune_inputs),
    output:
        checkpoint="results/{dataset}/replicas/{backbone}/seed{seed}/checkpoint.pt",
        history="results/{dataset}/replicas/{backbone}/seed{seed}/history.json",
        provenance="results/{dataset}/replicas/{backbone}/seed{seed}/provenance.json",
    log:
        "logs/replica_finetune/{dataset}/{backbone}/seed{seed}.log",
    benchmark:
        "benchmarks/replica_finetune/{dataset}/{backbone}/seed{seed}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    params:
        **job_params("finetune"),
        root=dataset_root,
