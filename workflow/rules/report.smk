"""Tables 6, 8 and 9, Tables 3 and 4 (target `table3`), figures, and their entries in
`snakemake --report`."""


rule tables:
    input:
        metrics="results/{dataset}/ensembles/metrics.csv",
        comparisons="results/{dataset}/ensembles/comparisons.csv",
        baselines=config["baselines"],
        costs=member_files("results/{dataset}/logits/{backbone}/cost.json"),
        code=job_code("tables"),
    output:
        table6_csv=table_output("table6", "csv"),
        table6_md=table_output("table6", "md"),
        table6_tex=table_output("table6", "tex"),
        table8_csv=table_output("table8", "csv"),
        table8_md=table_output("table8", "md"),
        table8_tex=table_output("table8", "tex"),
        table8_tte_csv=table_output("table8_tte", "csv"),
        table8_tte_md=table_output("table8_tte", "md"),
        table8_tte_tex=table_output("table8_tte", "tex"),
        table9_csv=table_output("table9", "csv"),
        table9_md=table_output("table9", "md"),
        table9_tex=table_output("table9", "tex"),
        zeroshot_csv=table_output("zeroshot", "csv"),
        zeroshot_md=table_output("zeroshot", "md"),
        zeroshot_tex=table_output("zeroshot", "tex"),
        members_csv=table_output("members", "csv"),
        members_md=table_output("members", "md"),
        members_tex=table_output("members", "tex"),
    log:
        "logs/tables/{dataset}.log",
    benchmark:
        "benchmarks/tables/{dataset}.tsv"
    localrule: True  # seconds: not worth a cluster job
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        **job_params("tables"),
    script:
        JOB_SCRIPT


rule figures:
    input:
        metrics="results/{dataset}/ensembles/metrics.csv",
        per_class="results/{dataset}/ensembles/per_class.csv",
        lift_prior=lift_file("results/{dataset}/prior/{backbone}.csv"),
        costs=member_files("results/{dataset}/logits/{backbone}/cost.json"),
        code=job_code("figures"),
    output:
        per_class_accuracy=figure_output("per_class_accuracy"),
        accuracy_vs_members=figure_output("accuracy_vs_members"),
        dxp_gain=figure_output("dxp_gain"),
        accuracy_vs_cost=figure_output("accuracy_vs_cost"),
    log:
        "logs/figures/{dataset}.log",
    benchmark:
        "benchmarks/figures/{dataset}.tsv"
    localrule: True  # seconds: not worth a cluster job
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        **job_params("figures"),
    script:
        JOB_SCRIPT


rule claims:
    input:
        test_logits=member_files("results/{dataset}/logits/{backbone}/test.npz"),
        priors=member_files("results/{dataset}/prior/{backbone}.csv"),
        true_counts=lambda wc: layout.true_counts(config, wc.dataset, members(wc)),
        cross_entropy=lambda wc: analysis_files(layout.cross_entropy_cells(config, wc.dataset), "fig3"),
        controls=lambda wc: analysis_files([f"results/{wc.dataset}/tables/controls.csv"], "controls"),
        test="results/{dataset}/splits/test.csv",
        classes="results/{dataset}/splits/classes.csv",
        code=job_code("claims"),
    output:
        claims_csv=table_output("claims", "csv"),
        claims_md=table_output("claims", "md"),
        claims_tex=table_output("claims", "tex"),
    log:
        "logs/claims/{dataset}.log",
    benchmark:
        "benchmarks/claims/{dataset}.tsv"
    localrule: True  # seconds: not worth a cluster job
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        **job_params("claims"),
    script:
        JOB_SCRIPT


