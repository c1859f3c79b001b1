"""Typed, frozen views of the config blocks a library function needs.

The workflow validates the YAML against the JSON schema, and `preflight.check` builds these
from it before any job runs; each job's settings are built from its rule's `settings` param
by `from_dict` (in `jobs.entry`), which rejects unknown keys with the key path in the
message. Defaults here equal the schema's (a test checks it).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import types
import typing
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import yaml

__all__ = [
    "DECODERS",
    "DECODE_CHECK_MODES",
    "LIST_FORMATS",
    "LOSSES",
    "PEFTS",
    "PRECISIONS",
    "PRIOR_SOLVERS",
    "SOURCES",
    "TOY_MODEL",
    "UNTRACKED_FINETUNE_KEYS",
    "Backbone",
    "Dataset",
    "DecodeCheck",
    "EnsembleConfig",
    "EvalConfig",
    "FinetuneConfig",
    "PretrainConfig",
    "PriorConfig",
    "SplitConfig",
    "as_dict",
    "block",
    "configured_backbone",
    "deep_merge",
    "finetune_block",
    "from_dict",
    "read_config",
    "resolve",
    "resolve_extends",
    "stand_in",
    "weights_kind",
]

T = TypeVar("T")

# `datasets.<name>.lists.format` -> the list key that names the classes
LIST_FORMATS = {"plain": "classnames", "inat2018": "categories"}
WEIGHT_KINDS = ("tag", "file", "toy")
# `finetune` keys that cannot change a result: they neither rerun a fine-tune nor void its resume state
UNTRACKED_FINETUNE_KEYS = ("checkpoint_every_steps", "log_every_steps")
# `finetune.loss` -> its name in tables: ce is plain cross-entropy; la adds tau log pi_s;
# gla also the log of the backbone's estimated pre-training prior
LOSSES = {"ce": "CE", "la": "LA", "gla": "GLA-Train"}
# `finetune.peft` -> its name in tables (method.md §4.2, §4.2a)
PEFTS = {"adaptformer": "AdaptFormer", "vpt_shallow": "VPT-shallow", "vpt_deep": "VPT-deep"}
PRECISIONS = ("auto", "fp32", "bf16", "fp16")  # auto: bf16 autocast on CUDA, fp32 elsewhere
DECODERS = ("cpu", "gpu")  # cpu: PIL in the loader's workers; gpu: JPEG batches on the CUDA device
DECODE_CHECK_MODES = ("none", "sample", "full")
SOURCES = ("toy", "folder", "lists")  # where a dataset's images come from
PRIOR_SOLVERS = ("exact", "reference")  # `prior.solver`
TOY_MODEL = "ltbias-toy-vit"  # the toy world's open_clip architecture (ltbias/model_configs/)


def weights_kind(weights: dict) -> str:
    """Which of `tag | file | toy` a backbone's `weights` block names (exactly one)."""
    kinds = [k for k in WEIGHT_KINDS if k in weights]
    if len(kinds) != 1:
        raise ValueError(f"weights must name exactly one of {list(WEIGHT_KINDS)}, got {sorted(weights)}")
    return kinds[0]


def finetune_block(config: dict, backbone: str, **overrides: str | int | None) -> dict:
    """The `finetune` block a backbone trains with: the global block (schema defaults
    filled in), overridden key by key by the backbone's own, and by the `overrides` that
    are not None (`loss`, `peft`, `seed`: Table 3's GLA-Train, Fig. 3, seed replicas)."""
    merged = dict(config["finetune"]) | (config["backbones"][backbone].get("finetune") or {})
    return merged | {k: v for k, v in overrides.items() if v is not None}


def deep_merge(base: dict, top: dict) -> dict:
    """`top` over `base`: mappings merge key by key, anything else (lists too) is replaced."""
    merged = dict(base)
    for key, value in top.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = deep_merge(base[key], value) if both else value
    return merged


def resolve_extends(config: dict, chain: tuple[str, ...] = ()) -> dict:
    """The config with the file its `extends` key names (itself possibly extending another;
    paths relative to the working directory) merged beneath it."""
    path = config.get("extends")
    if not path:
        return config
    where = " -> ".join(["extends", *chain])
    if not isinstance(path, str):
        raise ValueError(f"{where}: expected the path of a config file, got {path!r} ({type(path).__name__})")
    if path in chain:
        raise ValueError(f"extends: {' -> '.join([*chain, path])} is a cycle")
    if not os.path.isfile(path):
        raise ValueError(f"{where}: {path} does not exist (working directory {os.getcwd()})")
    with open(path, encoding="utf-8") as f:
        base = yaml.safe_load(f) or {}
    if not isinstance(base, dict):
        raise ValueError(f"{where}: {path} is not a mapping of config keys")
    return deep_merge(resolve_extends(base, (*chain, path)), config)


