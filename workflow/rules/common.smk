"""Config validation, path conventions and input/param helpers. No rules here."""

import os
import re
import sys
from types import SimpleNamespace

from snakemake.io import is_flagged
from snakemake.logging import logger
from snakemake.utils import validate

sys.path.insert(0, os.path.join(workflow.basedir, "workflow"))
from ltbias import preflight
from ltbias.config import (
    LOSSES,
    PEFTS,
    UNTRACKED_FINETUNE_KEYS,
    finetune_block,
    resolve_extends,
    weights_kind,
)
from ltbias.importgraph import module_closure
from ltbias.lineage import missing_intermediates
from ltbias.lists import LIST_SUFFIX
from ltbias.log import clear_fatal
from ltbias.tables import FORMATS as TABLE_FORMATS

config.update(resolve_extends(config))
validate(config, schema="../schemas/config.schema.yaml")

DATASETS = list(config["datasets"])
BACKBONES = list(config["backbones"])
SPLITS = ["train", "val", "test"]
LIST_NAMES = ["train", "val", "test", "classnames", "categories"]
TABLES = ["table6", "table8", "table8_tte", "table9", "zeroshot"]
GLA_TABLES = ["table3", "table4"]  # `snakemake table3`: one more fine-tune per dataset
FIGURES = ["per_class_accuracy", "accuracy_vs_members", "dxp_gain", "accuracy_vs_cost"]
# Ready jobs start in order of the work still behind them, the longest chain first: backbone
# checks unblock the weights, which with the data unblock fine-tuning, then logits; zero-shot
# logits, priors and reports fill the gaps (on 2 cores the toy run idled 11.5 s, now 4.5 s).
PRIORITY = {"check": 50, "weights": 40, "data": 30, "finetune": 20, "logits": 10}


for warning in preflight.check(config):
    logger.warning(f"Warning: {warning}")


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    backbone="|".join(map(re.escape, BACKBONES)),
    split="|".join(SPLITS),
    name="|".join(LIST_NAMES),


# ---- helpers -------------------------------------------------------------------


JOB_SCRIPT = "../scripts/job.py"  # every rule's script: runs `ltbias.jobs.<job>`


def canonical(obj):
    """`obj` with every mapping's keys sorted: a param value whose repr does not depend on
    the order of the config's keys (Snakemake compares the reprs of params)."""
    if isinstance(obj, dict):
        return {key: canonical(obj[key]) for key in sorted(obj)}
    if isinstance(obj, (list, tuple)):
        return [canonical(value) for value in obj]
    return obj


def job_code(job):
    """The library files that running `ltbias.jobs.<job>` through the job script imports,
    transitively.

    Checksummed inputs (under 1 MB): an edit reruns the rule, a touch does not. Computed
    from the import graph on every parse, never listed by hand.
    """
    workflow_dir = os.path.join(workflow.basedir, "workflow")
    closure = module_closure(
        os.path.join(workflow_dir, "scripts", "job.py"),
        os.path.join(workflow_dir, "ltbias"),
        modules=(f"ltbias.jobs.{job}",),
    )
    return [os.path.relpath(path) for path in closure]


def dataset_cfg(wildcards):
    return config["datasets"][wildcards.dataset]


def dataset_backbones(dataset):
    return config["datasets"][dataset]["backbones"]


def dataset_root(wildcards):
    dataset = dataset_cfg(wildcards)
    if dataset["source"] == "toy":
        return f"results/{wildcards.dataset}/raw"
    return dataset["root"]


def toy_images_per_class(wildcards):
    """Raw toy images: the largest train class plus val per class; test per class."""
    split = dataset_cfg(wildcards)["split"]
    return {
        "train": split["max_count"] + split["val_per_class"],
        "val": split["test_per_class"],
    }


def raw_input(wildcards):
    """The rendered toy dataset is a workflow output; real roots are validated, not tracked."""
    if dataset_cfg(wildcards)["source"] == "toy":
        return f"results/{wildcards.dataset}/raw"
    return []


