"""Pre-training priors and backdoor-adjusted ensembles of every subset of backbones."""


rule estimate_prior:
    input:
        zeroshot="results/{dataset}/zeroshot/{backbone}/val.npz",
        classes="results/{dataset}/splits/classes.csv",
        true_counts=lambda wc: (
            f"results/backbones/{wc.backbone}/pretrain_counts.csv"
            if "toy" in backbone_cfg(wc.backbone)["weights"]
            else []
        ),
        code=code_files("prior.py", "reports.py", "ensemble.py"),
    output:
        prior="results/{dataset}/prior/{backbone}.csv",
        info="results/{dataset}/prior/{backbone}.json",
    log:
        "logs/estimate_prior/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/estimate_prior/{dataset}/{backbone}.tsv"
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        settings=canonical(config["prior"]),
    script:
        "../scripts/estimate_prior.py"


rule ensemble:
    input:
        logits=lambda wc: expand(
            "results/{dataset}/logits/{backbone}/test.npz",
            dataset=wc.dataset,
            backbone=dataset_backbones(wc.dataset),
        ),
        priors=lambda wc: expand(
            "results/{dataset}/prior/{backbone}.csv",
            dataset=wc.dataset,
            backbone=dataset_backbones(wc.dataset),
        ),
        knn=lambda wc: expand(
            "results/{dataset}/logits/{backbone}/knn_test.npz",
            dataset=wc.dataset,
            backbone=dataset_backbones(wc.dataset),
        ),
        true_counts=true_counts_inputs,
        test="results/{dataset}/splits/test.csv",
        classes="results/{dataset}/splits/classes.csv",
        code=code_files("ensemble.py", "metrics.py", "prior.py", "reports.py"),
    output:
        metrics="results/{dataset}/ensembles/metrics.csv",
        per_class="results/{dataset}/ensembles/per_class.csv",
        dxp=directory("results/{dataset}/ensembles/dxp"),
        knn="results/{dataset}/ensembles/knn.csv",
    log:
        "logs/ensemble/{dataset}.log",
    benchmark:
        "benchmarks/ensemble/{dataset}.tsv"
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        backbones=lambda wc: canonical(dataset_backbones(wc.dataset)),
        settings=canonical(config["prior"]),
    script:
        "../scripts/ensemble.py"
