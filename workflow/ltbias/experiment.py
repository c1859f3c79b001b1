"""What a validated config asks for: each dataset's backbones and their roles, where its
images are, the Fig. 3 grid and the seed replicas. Read by the jobs' settings builders and
the workflow's input functions alike, so each fact is derived in one place."""

from __future__ import annotations

import dataclasses
from typing import Any

from .config import PretrainConfig, weights_kind
from .fetch import origin
from .toyworld import ToyWorld

__all__ = [
    "Members",
    "apply_point",
    "dataset_backbones",
    "dataset_root",
    "display_names",
    "fig3_cells",
    "lift_backbone",
    "list_origins",
    "list_sources",
    "members",
    "recovery_datasets",
    "recovery_points",
    "replica_seeds",
    "tag_source",
    "toy_on_toy",
    "used_backbones",
]

LIST_KEYS = ("train", "val", "test", "classnames", "categories")
# `snakemake prior_recovery`: what could limit the recovery of a toy backbone's pre-training
# prior, each lever tried at these values around the config's own, under both negatives
RECOVERY_LEVERS = {
    "steps": (0.5, 2.0),  # x toy_pretrain.steps (and warmup): the zero-shot model's quality
    "batch_size": (0.5, 2.0),  # x toy_pretrain.batch_size: quality, and repeats within a batch
    "imbalance": (0.1, 10.0),  # x each backbone's pre-training imbalance (at least 1)
    "clutter": (0.0,),  # x the world's distractors, blobs, jitter and noise: how confusable
}
RECOVERY_NEGATIVES = ("batch", "vocabulary")
RECOVERY_VAL_PER_CLASS = (10, 20, 50, 100, 200)  # labelled images per class the estimate is given
_CLUTTER = ("distractors", "background_blobs", "color_jitter", "noise")


def dataset_backbones(config: dict, dataset: str) -> list[str]:
    """The dataset's backbones in ensemble order (subset names follow it)."""
    return list(config["datasets"][dataset]["backbones"])


def used_backbones(config: dict) -> list[str]:
    """Every backbone some dataset uses, in config order."""
    return list(dict.fromkeys(b for d in config["datasets"] for b in dataset_backbones(config, d)))


def lift_backbone(config: dict, dataset: str) -> str:
    """The backbone whose single model plays LIFT: `lift_backbone`, else the first."""
    block = config["datasets"][dataset]
    return block["lift_backbone"] or block["backbones"][0]


def display_names(config: dict, dataset: str) -> dict[str, str]:
    return {b: config["backbones"][b]["display_name"] or b for b in dataset_backbones(config, dataset)}


@dataclasses.dataclass(frozen=True)
class Members:
    """What a job that reports on a dataset's ensemble knows of its members; the settings
    of such jobs extend it (`members` fills it in)."""

    backbones: tuple[str, ...]  # ensemble order
    display_names: dict[str, str]
    lift_backbone: str


def members(config: dict, dataset: str) -> dict[str, Any]:
    """`Members`' fields for `dataset`, as keywords of a job's settings."""
    backbones = tuple(dataset_backbones(config, dataset))
    return {
        "backbones": backbones,
        "display_names": display_names(config, dataset),
        "lift_backbone": lift_backbone(config, dataset),
    }


def dataset_root(config: dict, dataset: str) -> str:
    """Where the dataset's images are: the toy world renders into results/<dataset>/raw."""
    block = config["datasets"][dataset]
    return f"results/{dataset}/raw" if block["source"] == "toy" else block["root"]


def list_origins(config: dict, dataset: str) -> dict[str, str]:
    """The path or URL of each list a `lists` dataset names, by key (train, ..., classnames)."""
    block = config["datasets"][dataset]
    if block["source"] != "lists":
        return {}
    sources = {key: block["lists"].get(key) or {} for key in LIST_KEYS}
    return {key: s.get("path") or s.get("url") for key, s in sources.items() if s.get("path") or s.get("url")}


def list_sources(config: dict, dataset: str) -> dict[str, dict]:
    """What decides each staged list of a `lists` dataset (`fetch.origin`), by key."""
    lists = config["datasets"][dataset]["lists"]
    return {name: origin(lists[name]) for name in list_origins(config, dataset)}


def tag_source(config: dict, backbone: str) -> dict:
    """What decides a fetched tag's file: its model and tag."""
    block = config["backbones"][backbone]
    return {"model": block["model"], "tag": block["weights"]["tag"]}


def toy_on_toy(config: dict, dataset: str, backbones: list[str]) -> bool:
    """Whether the pretraining counts of `backbones` describe the dataset's classes: toy
    backbones on the toy world, the one place the true pre-training prior is known."""
    toy = all(weights_kind(config["backbones"][b]["weights"]) == "toy" for b in backbones)
    return toy and config["datasets"][dataset]["source"] == "toy"


def fig3_cells(config: dict) -> list[tuple[str, str]]:
    """(peft, loss) of every cell of `snakemake fig3`, in table order."""
    return [(peft, loss) for peft in config["fig3"]["pefts"] for loss in config["fig3"]["losses"]]


def replica_seeds(config: dict, dataset: str, first: int) -> list[int]:
    """The seeds of a backbone's fine-tunes under `replicas`: `first` (the default run's),
    then first + 1, ... up to `datasets.<dataset>.replicas` seeds in all."""
    return list(range(first, first + config["datasets"][dataset]["replicas"]))


def recovery_points(config: dict) -> dict[str, dict]:
    """Name -> `{"negatives", "lever", "value"}` of every pretraining of the recovery sweep:
    the config's own (`lever` None) and each of `RECOVERY_LEVERS`, under both negatives."""
    points = {}
    for negatives in RECOVERY_NEGATIVES:
        points[f"{negatives}-base"] = {"negatives": negatives, "lever": None, "value": 1.0}
        for lever, values in RECOVERY_LEVERS.items():
            for value in values:
                points[f"{negatives}-{lever}-x{value:g}"] = {"negatives": negatives, "lever": lever, "value": value}
    return points


def recovery_datasets(config: dict) -> list[str]:
    """The datasets whose backbones' true pre-training priors are known (`toy_on_toy`)."""
    return [d for d in config["datasets"] if toy_on_toy(config, d, dataset_backbones(config, d))]


def apply_point(world: ToyWorld, pretraining: PretrainConfig, point: dict) -> tuple[ToyWorld, PretrainConfig]:
    """The world and pretraining of one point of the sweep (`recovery_points`): its
    negatives, and its lever (`RECOVERY_LEVERS`) scaled by its value."""
    lever, value = point["lever"], point["value"]
    pretraining = dataclasses.replace(pretraining, negatives=point["negatives"])
    if lever == "steps":
        steps = max(1, round(pretraining.steps * value))
        warmup = min(pretraining.warmup_steps, steps // 2)
        pretraining = dataclasses.replace(pretraining, steps=steps, warmup_steps=warmup)
    elif lever == "batch_size":
        pretraining = dataclasses.replace(pretraining, batch_size=max(2, round(pretraining.batch_size * value)))
    elif lever == "imbalance":
        pretraining = dataclasses.replace(pretraining, imbalance=max(1.0, pretraining.imbalance * value))
    elif lever == "clutter":
        scaled = {k: type(getattr(world, k))(getattr(world, k) * value) for k in _CLUTTER}
        world = dataclasses.replace(world, **scaled)
    elif lever is not None:
        raise ValueError(f"unknown recovery lever {lever!r}")
    return world, pretraining
