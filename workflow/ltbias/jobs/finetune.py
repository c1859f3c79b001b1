"""Rule `finetune`: LIFT fine-tuning of one backbone on one dataset (method.md §4)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import backbones, config, data, files, jpeg, models, prior, provenance, runtime, train
from . import context

__all__ = ["Settings", "run"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """The backbone's `finetune` block (global block plus its overrides) and the prompt."""

    finetune: config.FinetuneConfig
    prompt: str

    @classmethod
    def from_params(cls, params: str, where: str, untracked: str = "{}") -> Settings:
        """From the rule's JSON params `{"finetune": {...}, "prompt": ...}` and the untracked
        finetune keys (`config.UNTRACKED_FINETUNE_KEYS`, JSON); `where` is the config path
        named in errors (`backbones.<key>.finetune`)."""
        raw = json.loads(params)
        block = raw["finetune"] | json.loads(untracked)
        return cls(config.from_dict(config.FinetuneConfig, block, where), raw["prompt"])

    def as_dict(self) -> dict:
        return {"finetune": config.as_dict(self.finetune), "prompt": self.prompt}

    def result_dict(self) -> dict:
        """`as_dict` without the keys that cannot change a result."""
        finetune = {k: v for k, v in config.as_dict(self.finetune).items() if k not in config.UNTRACKED_FINETUNE_KEYS}
        return {"finetune": finetune, "prompt": self.prompt}


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def run(
    settings: Settings,
    *,
    backbone_json: str | os.PathLike,
    weights: str | os.PathLike,
    root: str | os.PathLike,
    train_csv: str | os.PathLike,
    classes_csv: str | os.PathLike,
    checkpoint: str | os.PathLike,
    history: str | os.PathLike,
    provenance_json: str | os.PathLike,
    pretrain_prior: str | os.PathLike | None = None,
    log: str | os.PathLike | None = None,
    attempt: int = 1,
    threads: int = 1,
    gpus: int = 0,
) -> dict:
    """Fine-tune one backbone and write its checkpoint, history and provenance.

    `pretrain_prior` is the backbone's estimated prior (`prior/<backbone>.csv`), which the
    GLA-Train loss (`finetune.loss: gla`) needs and the LA loss refuses.
    The resume state lives beside the checkpoint as `resume.pt` until the run completes; it
    is tied to the settings, backbone, weights, train split, class names, prior, the code this
    process runs and the package versions.

    `gpus` are the GPUs the scheduler granted (the rule's `gpu` resource): when none is
    usable the job stops at once (`runtime.require_gpu`). Each attempt also logs to
    `<log>.attempt<N>.log` (N: Snakemake's `attempt`): Snakemake clears the rule's log before
    a retry, these stay.
    `provenance.json` lists every resume.
    """
    job = context.start(log, attempt, numbered=True)
    runtime.set_threads(threads)
    runtime.require_gpu(gpus, settings.finetune.device, "finetune.device", "compute.finetune.gpu")
    cfg = settings.finetune
    if (cfg.loss == "gla") != (pretrain_prior is not None):
        needs = "needs the backbone's estimated prior" if cfg.loss == "gla" else "takes no pre-training prior"
        raise ValueError(f"finetune.loss: {cfg.loss!r} {needs} (got {pretrain_prior})")
    backbone = files.load_json(backbone_json)
    classes = pd.read_csv(classes_csv)
    class_names = classes["class_name"].tolist()
    prior_values = prior.load_prior(pretrain_prior, classes) if pretrain_prior is not None else None

    runtime.seed_everything(cfg.seed)
    clip = backbones.load_clip(backbone["model"], weights, backbone["preprocess"])
    model = models.build_classifier(
        clip, backbone["model"], class_names, settings.prompt, cfg.head_scale, cfg.bottleneck
    )
    del clip  # the text tower is no longer needed
    jpeg.check_decode(cfg.decode, runtime.resolve_device(cfg.device), "finetune.decode")
    kind = jpeg.dataset_class(cfg.decode)
    transform = data.train_transform(backbone["preprocess"], cfg.crop_scale, cfg.crop_ratio, tensors=kind.tensors)
    dataset = kind(root, pd.read_csv(train_csv), transform, skip_bad=cfg.max_bad_images > 0)
    fingerprint = _fingerprint(
        settings.result_dict(),
        backbone,
        files.sha256(weights),
        files.sha256(train_csv),
        class_names,
        None if prior_values is None else prior_values.tolist(),
        provenance.code_digest(),
        provenance.package_versions(),
    )
    state_path = Path(checkpoint).with_name("resume.pt")
    summary = train.fit(
        model,
        dataset,
        classes["train_count"].to_numpy(),
        cfg,
        state_path=state_path,
        fingerprint=fingerprint,
        num_workers=runtime.loader_workers(cfg.device, threads),
        pretrain_prior=prior_values,
    )
    model.cpu()
    logger.info(
        "fine-tuned on %s (%s): %.0f images/s, peak GPU memory %s MB",
        summary["device"],
        summary["precision"],
        summary["images_per_second"],
        summary["peak_gpu_memory_mb"],
    )
    final = summary["history"][-1]
    metrics = {"train_acc": final["train_acc"], "loss": final["loss"]}
    payload = models.checkpoint_payload(model, backbone, class_names, config.as_dict(cfg), metrics)
    files.save_torch(checkpoint, payload)
    files.save_json(history, summary["history"])
    facts = (
        "device", "precision", "images_per_second", "peak_gpu_memory_mb", "bad_images", "skipped_images", "resumes"
    )  # fmt: skip
    files.save_json(
        provenance_json, job.record(settings.as_dict(), backbone=backbone, **{k: summary[k] for k in facts})
    )
    state_path.unlink(missing_ok=True)
    return summary
