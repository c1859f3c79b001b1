"""Foundation-model backbones: open_clip model names, weight sources and loading.

A backbone is an open_clip architecture plus one source of weights:

- `tag`: an open_clip pretrained tag (`openai`, `laion2b_s34b_b88k`, ...). `fetch_pretrained`
  downloads it once into a file (a login-node job); training jobs load that file offline.
- `file`: a local open_clip checkpoint.
- `toy`: the toy world's contrastive pretraining rule writes the file.

The preprocessing (mean, std, interpolation) belongs to the weights: a tag brings its own,
the others use the backbone's `preprocess` block or open_clip's defaults.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import tempfile
from pathlib import Path

import open_clip
import torch
from huggingface_hub.constants import ENDPOINT as HF_ENDPOINT
from open_clip.factory import load_state_dict
from open_clip.pretrained import download_pretrained, get_pretrained_cfg

from . import files, staging
from .config import Backbone
from .errors import FetchError, JobError

__all__ = [
    "MODEL_CONFIG_DIR",
    "UnreadableWeightsError",
    "check_backbone",
    "fetch_pretrained",
    "load_clip",
    "preprocess_config",
    "random_clip",
    "resolve",
]

logger = logging.getLogger(__name__)


class UnreadableWeightsError(JobError, ValueError):
    """A weights file that is not a checkpoint, or not one of the backbone's architecture."""


MODEL_CONFIG_DIR = Path(__file__).parent / "model_configs"
open_clip.add_model_config(MODEL_CONFIG_DIR)  # registers the toy architectures by file stem

_PREPROCESS_KEYS = ("mean", "std", "interpolation", "resize_mode")


def check_backbone(backbone: Backbone) -> None:
    """Raise a clear error for an unknown model, an unknown tag or a GELU/QuickGELU mismatch.

    The mismatch check is deliberately an error, not open_clip's warning: running a GELU
    checkpoint with QuickGELU (or the reverse) silently costs accuracy (method.md §3, §9).
    """
    where = f"backbones.{backbone.key}"
    model = backbone.model
    model_cfg = open_clip.get_model_config(model)
    if model_cfg is None:
        raise ValueError(f"{where}.model: unknown open_clip model {model!r}; known: {open_clip.list_models()}")
    weights = backbone.weights
    if backbone.weights_kind == "tag":
        tag = weights["tag"]
        tag_cfg = get_pretrained_cfg(model, tag)
        if not tag_cfg:
            known = open_clip.list_pretrained_tags_by_model(model)
            raise ValueError(f"{where}.weights.tag: {tag!r} is not a tag of {model}; known: {known}")
        model_quick = bool(model_cfg.get("quick_gelu", False))
        tag_quick = bool(tag_cfg.get("quick_gelu", False))
        if model_quick != tag_quick:
            hint = f"{model}-quickgelu" if tag_quick else model.removesuffix("-quickgelu")
            raise ValueError(
                f"{where}: tag {tag!r} was trained with quick_gelu={tag_quick} but model {model!r} "
                f"uses quick_gelu={model_quick}; use model {hint!r}"
            )


def resolve(backbone: Backbone) -> Backbone:
    """A configured backbone, checked (`check_backbone`), with the complete preprocessing
    its weights need (`preprocess_config`): what every job that loads it works with."""
    check_backbone(backbone)
    return dataclasses.replace(backbone, preprocess=preprocess_config(backbone))


def preprocess_config(backbone: Backbone) -> dict:
    """Image size, mean, std and interpolation for a backbone's weights.

    Returns a dict with keys `size`, `mean`, `std`, `interpolation`, `resize_mode`.
    """
    model_cfg = open_clip.get_model_config(backbone.model)
    size = model_cfg["vision_cfg"]["image_size"]
    cfg = {
        "size": size,
        "mean": list(open_clip.OPENAI_DATASET_MEAN),
        "std": list(open_clip.OPENAI_DATASET_STD),
        "interpolation": "bicubic",
        "resize_mode": "shortest",
    }
    if backbone.weights_kind == "tag":
        tag_cfg = get_pretrained_cfg(backbone.model, backbone.weights["tag"])
        cfg.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in tag_cfg.items() if k in _PREPROCESS_KEYS})
    cfg.update(backbone.preprocess or {})
    return cfg