def stand_in(config: dict) -> dict:
    """With `stand_in: toy`, every backbone whose weights come from outside (a tag, a file)
    is replaced by a toy backbone of the same key, pretrained by the workflow (seeds 1, 2,
    ... in config order; its fine-tuning overrides kept): a config written for the paper's
    backbones then runs on a CPU, offline (`config/examples/cpu_toy.yaml`)."""
    if config.get("stand_in") != "toy":
        return config
    backbones, seed = {}, 0
    for key, block in (config.get("backbones") or {}).items():
        if "toy" not in (block.get("weights") or {}):
            seed += 1
            name = block.get("display_name") or key
            kept = {k: v for k, v in block.items() if k not in ("model", "weights", "preprocess")}
            block = kept | {"display_name": f"{name} (toy)", "model": TOY_MODEL, "weights": {"toy": {"seed": seed}}}
        backbones[key] = block
    return config | {"backbones": backbones}


def resolve(config: dict) -> dict:
    """The config as the workflow reads it: what it extends merged beneath it, then its
    stand-ins (`stand_in`); before the schema fills in defaults."""
    return stand_in(resolve_extends(config))


def read_config(path: str | os.PathLike) -> dict:
    """A config file, resolved as the workflow resolves it (`resolve`)."""
    with open(path, encoding="utf-8") as f:
        return resolve(yaml.safe_load(f) or {})


def block(cls: type[T], config: dict, *keys: str) -> T:
    """`cls` built from the config block at `keys` (`block(PriorConfig, config, "prior")`),
    every error naming the block's key path."""
    value = config
    for key in keys:
        value = value[key]
    return from_dict(cls, value, ".".join(keys))


def from_dict(cls: type[T], d: dict[str, Any] | None, where: str) -> T:
    """Build dataclass `cls` from `d`, naming `where` (the config path) in every error.

    Fields typed as dataclasses are built from their sub-dicts the same way, lists become
    the tuples the hints ask for. The dataclasses check their own values and contradictions
    between keys; their messages start with the key, which this prefixes with `where`.
    """
    d = dict(d or {})
    allowed = [f.name for f in fields(cls)]
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    hints = typing.get_type_hints(cls)
    d = {name: _coerce(f"{where}.{name}", value, hints[name]) for name, value in d.items()}
    try:
        return cls(**d)
    except ValueError as err:
        raise ValueError(f"{where}.{err}") from None


def _coerce(where: str, value: Any, hint: Any) -> Any:
    """`value` in the form `hint` names (nested dataclasses built, lists as tuples), or a
    TypeError naming `where`."""
    for option in _options(hint):
        origin = typing.get_origin(option) or option
        args = typing.get_args(option)
        if dataclasses.is_dataclass(origin) and isinstance(value, dict):
            return from_dict(origin, value, where)
        if origin is dict and isinstance(value, dict) and args:
            return {k: _coerce(f"{where}.{k}", v, args[1]) for k, v in value.items()}
        if origin is tuple and isinstance(value, list | tuple) and args:
            items = args[:1] * len(value) if args[-1] is Ellipsis else args
            if len(items) == len(value):
                return tuple(_coerce(f"{where}[{i}]", v, h) for i, (v, h) in enumerate(zip(value, items, strict=True)))
    _check_type(where, tuple(value) if isinstance(value, list) else value, hint)
    return tuple(value) if isinstance(value, list) else value


def _options(hint: Any) -> tuple:
    return typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)


def _check_type(where: str, value: Any, hint: Any) -> None:
    options = _options(hint)
    for option in options:
        origin = typing.get_origin(option) or option
        if option is type(None) and value is None:
            return
        if option is Any:
            return
        if origin is float and isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(f"{where}: must be a finite number, got {value!r}")
            return
        if origin is int and isinstance(value, int) and not isinstance(value, bool):
            return
        if origin in (str, bool, tuple, dict) and isinstance(value, origin):
            return
    expected = " or ".join(getattr(o, "__name__", str(o)) for o in options)
    raise TypeError(f"{where}: expected {expected}, got {value!r} ({type(value).__name__})")


