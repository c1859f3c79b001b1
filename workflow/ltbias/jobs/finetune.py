"""Job `finetune`: LIFT fine-tuning of one backbone on one dataset (method.md §4)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import config, files
from ..prior import load_prior
from ..provenance import code_digest, package_versions
from . import context

if TYPE_CHECKING:
    from .. import data, models

__all__ = ["UNTRACKED", "Settings", "run", "settings"]

logger = logging.getLogger(__name__)

# settings that cannot change a result: editing them neither reruns a fine-tune nor voids its resume state
UNTRACKED = ("finetune.checkpoint_every_steps", "finetune.log_every_steps")


@dataclass(frozen=True)
class Settings:
    """The backbone (as configured), its `finetune` block (global block plus its overrides)
    and the prompt."""

    backbone: config.Backbone
    finetune: config.FinetuneConfig
    prompt: str
    fp16_weights: bool = False  # the backbone's weights rounded through fp16, as the reference

    def result_dict(self) -> dict:
        """The settings without the keys that cannot change a result (`UNTRACKED`)."""
        plain = config.as_dict(self)
        untracked = {dotted.split(".")[1] for dotted in UNTRACKED}
        return plain | {"finetune": {k: v for k, v in plain["finetune"].items() if k not in untracked}}


def settings(cfg: dict, wildcards: Mapping[str, str], loss: str | None = None) -> Settings:
    """The backbone's finetune block; the loss, PEFT method and seed of Table 3's GLA-Train
    (`loss`), a Fig. 3 cell or a seed replica (the `loss`, `peft` and `seed` wildcards)
    override it."""
    backbone = wildcards["backbone"]
    seed = wildcards.get("seed")
    overrides = {"loss": loss or wildcards.get("loss"), "peft": wildcards.get("peft")}
    block = config.finetune_block(cfg, backbone, seed=None if seed is None else int(seed), **overrides)
    finetune = config.from_dict(config.FinetuneConfig, block, f"backbones.{backbone}.finetune")
    return Settings(config.configured_backbone(cfg, backbone), finetune, cfg["prompt"], cfg["fp16_weights"])


def _fingerprint(
    settings: Settings,
    backbone: config.Backbone,
    weights: str | os.PathLike,
    train: str | os.PathLike,
    class_names: list[str],
    prior: np.ndarray | None,
) -> str:
    """What a resume state is tied to: everything that decides the training, the code this
    process runs and the package versions."""
    parts = (
        settings.result_dict(),
        config.as_dict(backbone),
        files.sha256(weights),
        files.sha256(train),
        class_names,
        None if prior is None else prior.tolist(),
        code_digest(),
        package_versions(),
    )
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def run(
    settings: Settings,
    *,
    weights: str | os.PathLike,
    root: str | os.PathLike,
    train: str | os.PathLike,
    classes: str | os.PathLike,
    checkpoint: str | os.PathLike,
    history: str | os.PathLike,
    provenance: str | os.PathLike,
    prior: str | os.PathLike | None = None,
    log: str | os.PathLike | None = None,
    attempt: int = 1,
    threads: int = 1,
    gpus: int = 0,
) -> dict:
    """Fine-tune one backbone and write its checkpoint, history and provenance.

    `prior` is the backbone's estimated pre-training prior (`prior/<backbone>.csv`), which
    the GLA-Train loss (`finetune.loss: gla`) needs and the LA loss refuses.
    The resume state lives beside the checkpoint as `resume.pt` until the run completes
    (`_fingerprint`).

    `gpus` are the GPUs the scheduler granted (the rule's `gpu` resource): when none is
    usable the job stops at once (`runtime.require_gpu`). Each attempt also logs to
    `<log>.attempt<N>.log` (N: Snakemake's `attempt`): Snakemake clears the rule's log before
    a retry, these stay. `provenance.json` lists every resume.
    """
    from .. import backbones, runtime  # torch's side: loaded here, not when the workflow builds settings
    from ..train import fit

    job = context.start(log, attempt, numbered=True)
    runtime.set_threads(threads)
    cfg = settings.finetune
    runtime.require_gpu(gpus, cfg.device, "finetune.device", "compute.finetune.gpu")
    if (cfg.loss == "gla") != (prior is not None):
        needs = "needs the backbone's estimated prior" if cfg.loss == "gla" else "takes no pre-training prior"
        raise ValueError(f"finetune.loss: {cfg.loss!r} {needs} (got {prior})")
    checked = backbones.resolve(settings.backbone)
    class_table = pd.read_csv(classes)
    class_names = class_table["class_name"].tolist()
    prior_values = load_prior(prior, class_table) if prior is not None else None
    runtime.seed_everything(cfg.seed)
    model = _classifier(settings, checked, weights, class_names)
    dataset = _train_dataset(cfg, checked, root, train)
    fingerprint = _fingerprint(settings, checked, weights, train, class_names, prior_values)
    state_path = Path(checkpoint).with_name("resume.pt")
    summary = fit(
        model,
        dataset,
        class_table["train_count"].to_numpy(),
        cfg,
        state_path=state_path,
        fingerprint=fingerprint,
        num_workers=runtime.loader_workers(cfg.device, threads),
        pretrain_prior=prior_values,
    )
    model.cpu()
    _write(job, settings, checked, model, class_names, summary, checkpoint, history, provenance)
    state_path.unlink(missing_ok=True)
    return summary


def _classifier(
    settings: Settings, backbone: config.Backbone, weights: str | os.PathLike, class_names: list[str]
) -> models.LongTailClassifier:
    from .. import backbones, models

    cfg = settings.finetune
    pin = backbone.weights.get("sha256")
    clip = backbones.load_clip(backbone.model, weights, backbone.preprocess, settings.fp16_weights, pin)
    return models.build_classifier(
        clip, backbone.model, class_names, settings.prompt, cfg.head_scale, cfg.bottleneck, cfg.peft, cfg.prompt_length
    )


def _train_dataset(
    cfg: config.FinetuneConfig, backbone: config.Backbone, root: str | os.PathLike, train: str | os.PathLike
) -> data.ManifestDataset:
    """The train split as the configured decoder reads it, with the training augmentation."""
    from .. import data, jpeg, runtime

    jpeg.check_decode(cfg.decode, runtime.resolve_device(cfg.device), "finetune.decode")
    kind = jpeg.dataset_class(cfg.decode)
    transform = data.train_transform(backbone.preprocess, cfg.crop_scale, cfg.crop_ratio, tensors=kind.tensors)
    return kind(root, pd.read_csv(train), transform, skip_bad=cfg.max_bad_images > 0)


def _write(
    job: context.Job,
    settings: Settings,
    backbone: config.Backbone,
    model: models.LongTailClassifier,
    class_names: list[str],
    summary: dict,
    checkpoint: str | os.PathLike,
    history: str | os.PathLike,
    provenance: str | os.PathLike,
) -> None:
    """The checkpoint (everything needed to rebuild the classifier), history and provenance."""
    logger.info(
        "fine-tuned on %s (%s): %.0f images/s, peak GPU memory %s MB",
        summary["device"],
        summary["precision"],
        summary["images_per_second"],
        summary["peak_gpu_memory_mb"],
    )
    final = summary["history"][-1]
    metrics = {"train_acc": final["train_acc"], "loss": final["loss"]}
    from .. import models

    described = config.as_dict(backbone)
    payload = models.checkpoint_payload(
        model, described, class_names, config.as_dict(settings.finetune), metrics, settings.fp16_weights
    )
    files.save_torch(checkpoint, payload)
    files.save_json(history, summary["history"])
    facts = (
        "device", "precision", "images_per_second", "peak_gpu_memory_mb", "bad_images", "skipped_images", "resumes"
    )  # fmt: skip
    record = job.record(config.as_dict(settings), backbone=described, **{k: summary[k] for k in facts})
    files.save_json(provenance, record)
