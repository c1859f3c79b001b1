"""Job `zeroshot_logits`: a backbone's zero-shot logits on val and test (method.md §7)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from .. import caches, config, files
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    backbone: config.Backbone  # as configured: its preprocess an override, if any
    evaluation: config.EvalConfig
    templates: str | tuple[str, ...]  # a named set (`models.TEMPLATE_SETS`) or `{}` templates
    fp16_weights: bool = False  # the backbone's weights rounded through fp16, as the reference


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    """`zeroshot_templates` resolved: `prompt` is the single prompt, `toy_captions` the toy
    pretraining captions; a named open_clip set stays a name."""
    templates = cfg["zeroshot_templates"]
    if templates == "prompt":
        templates = [cfg["prompt"]]
    elif templates == "toy_captions":
        templates = config.block(config.PretrainConfig, cfg, "toy_pretrain").templates
    evaluation = config.block(config.EvalConfig, cfg, "evaluation")
    backbone = config.configured_backbone(cfg, wildcards["backbone"])
    templates = templates if isinstance(templates, str) else tuple(templates)
    return Settings(backbone, evaluation, templates, cfg["fp16_weights"])


def run(
    settings: Settings,
    *,
    weights: str | os.PathLike,
    root: str | os.PathLike,
    val: str | os.PathLike,
    test: str | os.PathLike,
    classes: str | os.PathLike,
    val_logits: str | os.PathLike,
    test_logits: str | os.PathLike,
    test_tte_logits: str | os.PathLike,
    provenance: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
    gpus: int = 0,
) -> None:
    """Cache logit_scale x cosine(projected image feature, class text feature) on val and
    test, and on test with five-crop TTE (GLA's post-hoc adjustment adds them to the
    fine-tuned logits of the same protocol). The text feature of a class averages its
    prompts under `settings.templates`, as GLA's zero-shot classifier does.

    `gpus` are the GPUs the scheduler granted (the rule's `gpu` resource): when none is
    usable the job stops at once (`runtime.require_gpu`).
    """
    from .. import backbones, inference, models, runtime  # torch's side: not loaded to build settings

    job = context.start(log)
    runtime.set_threads(threads)
    runtime.require_gpu(gpus, settings.evaluation.device, "evaluation.device", "compute.logits.gpu")
    cfg = settings.evaluation
    checked = backbones.resolve(settings.backbone)
    class_names = pd.read_csv(classes)["class_name"].tolist()
    pin = checked.weights.get("sha256")
    clip = backbones.load_clip(checked.model, weights, checked.preprocess, settings.fp16_weights, pin)
    templates = models.zero_shot_templates(settings.templates)
    model = models.ZeroShotClassifier(clip, checked.model, class_names, templates)
    workers = runtime.loader_workers(cfg.device, threads)
    outputs = inference.protocol_logits(model, root, val, test, checked.preprocess, cfg, workers)
    for split, path in {"val": val_logits, "test": test_logits, "test_tte": test_tte_logits}.items():
        caches.save_logits(path, outputs[split].logits, outputs[split].labels)
    infos = {split: output.info for split, output in outputs.items()}
    files.save_json(provenance, job.record(config.as_dict(settings), splits=infos))
