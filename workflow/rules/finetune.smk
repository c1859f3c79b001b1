"""LIFT fine-tuning of one backbone on one dataset (the GPU-hours of the paper)."""


rule finetune:
    input:
        backbone="results/backbones/{backbone}/backbone.json",
        weights=weights_file,
        train="results/{dataset}/splits/train.csv",
        classes="results/{dataset}/splits/classes.csv",
        raw=raw_input,
        code=script_code("finetune"),
    output:
        checkpoint="results/{dataset}/finetune/{backbone}/checkpoint.pt",
        history="results/{dataset}/finetune/{backbone}/history.json",
        provenance="results/{dataset}/finetune/{backbone}/provenance.json",
    log:
        "logs/finetune/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/finetune/{dataset}/{backbone}.tsv"
    retries: 1
    conda:
        "../../envs/torch.yaml"
    threads: compute("finetune", "threads")
    resources:
        gpu=compute("finetune", "gpu"),
        mem_mb=compute("finetune", "mem_mb"),
        runtime=compute("finetune", "runtime"),
    params:
        settings=finetune_params,
        root=dataset_root,
    script:
        "../scripts/finetune.py"
