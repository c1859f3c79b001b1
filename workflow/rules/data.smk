"""Raw data and long-tailed split manifests."""


rule render_toy:
    input:
        code=script_code("render_toy"),
    output:
        directory("results/{dataset}/raw"),
    log:
        "logs/render_toy/{dataset}.log",
    benchmark:
        "benchmarks/render_toy/{dataset}.tsv"
    priority: PRIORITY["data"]
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        world=canonical(config["toy_world"]),
        images_per_class=lambda wc: canonical(toy_images_per_class(wc)),
    script:
        "../scripts/render_toy.py"


rule fetch_list:
    input:
        local=local_list,
        code=script_code("fetch_list"),
    output:
        "resources/lists/{dataset}/{name}",
    log:
        "logs/fetch_list/{dataset}/{name}.log",
    priority: PRIORITY["check"]  # seconds: a failed weight download must not hold it back
    localrule: True
    conda:
        "../../envs/py-cpu.yaml"
    params:
        source=lambda wc: canonical(dataset_cfg(wc)["lists"][wc.name]),
    script:
        "../scripts/fetch_list.py"


rule make_splits:
    input:
        unpack(list_inputs),
        raw=raw_input,
        class_names=class_names_file,
        code=script_code("make_splits"),
    output:
        manifests=expand("results/{{dataset}}/splits/{split}.csv", split=SPLITS),
        classes="results/{dataset}/splits/classes.csv",
        report="results/{dataset}/splits/report.json",
    log:
        "logs/make_splits/{dataset}.log",
    benchmark:
        "benchmarks/make_splits/{dataset}.tsv"
    priority: PRIORITY["data"]
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        dataset=split_params,
        root=dataset_root,
        splits=SPLITS,
        list_names=LIST_NAMES,
        list_origins=lambda wc: canonical(list_origins(wc)),
    script:
        "../scripts/make_splits.py"
