"""Start-up checks of a validated config that its JSON schema cannot express.

The workflow runs `check` once per parse, before any job: every error names its key, and
a local path the config names that does not exist stops the run even when every output
is there (Snakemake would otherwise keep the results built from it).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import jsonschema
import yaml

from . import experiment, files, layout, staging
from .config import (
    LIST_FORMATS,
    Backbone,
    EnsembleConfig,
    EvalConfig,
    FinetuneConfig,
    PriorConfig,
    SplitConfig,
    finetune_block,
    from_dict,
    weights_kind,
)

__all__ = [
    "PLACEHOLDER",
    "SCHEMA",
    "SIGNAL_LEAD_SECONDS",
    "check",
    "placeholder_message",
    "placeholders",
    "runtime_seconds",
    "wildcard_values",
]

SCHEMA = Path(__file__).parents[1] / "schemas" / "config.schema.yaml"
PLACEHOLDER = "CHANGE_ME"  # what profiles/slurm/profile.yaml asks the user to fill in
# The SLURM profile signals a fine-tune this long before its time limit (--signal=TERM@300)
SIGNAL_LEAD_SECONDS = 300
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def check(config: dict) -> list[str]:
    """Raise a ValueError naming the key of the first contradiction or missing path; return
    warnings about values that are allowed but likely wrong."""
    _check_finite(config)
    _check_blocks(config)
    for name, dataset in config["datasets"].items():
        _check_dataset(config, name, dataset)
    _check_backbones(config)
    _check_paths(config)
    _check_staged(config)
    return _compute_warnings(config)


def _check_finite(value: object, where: str = "") -> None:
    """Every number in the config is finite: the schema's bounds let NaN through."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_finite(item, f"{where}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: must be a finite number, got {value}")


def _check_blocks(config: dict) -> None:
    """Build the settings the jobs build, so a value they refuse stops the run here."""
    from_dict(FinetuneConfig, config["finetune"], "finetune")
    from_dict(EvalConfig, config["evaluation"], "evaluation")
    from_dict(PriorConfig, config["prior"], "prior")
    from_dict(EnsembleConfig, config["ensemble"], "ensemble")


def _check_dataset(config: dict, name: str, dataset: dict) -> None:
    where = f"datasets.{name}"
    from_dict(SplitConfig, dataset["split"], f"{where}.split")
    unknown = [b for b in dataset["backbones"] if b not in config["backbones"]]
    if unknown:
        raise ValueError(f"{where}.backbones: unknown backbone(s) {unknown}; known: {list(config['backbones'])}")
    lift = dataset["lift_backbone"]
    if lift is not None and lift not in dataset["backbones"]:
        raise ValueError(f"{where}.lift_backbone: {lift!r} is not one of its backbones {dataset['backbones']}")
    if dataset["source"] == "toy" and dataset["split"]["test_per_class"] is None:
        raise ValueError(f"{where}.split.test_per_class: the toy world needs a number")
    if dataset["source"] in ("folder", "lists") and not dataset["root"]:
        raise ValueError(
            f"{where}.root is not set; pass it with --config 'datasets={{{name}: {{root: /path/to/data}}}}'"
        )
    if dataset["source"] == "lists":
        for key in ["train", "test", LIST_FORMATS[dataset["lists"]["format"]]]:
            entry = dataset["lists"].get(key) or {}
            if not (entry.get("path") or entry.get("url")):
                raise ValueError(f"{where}.lists.{key}: give a path or a url")


def _check_backbones(config: dict) -> None:
    """A backbone's finetune block overrides the global one: same keys, same types."""
    full = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(full["properties"]["finetune"] | {"$defs": full["$defs"]})
    for name in _used_backbones(config):
        described = {"key": name} | {k: config["backbones"][name].get(k) for k in ("model", "weights", "preprocess")}
        from_dict(Backbone, described, f"backbones.{name}")
    for name, backbone in config["backbones"].items():
        error = jsonschema.exceptions.best_match(validator.iter_errors(backbone["finetune"]))
        if error is not None:
            where = ".".join(["backbones", name, "finetune", *map(str, error.path)])
            raise ValueError(f"{where}: {error.message}")
        merged = from_dict(FinetuneConfig, finetune_block(config, name), f"backbones.{name}.finetune")
        gpus = config["compute"]["finetune"]["gpu"]
        if merged.device.startswith("cuda") and gpus == 0:
            raise ValueError(
                f"backbones.{name}.finetune.device: {merged.device!r} needs a GPU, but compute.finetune.gpu is 0"
            )
    device = config["evaluation"]["device"]
    if device.startswith("cuda") and config["compute"]["logits"]["gpu"] == 0:
        raise ValueError(f"evaluation.device: {device!r} needs a GPU, but compute.logits.gpu is 0")


def _used_backbones(config: dict) -> list[str]:
    return list(dict.fromkeys(b for dataset in config["datasets"].values() for b in dataset["backbones"]))


def _local_paths(config: dict) -> list[tuple[str, str, bool]]:
    """(key, path, is a folder) of every local file or folder the config names."""
    paths = [("baselines", config["baselines"], False)]
    for name, dataset in config["datasets"].items():
        where = f"datasets.{name}"
        if dataset["source"] in ("folder", "lists"):
            paths.append((f"{where}.root", dataset["root"], True))
        if dataset["source"] == "folder" and dataset["class_names"]:
            paths.append((f"{where}.class_names", dataset["class_names"], False))
        if dataset["source"] == "lists":
            for key, entry in dataset["lists"].items():
                if isinstance(entry, dict) and entry.get("path"):
                    paths.append((f"{where}.lists.{key}.path", entry["path"], False))
    for name in _used_backbones(config):
        weights = config["backbones"][name]["weights"]
        if weights_kind(weights) == "file":
            paths.append((f"backbones.{name}.weights.file", weights["file"], False))
    return paths


