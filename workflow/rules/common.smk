"""Config validation, path conventions and input/param helpers. No rules here."""

import itertools
import json
import os

import jsonschema
import yaml
from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

DATASETS = list(config["datasets"])
BACKBONES = list(config["backbones"])
SPLITS = ["train", "val", "test"]
EVAL_SPLITS = ["val", "test"]
LIST_NAMES = ["train", "val", "test", "classnames", "categories"]
TABLES = ["table6", "table8"]
TABLE_FORMATS = ["csv", "md", "tex"]
FIGURES = ["per_class_accuracy", "accuracy_vs_members", "dxp_gain"]


def check_config():
    """Cross-key checks the schema cannot express; each error names its key."""
    for name, dataset in config["datasets"].items():
        where = f"datasets.{name}"
        unknown = [b for b in dataset["backbones"] if b not in config["backbones"]]
        if unknown:
            raise ValueError(
                f"{where}.backbones: unknown backbone(s) {unknown}; known: {BACKBONES}"
            )
        lift = dataset["lift_backbone"]
        if lift is not None and lift not in dataset["backbones"]:
            raise ValueError(
                f"{where}.lift_backbone: {lift!r} is not one of its backbones {dataset['backbones']}"
            )
        if dataset["source"] == "toy" and dataset["split"]["test_per_class"] is None:
            raise ValueError(
                f"{where}.split.test_per_class: the toy world needs a number"
            )
        if dataset["source"] in ("folder", "lists") and not dataset["root"]:
            raise ValueError(
                f"{where}.root is not set; pass it with "
                f"--config 'datasets={{{name}: {{root: /path/to/data}}}}'"
            )
        if dataset["source"] == "lists":
            needed = ["train", "test"] + (
                ["categories"]
                if dataset["lists"]["format"] == "inat2018"
                else ["classnames"]
            )
            for key in needed:
                entry = dataset["lists"].get(key) or {}
                if not (entry.get("path") or entry.get("url")):
                    raise ValueError(f"{where}.lists.{key}: give a path or a url")
    with open(
        os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml")
    ) as f:
        finetune_schema = yaml.safe_load(f)["properties"]["finetune"]
    for name, backbone in config["backbones"].items():
        # a backbone's finetune block overrides the global one: same keys, same types
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(finetune_schema).iter_errors(
                backbone["finetune"]
            )
        )
        if error is not None:
            where = ".".join(["backbones", name, "finetune", *map(str, error.path)])
            raise ValueError(f"{where}: {error.message}")


check_config()


wildcard_constraints:
    dataset="|".join(DATASETS),
    backbone="|".join(BACKBONES),
    split="|".join(SPLITS),
    name="|".join(LIST_NAMES),


# ---- helpers -------------------------------------------------------------------


def canonical(obj):
    """A param value whose repr is stable across key order (Snakemake compares reprs)."""
    return json.dumps(obj, sort_keys=True)


def code_files(*modules):
    """Library files a rule depends on, as checksummed inputs (snakemake.md §5)."""
    return [
        os.path.relpath(os.path.join(workflow.basedir, "workflow", "ltbias", m))
        for m in ("__init__.py", "config.py", "files.py", "log.py", *modules)
    ]


def dataset_cfg(wildcards):
    return config["datasets"][wildcards.dataset]


def dataset_backbones(dataset):
    return config["datasets"][dataset]["backbones"]


def dataset_subsets(dataset):
    backbones = dataset_backbones(dataset)
    return [
        "+".join(s)
        for k in range(1, len(backbones) + 1)
        for s in itertools.combinations(backbones, k)
    ]


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


def list_inputs(wildcards):
    dataset = dataset_cfg(wildcards)
    if dataset["source"] != "lists":
        return {}
    return {
        key: f"resources/lists/{wildcards.dataset}/{key}"
        for key in LIST_NAMES
        if (dataset["lists"].get(key) or {}).get("path")
        or (dataset["lists"].get(key) or {}).get("url")
    }


def split_params(wildcards):
    """What the splits depend on: not the backbones, so editing those keeps the splits."""
    dataset = dataset_cfg(wildcards)
    keys = ("source", "root", "class_names", "split", "decode_check")
    params = {k: dataset[k] for k in keys}
    params["lists"] = {"format": dataset["lists"].get("format", "plain")}
    return canonical(params)


def backbone_cfg(backbone):
    return config["backbones"][backbone]


def backbone_identity(backbone):
    """The keys that decide a backbone's weights (not its display name or fine-tuning)."""
    cfg = backbone_cfg(backbone)
    return {
        "model": cfg["model"],
        "weights": cfg["weights"],
        "preprocess": cfg["preprocess"],
    }


def weights_file(wildcards):
    weights = backbone_cfg(wildcards.backbone)["weights"]
    if "tag" in weights:
        return ancient(f"{config['weights_dir']}/{wildcards.backbone}.pt")
    if "file" in weights:
        return ancient(weights["file"])
    return f"results/backbones/{wildcards.backbone}/weights.pt"


def pretrain_settings(backbone):
    return config["toy_pretrain"] | backbone_cfg(backbone)["weights"]["toy"]


def finetune_params(wildcards):
    """finetune block, overridden by the backbone's own finetune block, plus the prompt."""
    merged = dict(config["finetune"]) | backbone_cfg(wildcards.backbone)["finetune"]
    return canonical({"finetune": merged, "prompt": config["prompt"]})


def display_names(dataset):
    return {b: backbone_cfg(b)["display_name"] or b for b in dataset_backbones(dataset)}


def lift_backbone(dataset):
    cfg = config["datasets"][dataset]
    return cfg["lift_backbone"] or cfg["backbones"][0]


def compute(family, key):
    return config["compute"][family][key]


def true_counts_inputs(wildcards):
    """Toy backbones know their pretraining counts; other backbones contribute none."""
    backbones = dataset_backbones(wildcards.dataset)
    if all("toy" in backbone_cfg(b)["weights"] for b in backbones):
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


def presentation(dataset):
    """How a dataset's backbones are named and which one plays LIFT."""
    return {
        "backbones": dataset_backbones(dataset),
        "display_names": display_names(dataset),
        "lift_backbone": lift_backbone(dataset),
    }


def table_settings(wildcards):
    return canonical(
        presentation(wildcards.dataset)
        | {
            "epochs": config["finetune"]["epochs"],
            "decimals": config["tables"]["decimals"],
        }
    )


def figure_settings(wildcards):
    fractions = {k: config["prior"][k] for k in ("many_fraction", "few_fraction")}
    return canonical(presentation(wildcards.dataset) | fractions)


def table_output(table, ext):
    return report(
        f"results/{{dataset}}/tables/{table}.{ext}",
        caption=f"../report/{table}.rst",
        category="Tables",
        subcategory="{dataset}",
        labels={"dataset": "{dataset}", "table": table[-1], "format": ext},
    )


def figure_output(figure):
    return report(
        f"results/{{dataset}}/figures/{figure}.svg",
        caption=f"../report/{figure}.rst",
        category="Figures",
        subcategory="{dataset}",
        labels={"dataset": "{dataset}", "figure": figure.replace("_", " ")},
    )