def list_origins(wildcards):
    """The path or URL of each list a `lists` dataset names, by key (train, ..., classnames)."""
    dataset = dataset_cfg(wildcards)
    if dataset["source"] != "lists":
        return {}
    sources = {key: dataset["lists"].get(key) or {} for key in LIST_NAMES}
    return {
        key: source.get("path") or source.get("url")
        for key, source in sources.items()
        if source.get("path") or source.get("url")
    }


def list_inputs(wildcards):
    """The staged copies of the dataset's lists, as `<key>_list`."""
    return {
        key + LIST_SUFFIX: f"resources/lists/{wildcards.dataset}/{key}"
        for key in list_origins(wildcards)
    }


def local_list(wildcards):
    """A list given as a local file is a real input of its staging: an edit reruns it."""
    return (dataset_cfg(wildcards)["lists"].get(wildcards.name) or {}).get("path") or []


def class_names_file(wildcards):
    """A folder dataset's class-name file, tracked by content like any input."""
    return dataset_cfg(wildcards)["class_names"] or []


def split_settings(wildcards):
    """What the splits depend on (`ltbias.config.Dataset`): not the backbones, so editing
    those keeps the splits."""
    dataset = dataset_cfg(wildcards)
    described = {
        k: dataset[k] for k in ("source", "class_names", "split", "decode_check")
    }
    described |= {
        "key": wildcards.dataset,
        "root": dataset_root(wildcards),
        "list_format": dataset["lists"].get("format", "plain"),
    }
    return canonical({"dataset": described, "origins": list_origins(wildcards)})


def backbone_cfg(backbone):
    return config["backbones"][backbone]


def backbone_settings(wildcards):
    """The keys that decide a backbone's weights (`ltbias.config.Backbone`): not its
    display name or fine-tuning."""
    cfg = backbone_cfg(wildcards.backbone)
    keys = ("model", "weights", "preprocess")
    return canonical(
        {"backbone": {"key": wildcards.backbone} | {k: cfg[k] for k in keys}}
    )


def fetch_settings(wildcards):
    """What decides a fetched tag's file: its model and tag (not the preprocessing)."""
    cfg = backbone_cfg(wildcards.backbone)
    return canonical(
        {
            "backbone": {
                "key": wildcards.backbone,
                "model": cfg["model"],
                "weights": cfg["weights"],
            }
        }
    )


def weights_file(wildcards):
    """Fetched tags and local files are tracked by name only (`ancient`): a re-download or
    a copy never retrains. Toy weights are a workflow output like any other."""
    weights = backbone_cfg(wildcards.backbone)["weights"]
    kind = weights_kind(weights)
    if kind == "tag":
        return ancient(f"{config['weights_dir']}/{wildcards.backbone}.pt")
    if kind == "file":
        return ancient(weights["file"])
    return f"results/backbones/{wildcards.backbone}/weights.pt"


def stage_inputs(wildcards):
    """What `snakemake stage` stages and prints: the weights of every backbone a dataset
    uses that come from outside (fetched tags, local files) and every list."""
    used = {b for dataset in DATASETS for b in dataset_backbones(dataset)}
    outside = [
        b
        for b in BACKBONES
        if b in used and weights_kind(backbone_cfg(b)["weights"]) != "toy"
    ]
    return {
        "weights": [weights_file(SimpleNamespace(backbone=b)) for b in outside],
        "lists": [
            path
            for dataset in DATASETS
            for path in list_inputs(SimpleNamespace(dataset=dataset)).values()
        ],
    }


def pretrain_settings(wildcards):
    toy = backbone_cfg(wildcards.backbone)["weights"]["toy"]
    return canonical(
        {"world": config["toy_world"], "pretrain": config["toy_pretrain"] | toy}
    )


def render_settings(wildcards):
    return canonical(
        {
            "world": config["toy_world"],
            "images_per_class": toy_images_per_class(wildcards),
        }
    )


def list_settings(wildcards):
    return canonical(
        {
            "source": dataset_cfg(wildcards)["lists"][wildcards.name],
            "where": f"datasets.{wildcards.dataset}.lists.{wildcards.name}",
        }
    )


