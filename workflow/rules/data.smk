"""Raw data and long-tailed split manifests."""


rule render_toy:
    input:
        code=job_code("render_toy"),
    output:
        raw=directory("results/{dataset}/raw"),
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
        **job_params("render_toy"),
    script:
        JOB_SCRIPT


rule fetch_list:
    input:
        local=local_list,
        code=ancient(job_code("fetch_list")),
    output:
        staged="resources/lists/{listed}",
    log:
        "logs/fetch_list/{listed}.log",
    wildcard_constraints:
        listed=layout.fetched_lists(config),
    priority: PRIORITY["lists"]  # seconds: a failed weight download must not hold it back
    localrule: True
    conda:
        "../../envs/py-cpu.yaml"
    params:
        **job_params("fetch_list"),
    script:
        JOB_SCRIPT


rule make_splits:
    input:
        unpack(list_inputs),
        raw=raw_input,
        class_names=class_names_file,
        code=job_code("make_splits"),
    output:
        train="results/{dataset}/splits/train.csv",
        val="results/{dataset}/splits/val.csv",
        test="results/{dataset}/splits/test.csv",
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
        **job_params("make_splits"),
    script:
        JOB_SCRIPT
