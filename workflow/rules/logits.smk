"""Cached logits: fine-tuned and zero-shot, one forward pass per backbone and split."""


rule logits:
    input:
        checkpoint="results/{dataset}/finetune/{backbone}/checkpoint.pt",
        weights=weights_file,
        manifests=expand("results/{{dataset}}/splits/{split}.csv", split=EVAL_SPLITS),
        raw=raw_input,
        code=script_code("logits"),
    output:
        logits=expand(
            "results/{{dataset}}/logits/{{backbone}}/{split}.npz", split=EVAL_SPLITS
        ),
        knn="results/{dataset}/logits/{backbone}/knn_test.npz",
        provenance="results/{dataset}/logits/{backbone}/provenance.json",
    log:
        "logs/logits/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/logits/{dataset}/{backbone}.tsv"
    retries: 1
    conda:
        "../../envs/torch.yaml"
    threads: compute("logits", "threads")
    resources:
        gpu=compute("logits", "gpu"),
        mem_mb=compute("logits", "mem_mb"),
        runtime=compute("logits", "runtime"),
    params:
        settings=canonical({"evaluation": config["evaluation"]}),
        root=dataset_root,
        splits=EVAL_SPLITS,
    script:
        "../scripts/logits.py"


rule zeroshot_logits:
    input:
        backbone="results/backbones/{backbone}/backbone.json",
        weights=weights_file,
        manifests=expand("results/{{dataset}}/splits/{split}.csv", split=EVAL_SPLITS),
        classes="results/{dataset}/splits/classes.csv",
        raw=raw_input,
        code=script_code("zeroshot_logits"),
    output:
        logits=expand(
            "results/{{dataset}}/zeroshot/{{backbone}}/{split}.npz", split=EVAL_SPLITS
        ),
        provenance="results/{dataset}/zeroshot/{backbone}/provenance.json",
    log:
        "logs/zeroshot_logits/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/zeroshot_logits/{dataset}/{backbone}.tsv"
    retries: 1
    conda:
        "../../envs/torch.yaml"
    threads: compute("logits", "threads")
    resources:
        gpu=compute("logits", "gpu"),
        mem_mb=compute("logits", "mem_mb"),
        runtime=compute("logits", "runtime"),
    params:
        settings=canonical(
            {"evaluation": config["evaluation"], "prompt": config["prompt"]}
        ),
        root=dataset_root,
        splits=EVAL_SPLITS,
    script:
        "../scripts/zeroshot_logits.py"
