"""Where the workflow's files are, as functions of the config: the targets, the paths the
rules' input functions name, and the wildcard patterns of the rules that only make some
files. The rule files wrap these in Snakemake's terms (`ancient`, `report`)."""

from __future__ import annotations

import itertools
import os
import re

from . import experiment
from .config import finetune_block, weights_kind

__all__ = [
    "ANALYSES",
    "FIGURES",
    "TABLES",
    "TABLE_FORMATS",
    "analysis_datasets",
    "analysis_outputs",
    "cross_entropy_cells",
    "dataset_outputs",
    "fetched_lists",
    "fetched_tags",
    "fig3_files",
    "final_outputs",
    "list_files",
    "replica_files",
    "staged_list",
    "staged_weights",
    "toy_backbones",
    "true_counts",
]

TABLE_FORMATS = ("csv", "md", "tex")  # every table is written in each (`tables.write_table`)
TABLES = ("table6", "table8", "table8_tte", "table9", "zeroshot", "members", "claims")
FIGURES = ("per_class_accuracy", "accuracy_vs_members", "dxp_gain", "accuracy_vs_cost")
# the extra targets: the tables and figures each adds per dataset (and those it updates)
ANALYSES = {
    "table3": (("table3", "table4"), ()),
    "fig3": (("fig3",), ("peft_loss_gaps",)),
    "controls": (("controls", "seed_variance"), ("controls",)),
    "prior_recovery": (("prior_recovery",), ("prior_recovery",)),
}
# the default run's tables an extra analysis feeds: its target refreshes them where the
# default run has made them, and never runs the default run for them
FEEDS = {"fig3": ("claims",), "controls": ("claims",)}
NOTHING = "(?!)"  # a wildcard pattern that matches no value


def staged_list(dataset: str, name: str) -> str:
    """Where a dataset's list `name` (train, ..., classnames) is staged."""
    return f"resources/lists/{dataset}/{name}"


def staged_weights(config: dict, backbone: str) -> str:
    """Where a backbone's fetched open_clip tag is stored."""
    return f"{config['weights_dir']}/{backbone}.pt"


def list_files(config: dict, dataset: str) -> dict[str, str]:
    """The staged copy of each list a `lists` dataset names, by key."""
    return {key: staged_list(dataset, key) for key in experiment.list_origins(config, dataset)}


def _pattern(values: list[str]) -> str:
    return "|".join(map(re.escape, values)) or NOTHING


def fetched_lists(config: dict) -> str:
    """The `<dataset>/<list>` the fetch rule stages: local files always (a copy, so that an
    edit reruns it), downloads until they are staged: a staged download that exists is a
    source that no rule makes, never fetched again whatever its time (`ltbias.staging`)."""
    staged = []
    for dataset in config["datasets"]:
        for name, source in experiment.list_sources(config, dataset).items():
            if "url" not in source or not os.path.exists(staged_list(dataset, name)):
                staged.append(f"{dataset}/{name}")
    return _pattern(staged)


def fetched_tags(config: dict) -> str:
    """The backbones whose open_clip tag the fetch rule downloads: until it is staged."""
    tags = [b for b in config["backbones"] if weights_kind(config["backbones"][b]["weights"]) == "tag"]
    return _pattern([b for b in tags if not os.path.exists(staged_weights(config, b))])


def toy_backbones(config: dict) -> str:
    """The backbones whose weights the toy world's pretraining writes."""
    return _pattern([b for b in config["backbones"] if weights_kind(config["backbones"][b]["weights"]) == "toy"])


def true_counts(config: dict, dataset: str, backbones: list[str]) -> list[str]:
    """The pretraining counts of `backbones`, where they describe the dataset's classes
    (`experiment.toy_on_toy`); else none."""
    if experiment.toy_on_toy(config, dataset, backbones):
        return [f"results/backbones/{b}/pretrain_counts.csv" for b in backbones]
    return []


def fig3_files(config: dict, dataset: str) -> dict[tuple[str, str], str]:
    """(peft, loss) -> the LIFT backbone's test logits of that Fig. 3 cell: the default
    run's for the cell it already trained."""
    backbone = experiment.lift_backbone(config, dataset)
    block = finetune_block(config, backbone)
    own = f"results/{dataset}/logits/{backbone}/test.npz"
    return {
        (peft, loss): own
        if (peft, loss) == (block["peft"], block["loss"])
        else f"results/{dataset}/fig3/{backbone}/{peft}-{loss}/logits/test.npz"
        for peft, loss in experiment.fig3_cells(config)
    }


def cross_entropy_cells(config: dict, dataset: str) -> list[str]:
    """The LIFT backbone's test logits fine-tuned with CE and with LA under its own PEFT
    method (two Fig. 3 cells), or none when the Fig. 3 grid lacks one of them."""
    peft = finetune_block(config, experiment.lift_backbone(config, dataset))["peft"]
    cells = fig3_files(config, dataset)
    return [cells[(peft, loss)] for loss in ("ce", "la")] if {(peft, "ce"), (peft, "la")} <= set(cells) else []


def replica_files(config: dict, dataset: str) -> list[str]:
    """The test logits of every backbone's seeds (`experiment.replica_seeds`), backbone by
    backbone, the default run's first."""
    paths = []
    for backbone in experiment.dataset_backbones(config, dataset):
        _, *others = experiment.replica_seeds(config, dataset, finetune_block(config, backbone)["seed"])
        paths.append(f"results/{dataset}/logits/{backbone}/test.npz")
        paths += [f"results/{dataset}/replicas/{backbone}/seed{seed}/logits/test.npz" for seed in others]
    return paths


def dataset_outputs(datasets: list[str], tables: tuple[str, ...], figures: tuple[str, ...]) -> list[str]:
    """Every format of `tables` and every figure of `figures`, for each of `datasets`."""
    found = []
    for dataset in datasets:
        found += [f"results/{dataset}/tables/{t}.{e}" for t, e in itertools.product(tables, TABLE_FORMATS)]
        found += [f"results/{dataset}/figures/{figure}.svg" for figure in figures]
    return found


def analysis_datasets(config: dict, target: str) -> list[str]:
    """The datasets an extra analysis applies to: the prior recovery needs the true priors."""
    return experiment.recovery_datasets(config) if target == "prior_recovery" else list(config["datasets"])


def analysis_outputs(config: dict, target: str) -> list[str]:
    """The tables and figures of the extra analysis `target` (`ANALYSES`), and those of the
    default run it feeds (`FEEDS`) that exist."""
    datasets = analysis_datasets(config, target)
    fed = [path for path in dataset_outputs(datasets, FEEDS.get(target, ()), ()) if os.path.exists(path)]
    return dataset_outputs(datasets, *ANALYSES[target]) + fed


def final_outputs(config: dict) -> list[str]:
    """The default target: every dataset's tables and figures, and those of each extra
    analysis that has run on it (all its outputs exist): `snakemake --report` shows them,
    and a rerun keeps them up to date."""
    outputs = dataset_outputs(list(config["datasets"]), TABLES, FIGURES)
    for target, (tables, figures) in ANALYSES.items():
        for dataset in analysis_datasets(config, target):
            extra = [path for path in dataset_outputs([dataset], tables, figures) if path not in outputs]
            if all(map(os.path.exists, extra)):
                outputs += extra
    return outputs