def _check_paths(config: dict) -> None:
    """Every local path exists; a weights file is a checkpoint (`files.checkpoint_format`)."""
    for key, path, folder in _local_paths(config):
        if folder and not os.path.isdir(path):
            raise ValueError(f"{key}: {path} is not a folder (working directory {os.getcwd()})")
        if not folder and not os.path.isfile(path):
            raise ValueError(f"{key}: {path} does not exist (working directory {os.getcwd()})")
        if key.endswith(".weights.file"):
            try:
                files.checkpoint_format(path)
            except ValueError as err:
                raise ValueError(f"{key}: {err}") from None


def staged_downloads(config: dict) -> dict[str, tuple[str, dict, str]]:
    """Every file the config downloads: staged path -> (config key, source, how to bring
    one's own instead). A fetched tag's weights and a list given by its `url`."""
    found = {}
    for name in _used_backbones(config):
        if weights_kind(config["backbones"][name]["weights"]) == "tag":
            key = f"backbones.{name}.weights"
            found[layout.staged_weights(config, name)] = (
                f"{key}.tag", experiment.tag_source(config, name), f"name it in {key}.file"
            )  # fmt: skip
    for dataset in config["datasets"]:
        for list_name, source in experiment.list_sources(config, dataset).items():
            if "url" in source:
                key = f"datasets.{dataset}.lists.{list_name}"
                found[layout.staged_list(dataset, list_name)] = (key, source, f"give it as {key}.path")
    return found


def _check_staged(config: dict) -> None:
    """A staged download that exists is the one the config asks for (`staging.check_record`)."""
    for path, (key, source, own) in staged_downloads(config).items():
        if os.path.exists(path):
            staging.check_record(path, source, key, own)


def wildcard_values(
    config: dict, names: Iterable[str], constraints: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """Every combination of values of the wildcards `names` (a rule's) that the config
    can plan: its datasets, their backbones and lists (`listed`: `<dataset>/<list>`), the
    Fig. 3 cells, the replica seeds and the recovery points (`ltbias.experiment`); with
    `constraints` (the rule's regular expressions), those that match them."""
    names = set(names)
    unknown = names - {"dataset", "backbone", "listed", "peft", "loss", "seed", "point"}
    if unknown:
        raise ValueError(f"wildcard_values: no values known for wildcards {sorted(unknown)}")

    def backbones(c: dict) -> list[str]:
        return (
            experiment.dataset_backbones(config, c["dataset"]) if "dataset" in c else experiment.used_backbones(config)
        )

    def seeds(c: dict) -> list[str]:
        first = finetune_block(config, c["backbone"])["seed"]
        return [str(s) for s in experiment.replica_seeds(config, c["dataset"], first)]

    combinations: list[dict[str, str]] = [{}]
    if "dataset" in names:
        combinations = [{"dataset": d} for d in config["datasets"]]
    if "backbone" in names:
        combinations = [c | {"backbone": b} for c in combinations for b in backbones(c)]
    if "listed" in names:
        combinations = [{"listed": f"{d}/{n}"} for d in config["datasets"] for n in experiment.list_origins(config, d)]
    if "peft" in names or "loss" in names:
        cells = experiment.fig3_cells(config)
        combinations = [c | {"peft": p, "loss": loss} for c in combinations for p, loss in cells]
    if "seed" in names:
        combinations = [c | {"seed": s} for c in combinations for s in seeds(c)]
    if "point" in names:
        toy = experiment.recovery_datasets(config)
        points = experiment.recovery_points(config)
        combinations = [c | {"point": p} for c in combinations if c["dataset"] in toy for p in points]
    patterns = {name: re.compile(pattern) for name, pattern in (constraints or {}).items()}
    return [c for c in combinations if all(patterns[n].fullmatch(v) for n, v in c.items() if n in patterns)]


def placeholders(default_resources: Iterable[str], set_resources: dict[str, dict[str, object]]) -> list[str]:
    """The profile's resources still set to a `CHANGE_ME` placeholder: `default-resources`
    as `name=value`, `set-resources` as `{rule: {name: raw value}}`."""
    found = [f"default-resources {arg}" for arg in default_resources if PLACEHOLDER in arg]
    for rule, resources in set_resources.items():
        found += [f"set-resources {rule} {name}={raw}" for name, raw in resources.items() if PLACEHOLDER in str(raw)]
    return found


def placeholder_message(found: list[str]) -> str | None:
    """What `placeholders` found, in a sentence; None when it found none."""
    return f"the profile's {found[0]} is a placeholder ({len(found)} in all)" if found else None


def runtime_seconds(runtime: str) -> int:
    """`30m`, `12h`, ... (the schema's pattern) in seconds."""
    match = re.fullmatch(r"([0-9]+)([smhd])", runtime)
    if match is None:
        raise ValueError(f"runtime {runtime!r} is not a number with a unit s, m, h or d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _compute_warnings(config: dict) -> list[str]:
    runtime = config["compute"]["finetune"]["runtime"]
    if runtime_seconds(runtime) > SIGNAL_LEAD_SECONDS:
        return []
    return [
        f"compute.finetune.runtime: {runtime} is at or below the {SIGNAL_LEAD_SECONDS} s before its time limit "
        "at which the SLURM profile signals a fine-tune to checkpoint and stop: on SLURM every attempt of a "
        "fine-tune would stop as soon as it starts"
    ]