@dataclass(frozen=True)
class FinetuneConfig:
    """LIFT fine-tuning (method.md §4): defaults are the paper's ImageNet-LT settings."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    la_tau: float = 1.0  # logit-adjustment multiplier, training loss only
    loss: str = "la"  # ce: CE(z); la: CE(z + tau log pi_s); gla: + log pi_p, the estimated pre-training prior
    peft: str = "adaptformer"  # or vpt_shallow, vpt_deep: prompts instead of adapters
    prompt_length: int = 10  # VPT prompt tokens per prompted block
    head_scale: float = 25.0  # cosine classifier scale
    bottleneck: int | None = None  # None: the 2^floor(log2(C/2L)) rule
    crop_scale: tuple[float, float] = (0.08, 1.0)  # RandomResizedCrop scale range
    crop_ratio: tuple[float, float] = (0.75, 4 / 3)  # RandomResizedCrop aspect-ratio range
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  # auto = bf16 autocast on CUDA, fp32 on CPU
    compile: bool = False  # torch.compile the visual tower
    checkpoint_every_steps: int = 500  # resume checkpoints inside an epoch; 0 = epoch ends only
    log_every_steps: int = 50  # how often the loss is checked for non-finite values and logged
    max_bad_images: int = 0  # undecodable training images to skip before failing
    decode: str = "cpu"  # cpu: PIL in the loader's workers; gpu: JPEG batches on the CUDA device

    def __post_init__(self) -> None:
        _positive(self, "epochs", "batch_size", "lr", "head_scale", "log_every_steps", "prompt_length")
        if self.bottleneck is not None and self.bottleneck < 1:
            raise ValueError(f"bottleneck: must be >= 1 or null, got {self.bottleneck}")
        _ordered_range(self, "crop_scale", "crop_ratio")
        _check_device(self.device)
        _check_precision(self.precision)
        if self.loss not in LOSSES:
            raise ValueError(f"loss: {self.loss!r} is not one of {list(LOSSES)}")
        if self.peft not in PEFTS:
            raise ValueError(f"peft: {self.peft!r} is not one of {list(PEFTS)}")
        _check_decode(self.decode)


@dataclass(frozen=True)
class EvalConfig:
    """Logit caching (method.md §4.6). The test split is cached under both protocols: one
    centre crop and five-crop test-time ensembling."""

    batch_size: int = 512
    tte_expand: int = 24  # TTE resizes to size + tte_expand (248 for 224) before its five crops
    knn_k: int = 200  # kNN feature probe of the fine-tuned model (method.md §6)
    knn_temperature: float = 0.1
    device: str = "auto"
    precision: str = "auto"
    decode: str = "cpu"  # cpu: PIL in the loader's workers; gpu: JPEG batches on the CUDA device

    def __post_init__(self) -> None:
        _positive(self, "batch_size")
        _check_device(self.device)
        _check_precision(self.precision)
        _check_decode(self.decode)


@dataclass(frozen=True)
class PretrainConfig:
    """Contrastive pretraining of a toy backbone on its long-tailed caption corpus."""

    corpus_size: int = 8000
    imbalance: float = 100.0  # max/min class frequency in the corpus
    steps: int = 700
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.1
    warmup_steps: int = 100
    negatives: str = "vocabulary"  # contrast with one caption per class, or with the batch's captions
    templates: tuple[str, ...] = (
        "a photo of a {}.",
        "a picture of a {}.",
        "an image of a {}.",
        "a drawing of a {}.",
        "a {}.",
    )
    seed: int = 0

    def __post_init__(self) -> None:
        _positive(self, "corpus_size", "steps", "batch_size", "lr")
        if self.imbalance < 1:
            raise ValueError(f"imbalance: must be >= 1, got {self.imbalance}")
        if self.negatives not in ("batch", "vocabulary"):
            raise ValueError(f"negatives: {self.negatives!r} is not 'batch' or 'vocabulary'")


@dataclass(frozen=True)
class PriorConfig:
    """Pre-training prior estimate and P-groups (method.md §7)."""

    calibrate: bool = True  # GLA temperature calibration before the estimate
    solver: str = "exact"  # exact | reference (GLA's released primal-dual SGD)
    many_fraction: float = 1 / 3  # top fraction of classes by prior: P-Many
    few_fraction: float = 1 / 3  # bottom fraction: P-Few

    def __post_init__(self) -> None:
        _positive(self, "many_fraction", "few_fraction")
        if self.solver not in PRIOR_SOLVERS:
            raise ValueError(f"solver: {self.solver!r} is not one of {list(PRIOR_SOLVERS)}")
        if self.many_fraction + self.few_fraction > 1:
            raise ValueError(
                f"many_fraction: many_fraction + few_fraction = {self.many_fraction + self.few_fraction:g} "
                "exceeds 1 (P-Many and P-Few would overlap)"
            )


@dataclass(frozen=True)
class EnsembleConfig:
    """Uncertainty and the adjustments beyond uniform P(c) (the `ensemble` block)."""

    bootstrap_resamples: int = 1000  # stratified bootstrap resamples of the test images
    bootstrap_seed: int = 0
    seed_draws: int = 64  # seed combinations per ensemble for the seed spread (all when fewer)
    debias_lambda: float | None = None  # z - lambda log q of each member; None: fitted on val

    def __post_init__(self) -> None:
        _positive(self, "bootstrap_resamples")
        if self.debias_lambda is not None and self.debias_lambda < 0:
            raise ValueError(f"debias_lambda: must be >= 0 or null, got {self.debias_lambda}")


@dataclass(frozen=True)
class SplitConfig:
    """A dataset's long-tailed train profile and balanced val / test draws."""

    profile: str = "pareto"  # or "exponential"
    alpha: float = 6.0  # Pareto shape
    max_count: int = 400
    min_count: int = 4  # Pareto only; the exponential profile ends at max_count / imbalance_ratio
    imbalance_ratio: float = 100.0  # exponential profile: max / min
    val_per_class: int = 10
    test_per_class: int | None = None  # None: every image of root/val
    seed: int = 0

    def __post_init__(self) -> None:
        _positive(self, "alpha", "max_count", "min_count", "val_per_class")
        if self.profile == "pareto" and self.min_count > self.max_count:
            raise ValueError(f"min_count: {self.min_count} exceeds max_count {self.max_count}")