def finetune_settings(wildcards, loss=None, peft=None, seed=None):
    block = finetune_block(config, wildcards.backbone, loss=loss, peft=peft, seed=seed)
    tracked = {k: v for k, v in block.items() if k not in UNTRACKED_FINETUNE_KEYS}
    return canonical(
        {
            "finetune": tracked,
            "prompt": config["prompt"],
            "fp16_weights": config["fp16_weights"],
        }
    )


def finetune_untracked(wildcards):
    """The finetune settings that cannot change a result, in an object that Snakemake does
    not compare between runs (it compares builtin values only): editing them reruns nothing.
    """
    block = finetune_block(config, wildcards.backbone)
    return SimpleNamespace(
        settings={"finetune": {k: block[k] for k in UNTRACKED_FINETUNE_KEYS}}
    )


def finetune_inputs(wildcards, loss=None):
    """What a fine-tune reads; with the GLA-Train loss also the backbone's estimated prior."""
    inputs = {
        "backbone": f"results/backbones/{wildcards.backbone}/backbone.json",
        "weights": weights_file(wildcards),
        "train": f"results/{wildcards.dataset}/splits/train.csv",
        "classes": f"results/{wildcards.dataset}/splits/classes.csv",
        "raw": raw_input(wildcards),
        "code": job_code("finetune"),
    }
    if finetune_block(config, wildcards.backbone, loss=loss)["loss"] == "gla":
        inputs["prior"] = f"results/{wildcards.dataset}/prior/{wildcards.backbone}.csv"
    return inputs


def logits_inputs(
    wildcards, checkpoint="results/{dataset}/finetune/{backbone}/checkpoint.pt"
):
    """What caching the logits of the model fine-tuned into `checkpoint` (a pattern of the
    wildcards) reads."""
    return {
        "checkpoint": checkpoint.format(**dict(wildcards.items())),
        "weights": weights_file(wildcards),
        "val": f"results/{wildcards.dataset}/splits/val.csv",
        "test": f"results/{wildcards.dataset}/splits/test.csv",
        "raw": raw_input(wildcards),
        "code": job_code("logits"),
    }


def display_names(dataset):
    return {b: backbone_cfg(b)["display_name"] or b for b in dataset_backbones(dataset)}


def lift_backbone(dataset):
    cfg = config["datasets"][dataset]
    return cfg["lift_backbone"] or cfg["backbones"][0]


def compute(family, key):
    return config["compute"][family][key]


def true_counts(dataset, backbones):
    """Pretraining counts of toy backbones, per class of the toy world. They describe a
    dataset's classes only when it is that world (`source: toy`); otherwise none."""
    toy = all(weights_kind(backbone_cfg(b)["weights"]) == "toy" for b in backbones)
    if toy and config["datasets"][dataset]["source"] == "toy":
        return [f"results/backbones/{b}/pretrain_counts.csv" for b in backbones]
    return []


def final_outputs():
    outputs = []
    for dataset in DATASETS:
        outputs += expand(
            "results/{dataset}/tables/{table}.{ext}",
            dataset=dataset,
            table=TABLES,
            ext=TABLE_FORMATS,
        )
        outputs += expand(
            "results/{dataset}/figures/{figure}.svg", dataset=dataset, figure=FIGURES
        )
    return outputs


def producer_inputs(path):
    """The inputs of the job that makes `path`, or None when no rule makes it. Ancient
    inputs (fetched or local weights) are left out: a re-fetched file never retrains."""
    for producer in workflow.rules:
        if producer.output and producer.is_producer(path):
            inputs = producer.expand_input(producer.get_wildcards(path))[0]
            return [str(f) for f in inputs if not is_flagged(f, "ancient")]
    return None


def with_missing_intermediates(targets):
    """An input function: `targets` and every file the results among them were built from
    that is missing (`ltbias.lineage`), so that a failed or killed job is planned again
    with everything after it."""
    return lambda wildcards: targets + missing_intermediates(targets, producer_inputs)


def presentation(dataset):
    """How a dataset's backbones are named and which one plays LIFT."""
    return {
        "backbones": dataset_backbones(dataset),
        "display_names": display_names(dataset),
        "lift_backbone": lift_backbone(dataset),
    }


