"""Cached logits: fine-tuned and zero-shot, one forward pass per backbone and split."""


rule logits:
    input:
        unpack(logits_inputs("results/{dataset}/finetune/{backbone}/checkpoint.pt")),
    output:
        val_logits="results/{dataset}/logits/{backbone}/val.npz",
        test_logits="results/{dataset}/logits/{backbone}/test.npz",
        test_tte_logits="results/{dataset}/logits/{backbone}/test_tte.npz",
        knn="results/{dataset}/logits/{backbone}/knn_test.npz",
        cost="results/{dataset}/logits/{backbone}/cost.json",
        provenance="results/{dataset}/logits/{backbone}/provenance.json",
    log:
        "logs/logits/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/logits/{dataset}/{backbone}.tsv"
    priority: PRIORITY["logits"]
    conda:
        "../../envs/torch.yaml"
    threads: compute("logits", "threads")
    resources:
        gpu=compute("logits", "gpu"),
        mem_mb=compute("logits", "mem_mb"),
        runtime=compute("logits", "runtime"),
    params:
        **job_params("logits"),
        root=dataset_root,
    script:
        JOB_SCRIPT


use rule logits as gla_train_logits with:
    input:
        unpack(logits_inputs("results/{dataset}/gla_train/{backbone}/checkpoint.pt")),
    output:
        val_logits="results/{dataset}/gla_train/{backbone}/logits/val.npz",
        test_logits="results/{dataset}/gla_train/{backbone}/logits/test.npz",
        test_tte_logits="results/{dataset}/gla_train/{backbone}/logits/test_tte.npz",
        knn="results/{dataset}/gla_train/{backbone}/logits/knn_test.npz",
        cost="results/{dataset}/gla_train/{backbone}/logits/cost.json",
        provenance="results/{dataset}/gla_train/{backbone}/logits/provenance.json",
    log:
        "logs/gla_train_logits/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/gla_train_logits/{dataset}/{backbone}.tsv"
    params:
        **job_params("logits"),
        root=dataset_root,


use rule logits as fig3_logits with:
    input:
        unpack(logits_inputs("results/{dataset}/fig3/{backbone}/{peft}-{loss}/checkpoint.pt")),
    output:
        val_logits="results/{dataset}/fig3/{backbone}/{peft}-{loss}/logits/val.npz",
        test_logits="results/{dataset}/fig3/{backbone}/{peft}-{loss}/logits/test.npz",
        test_tte_logits="results/{dataset}/fig3/{backbone}/{peft}-{loss}/logits/test_tte.npz",
        knn="results/{dataset}/fig3/{backbone}/{peft}-{loss}/logits/knn_test.npz",
        cost="results/{dataset}/fig3/{backbone}/{peft}-{loss}/logits/cost.json",
        provenance="results/{dataset}/fig3/{backbone}/{peft}-{loss}/logits/provenance.json",
    log:
        "logs/fig3_logits/{dataset}/{backbone}/{peft}-{loss}.log",
    benchmark:
        "benchmarks/fig3_logits/{dataset}/{backbone}/{peft}-{loss}.tsv"
    wildcard_constraints:
        peft="|".join(PEFTS),
        loss="|".join(LOSSES),
    params:
        **job_params("logits"),
        root=dataset_root,


use rule logits as replica_logits with:
    input:
        unpack(logits_inputs("results/{dataset}/replicas/{backbone}/seed{seed}/checkpoint.pt")),
    output:
        val_logits="results/{dataset}/replicas/{backbone}/seed{seed}/logits/val.npz",
        test_logits="results/{dataset}/replicas/{backbone}/seed{seed}/logits/test.npz",
        test_tte_logits="results/{dataset}/replicas/{backbone}/seed{seed}/logits/test_tte.npz",
        knn="results/{dataset}/replicas/{backbone}/seed{seed}/logits/knn_test.npz",
        cost="results/{dataset}/replicas/{backbone}/seed{seed}/logits/cost.json",
        provenance="results/{dataset}/replicas/{backbone}/seed{seed}/logits/provenance.json",
    log:
        "logs/replica_logits/{dataset}/{backbone}/seed{seed}.log",
    benchmark:
        "benchmarks/replica_logits/{dataset}/{backbone}/seed{seed}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    params:
        **job_params("logits"),
        root=dataset_root,


rule zeroshot_logits:
    input:
        weights=weights_file,
        val="results/{dataset}/splits/val.csv",
        test="results/{dataset}/splits/test.csv",
        classes="results/{dataset}/splits/classes.csv",
        raw=raw_input,
        code=job_code("zeroshot_logits"),
    output:
        val_logits="results/{dataset}/zeroshot/{backbone}/val.npz",
        test_logits="results/{dataset}/zeroshot/{backbone}/test.npz",
        test_tte_logits="results/{dataset}/zeroshot/{backbone}/test_tte.npz",
        provenance="results/{dataset}/zeroshot/{backbone}/provenance.json",
    log:
        "logs/zeroshot_logits/{dataset}/{backbone}.log",
    benchmark:
        "benchmarks/zeroshot_logits/{dataset}/{backbone}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: compute("logits", "threads")
    resources:
        gpu=compute("logits", "gpu"),
        mem_mb=compute("logits", "mem_mb"),
        runtime=compute("logits", "runtime"),
    params:
        **job_params("zeroshot_logits"),
        root=dataset_root,
    script:
        JOB_SCRIPT