def load_clip(
    model: str,
    weights_file: str | os.PathLike,
    preprocess: dict | None = None,
    fp16_weights: bool = False,
    sha256: str | None = None,
) -> torch.nn.Module:
    """Build `model` and load its weights from a local file; never falls back to random init.

    The file is what open_clip loads (strictly): a state dict, a training checkpoint with a
    `state_dict` (a `module.` prefix is removed), or a Hugging Face snapshot's
    `open_clip_pytorch_model.bin` or `.safetensors`. Weights of another architecture raise
    an error naming the first missing, unexpected and mis-shaped keys.
    `require_pretrained=True` turns open_clip's "initialized randomly" warning into an error:
    the authors' code silently fine-tuned a random OpenCLIP (method.md §9.1). With
    `fp16_weights` the weights that the reference code builds in fp16 (open_clip's
    `convert_weights_to_lp`: Conv/Linear, attention in-projections, the visual and text
    projections) hold fp16-rounded values, in fp32 (method.md §3). The file is checked
    against its staging record (a fetched tag) and `sha256` (a pinned `weights.file`).
    """
    weights_file = Path(weights_file)
    if not weights_file.is_file():
        raise FileNotFoundError(f"backbone weights {weights_file} not found")
    staging.verify(weights_file, sha256)
    try:
        files.checkpoint_format(weights_file)
    except ValueError as err:
        raise UnreadableWeightsError(str(err)) from None
    force = {k: v for k, v in (preprocess or {}).items() if k in _PREPROCESS_KEYS}
    try:
        clip = open_clip.create_model(
            model,
            pretrained=str(weights_file),
            require_pretrained=True,
            force_preprocess_cfg=force or None,
        )
    except (
        AssertionError,
        RuntimeError,
        KeyError,
        pickle.UnpicklingError,
        EOFError,
    ) as err:  # a strict load, a bad pickle
        raise UnreadableWeightsError(
            f"{weights_file}: not weights of {model}: {_mismatch(model, weights_file)}"
        ) from err
    if fp16_weights:
        open_clip.convert_weights_to_lp(clip, torch.float16)
        clip.float()
    clip.eval()
    return clip


def _mismatch(model: str, weights_file: Path) -> str:
    """The first missing, unexpected and mis-shaped keys of the file against `model`'s."""
    expected = {k: tuple(v.shape) for k, v in random_clip(model).state_dict().items()}
    try:
        found = {k: tuple(v.shape) for k, v in load_state_dict(str(weights_file)).items()}
    except (RuntimeError, KeyError, pickle.UnpicklingError, EOFError, AttributeError) as err:
        return f"it cannot be read ({type(err).__name__}: {err})"
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    shapes = [f"{k} {found[k]} (expected {expected[k]})" for k in expected if k in found and found[k] != expected[k]]
    parts = [f"{len(missing)} missing keys, first {missing[0]}" if missing else "",
             f"{len(unexpected)} unexpected keys, first {unexpected[0]}" if unexpected else "",
             f"{len(shapes)} keys of another shape, first {shapes[0]}" if shapes else ""]  # fmt: skip
    return "; ".join(p for p in parts if p) or "open_clip could not load it"


def random_clip(model: str) -> torch.nn.Module:
    """A randomly initialised `model`: the starting point of toy pretraining, nothing else."""
    return open_clip.create_model(model)


def fetch_pretrained(model: str, tag: str, out_path: str | os.PathLike, where: str) -> None:
    """Download an open_clip pretrained tag once and store its state dict at `out_path`,
    with its record (`staging.write_record`); `where` names the backbone's key in errors.

    Runs where the internet is (a login node); the stored file is what every GPU job loads.
    Without internet it fails within seconds (`staging.probe`).
    """
    cfg = get_pretrained_cfg(model, tag)
    if not cfg:
        raise ValueError(f"{tag!r} is not a pretrained tag of {model}")
    offline = (
        f"Where there is internet, `snakemake stage` (with this config) fetches it: copy {out_path} and "
        f"{staging.record_path(out_path)} here (cp -a). To use a checkpoint of your own, name it in {where}.file"
    )
    try:
        staging.probe(HF_ENDPOINT if cfg.get("hf_hub") else cfg.get("url", ""), f"{where}.tag {tag}")
    except FetchError as err:
        raise FetchError(f"{err}. {offline}") from None
    with tempfile.TemporaryDirectory() as cache_dir:
        try:
            downloaded = download_pretrained(cfg, cache_dir=cache_dir)
        except (OSError, ValueError, RuntimeError) as err:  # huggingface_hub's and urllib's errors offline
            downloaded, reason = None, f"{type(err).__name__}: {(str(err).splitlines() or [''])[0]}"
        else:
            reason = "open_clip returned no file"
        if not downloaded:
            raise FetchError(
                f"{where}.tag: cannot download the open_clip weights {model} / {tag} ({reason}). {offline}"
            )
        with files.atomic_path(out_path) as tmp:
            files.save_torch(tmp, load_state_dict(downloaded))
            staging.write_record(out_path, {"model": model, "tag": tag}, tmp)
    logger.info("stored %s/%s as %s", model, tag, out_path)