@dataclass(frozen=True)
class DecodeCheck:
    """Which listed images a dataset's split job decodes (`datasets.<key>.decode_check`)."""

    mode: str = "none"  # none | sample | full
    sample_size: int = 1000

    def __post_init__(self) -> None:
        if self.mode not in DECODE_CHECK_MODES:
            raise ValueError(f"mode: {self.mode!r} is not one of {list(DECODE_CHECK_MODES)}")
        _positive(self, "sample_size")


@dataclass(frozen=True)
class Dataset:
    """What a dataset's splits depend on: the `datasets.<key>` block without its backbones
    (editing those keeps the splits), with `root` resolved (the toy world's rendered folder)."""

    key: str
    source: str  # toy | folder | lists
    root: str
    class_names: str | None = None  # folder datasets: a `<folder> <name>` file
    list_format: str = "plain"  # lists datasets: a key of LIST_FORMATS
    split: SplitConfig = dataclasses.field(default_factory=SplitConfig)
    decode_check: DecodeCheck = dataclasses.field(default_factory=DecodeCheck)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source: {self.source!r} is not one of {list(SOURCES)}")
        if self.list_format not in LIST_FORMATS:
            raise ValueError(f"lists.format: {self.list_format!r} is not one of {list(LIST_FORMATS)}")


@dataclass(frozen=True)
class Backbone:
    """An open_clip architecture and one source of weights (`backbones.<key>` less its
    display name and fine-tuning). In the config `preprocess` overrides some of mean, std,
    interpolation and resize mode; once resolved (`backbones.resolve`) it is complete (image
    size included) and belongs to the weights."""

    key: str
    model: str
    weights: dict[str, Any]  # exactly one of tag | file | toy
    preprocess: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        weights_kind(self.weights)

    @property
    def weights_kind(self) -> str:
        return weights_kind(self.weights)


_DEVICE = re.compile(r"auto|cpu|cuda(:[0-9]+)?")


def _check_device(device: str) -> None:
    if not _DEVICE.fullmatch(device):
        raise ValueError(f"device: {device!r} is not 'auto', 'cpu', 'cuda' or 'cuda:<index>'")


def _check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"precision: {precision!r} is not one of {list(PRECISIONS)}")


def _check_decode(decode: str) -> None:
    if decode not in DECODERS:
        raise ValueError(f"decode: {decode!r} is not one of {list(DECODERS)}")


def _ordered_range(obj: Any, *names: str) -> None:
    for name in names:
        low, high = getattr(obj, name)
        if low > high:
            raise ValueError(f"{name}: the range [{low}, {high}] is reversed")


def _positive(obj: Any, *names: str) -> None:
    for name in names:
        if getattr(obj, name) <= 0:
            raise ValueError(f"{name}: must be > 0, got {getattr(obj, name)}")


def as_dict(obj: Any) -> dict[str, Any]:
    """Plain-dict form of a config dataclass (tuples as lists, at any depth), for JSON and
    checkpoints: `from_dict` reads it back."""
    return _plain(dataclasses.asdict(obj))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def configured_backbone(config: dict, key: str) -> Backbone:
    """`backbones.<key>` as a `Backbone` (its preprocess the configured override, if any)."""
    block = config["backbones"][key]
    described = {"key": key} | {k: block.get(k) for k in ("model", "weights", "preprocess")}
    return from_dict(Backbone, described, f"backbones.{key}")
