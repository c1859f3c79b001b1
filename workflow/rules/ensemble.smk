"""Pre-training priors and backdoor-adjusted ensembles of every subset of backbones."""


rule estimate_prior:
    input:
        zeroshot="results/{dataset}/zeroshot/{backbone}/val.npz",
        val="results/{dataset}/splits/val.csv",
        classes="results/{dataset}/splits/classes.csv",
        true_counts=lambda wc: layout.true_counts(config, wc.dataset, [wc.backbone]),
        code=job_code("estimate_prior"),
    output:
        prior="results/{dataset}/prior/{backbone}.csv",
        info="results/{dataset}/prior/{backbone}.json",
    log:
        "logs/estimate_prior/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/estimate_prior/{dataset}/{backbone}.tsv"
    localrule: True  # seconds: not worth a cluster job
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        **job_params("estimate_prior"),
    script:
        JOB_SCRIPT


rule ensemble:
    input:
        test_logits=member_files("results/{dataset}/logits/{backbone}/test.npz"),
        test_tte_logits=member_files("results/{dataset}/logits/{backbone}/test_tte.npz"),
        val_logits=member_files("results/{dataset}/logits/{backbone}/val.npz"),
        zeroshot_logits=member_files("results/{dataset}/zeroshot/{backbone}/test.npz"),
        zeroshot_tte_logits=member_files("results/{dataset}/zeroshot/{backbone}/test_tte.npz"),
        knn_logits=member_files("results/{dataset}/logits/{backbone}/knn_test.npz"),
        priors=member_files("results/{dataset}/prior/{backbone}.csv"),
        true_counts=lambda wc: layout.true_counts(config, wc.dataset, members(wc)),
        train="results/{dataset}/splits/train.csv",
        val="results/{dataset}/splits/val.csv",
        test="results/{dataset}/splits/test.csv",
        classes="results/{dataset}/splits/classes.csv",
        code=job_code("ensemble"),
    output:
        metrics="results/{dataset}/ensembles/metrics.csv",
        comparisons="results/{dataset}/ensembles/comparisons.csv",
        adjustments="results/{dataset}/ensembles/adjustments.json",
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
        **job_params("ensemble"),
    script:
        JOB_SCRIPT