def table_settings(wildcards):
    dataset = wildcards.dataset
    return canonical(
        presentation(dataset)
        | {
            "dataset": dataset,
            "epochs": {
                b: finetune_block(config, b)["epochs"]
                for b in dataset_backbones(dataset)
            },
            "decimals": config["tables"]["decimals"],
        }
    )


def ensemble_settings(wildcards):
    dataset = wildcards.dataset
    return canonical(
        {
            "backbones": dataset_backbones(dataset),
            "lift_backbone": lift_backbone(dataset),
            "prior": config["prior"],
            "ensemble": config["ensemble"],
        }
    )


def member_files(template):
    """An input function: `template` for each of the dataset's backbones, in ensemble order."""
    return lambda wc: expand(
        template, dataset=wc.dataset, backbone=dataset_backbones(wc.dataset)
    )


def lift_file(template):
    """An input function: `template` formatted with the dataset and its LIFT backbone."""
    return lambda wc: template.format(
        dataset=wc.dataset, backbone=lift_backbone(wc.dataset)
    )


def gla_table_settings(wildcards):
    return canonical(
        {
            "backbone": lift_backbone(wildcards.dataset),
            "prior": config["prior"],
            "ensemble": config["ensemble"],
            "decimals": config["tables"]["decimals"],
        }
    )


def fig3_grid(dataset):
    """(peft, loss) of every Fig. 3 cell, and where the LIFT backbone's test logits of each
    are: the default run's for the cell it already trained."""
    backbone = lift_backbone(dataset)
    block = finetune_block(config, backbone)
    cells = {}
    for peft in config["fig3"]["pefts"]:
        for loss in config["fig3"]["losses"]:
            if (peft, loss) == (block["peft"], block["loss"]):
                cells[(peft, loss)] = f"results/{dataset}/logits/{backbone}/test.npz"
            else:
                cells[(peft, loss)] = (
                    f"results/{dataset}/fig3/{backbone}/{peft}-{loss}/logits/test.npz"
                )
    return cells


def fig3_cells(wildcards):
    return list(fig3_grid(wildcards.dataset).values())


def fig3_settings(wildcards):
    return canonical(
        {
            "backbone": lift_backbone(wildcards.dataset),
            "cells": [list(cell) for cell in fig3_grid(wildcards.dataset)],
            "prior": config["prior"],
            "ensemble": config["ensemble"],
            "decimals": config["tables"]["decimals"],
        }
    )


def replica_files(dataset):
    """The test logits of every backbone's replicas (`datasets.<dataset>.replicas`), backbone
    by backbone: the default run's first (seed `finetune.seed`), then seeds + 1, + 2, ...
    """
    paths = []
    for backbone in dataset_backbones(dataset):
        paths.append(f"results/{dataset}/logits/{backbone}/test.npz")
        first = finetune_block(config, backbone)["seed"]
        for seed in range(first + 1, first + config["datasets"][dataset]["replicas"]):
            paths.append(
                f"results/{dataset}/replicas/{backbone}/seed{seed}/logits/test.npz"
            )
    return paths


def controls_settings(wildcards):
    return canonical(
        presentation(wildcards.dataset)
        | {
            "dataset": wildcards.dataset,
            "replicas": config["datasets"][wildcards.dataset]["replicas"],
            "prior": config["prior"],
            "ensemble": config["ensemble"],
            "decimals": config["tables"]["decimals"],
        }
    )


def figure_settings(wildcards):
    fractions = {k: config["prior"][k] for k in ("many_fraction", "few_fraction")}
    return canonical(presentation(wildcards.dataset) | {"prior": fractions})


def table_output(table, ext):
    return report(
        f"results/{{dataset}}/tables/{table}.{ext}",
        caption=f"../report/{table}.rst",
        category="Tables",
        subcategory="{dataset}",
        labels={
            "dataset": "{dataset}",
            "table": table.removeprefix("table"),
            "format": ext,
        },
    )


def figure_output(figure):
    return report(
        f"results/{{dataset}}/figures/{figure}.svg",
        caption=f"../report/{figure}.rst",
        category="Figures",
        subcategory="{dataset}",
        labels={"dataset": "{dataset}", "figure": figure.replace("_", " ")},
    )
