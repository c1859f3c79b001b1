"""Job `zeroshot_logits`: a backbone's zero-shot logits on val and test (method.md §7)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from .. import backbones, caches, config, files, inference, models, runtime
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    evaluation: config.EvalConfig
    prompt: str
    fp16_weights: bool = False  # the backbone's weights rounded through fp16, as the reference


def run(
    settings: Settings,
    *,
    backbone: str | os.PathLike,
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
    """Cache logit_scale x cosine(projected image feature, prompt feature) on val and test,
    and on test with five-crop TTE (GLA's post-hoc adjustment adds them to the fine-tuned
    logits of the same protocol).

    `gpus` are the GPUs the scheduler granted (the rule's `gpu` resource): when none is
    usable the job stops at once (`runtime.require_gpu`).
    """
    job = context.start(log)
    runtime.set_threads(threads)
    runtime.require_gpu(gpus, settings.evaluation.device, "evaluation.device", "compute.logits.gpu")
    cfg = settings.evaluation
    checked = config.read_backbone(backbone)
    class_names = pd.read_csv(classes)["class_name"].tolist()
    clip = backbones.load_clip(checked.model, weights, checked.preprocess, settings.fp16_weights)
    model = models.ZeroShotClassifier(clip, checked.model, class_names, settings.prompt)
    datasets = inference.split_datasets(root, {"val": val, "test": test}, checked.preprocess, cfg)
    workers = runtime.loader_workers(cfg.device, threads)
    datasets |= {"test_tte": inference.split_datasets(root, {"test": test}, checked.preprocess, cfg, tte=True)["test"]}
    outputs = {split: inference.compute_logits(model, d, cfg, workers) for split, d in datasets.items()}
    for split, path in (("val", val_logits), ("test", test_logits), ("test_tte", test_tte_logits)):
        caches.save_logits(path, outputs[split].logits, outputs[split].labels)
    infos = {split: output.info for split, output in outputs.items()}
    files.save_json(provenance, job.record(config.as_dict(settings), splits=infos))