rule gla_tables:
    input:
        la_test=lift_file("results/{dataset}/logits/{backbone}/test.npz"),
        la_test_tte=lift_file("results/{dataset}/logits/{backbone}/test_tte.npz"),
        la_knn=lift_file("results/{dataset}/logits/{backbone}/knn_test.npz"),
        gla_train_test=lift_file("results/{dataset}/gla_train/{backbone}/logits/test.npz"),
        gla_train_test_tte=lift_file("results/{dataset}/gla_train/{backbone}/logits/test_tte.npz"),
        gla_train_knn=lift_file("results/{dataset}/gla_train/{backbone}/logits/knn_test.npz"),
        zeroshot_test=lift_file("results/{dataset}/zeroshot/{backbone}/test.npz"),
        zeroshot_test_tte=lift_file("results/{dataset}/zeroshot/{backbone}/test_tte.npz"),
        prior=lift_file("results/{dataset}/prior/{backbone}.csv"),
        test="results/{dataset}/splits/test.csv",
        classes="results/{dataset}/splits/classes.csv",
        code=job_code("gla_tables"),
    output:
        table3_csv=table_output("table3", "csv"),
        table3_md=table_output("table3", "md"),
        table3_tex=table_output("table3", "tex"),
        table4_csv=table_output("table4", "csv"),
        table4_md=table_output("table4", "md"),
        table4_tex=table_output("table4", "tex"),
    log:
        "logs/gla_tables/{dataset}.log",
    benchmark:
        "benchmarks/gla_tables/{dataset}.tsv"
    localrule: True  # seconds: not worth a cluster job
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        **job_params("gla_tables"),
    script:
        JOB_SCRIPT


rule table3:
    input:
        with_missing_intermediates(layout.analysis_outputs(config, "table3")),


rule peft_loss_gaps:
    input:
        cells=lambda wc: list(layout.fig3_files(config, wc.dataset).values()),
        prior=lift_file("results/{dataset}/prior/{backbone}.csv"),
        test="results/{dataset}/splits/test.csv",
        classes="results/{dataset}/splits/classes.csv",
        code=job_code("peft_loss_gaps"),
    output:
        fig3_csv=table_output("fig3", "csv"),
        fig3_md=table_output("fig3", "md"),
        fig3_tex=table_output("fig3", "tex"),
        figure=figure_output("peft_loss_gaps"),
    log:
        "logs/peft_loss_gaps/{dataset}.log",
    benchmark:
        "benchmarks/peft_loss_gaps/{dataset}.tsv"
    localrule: True  # seconds: not worth a cluster job
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        **job_params("peft_loss_gaps"),
    script:
        JOB_SCRIPT


# `snakemake fig3`: the LIFT backbone under every PEFT method and loss of `fig3`
rule fig3:
    input:
        with_missing_intermediates(layout.analysis_outputs(config, "fig3")),


rule controls_table:
    input:
        replicas=lambda wc: layout.replica_files(config, wc.dataset),
        priors=member_files("results/{dataset}/prior/{backbone}.csv"),
        test="results/{dataset}/splits/test.csv",
        classes="results/{dataset}/splits/classes.csv",
        code=job_code("controls_table"),
    output:
        controls_csv=table_output("controls", "csv"),
        controls_md=table_output("controls", "md"),
        controls_tex=table_output("controls", "tex"),
        seed_variance_csv=table_output("seed_variance", "csv"),
        seed_variance_md=table_output("seed_variance", "md"),
        seed_variance_tex=table_output("seed_variance", "tex"),
        figure=figure_output("controls"),
    log:
        "logs/controls_table/{dataset}.log",
    benchmark:
        "benchmarks/controls_table/{dataset}.tsv"
    localrule: True  # seconds: not worth a cluster job
    conda:
        "../../envs/py-cpu.yaml"
    threads: compute("light", "threads")
    resources:
        mem_mb=compute("light", "mem_mb"),
        runtime=compute("light", "runtime"),
    params:
        **job_params("controls_table"),
    script:
        JOB_SCRIPT


# `snakemake controls`: M seeds of one backbone against M backbones (`replicas` per dataset)
rule controls:
    input:
        with_missing_intermediates(layout.analysis_outputs(config, "controls")),
