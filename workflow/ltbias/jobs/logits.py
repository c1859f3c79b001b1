"""Job `logits`: a fine-tuned backbone's raw logits on val and test (test under both
protocols: one centre crop and five-crop TTE), and its kNN probe."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .. import caches, config, files, metrics
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    evaluation: config.EvalConfig


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    return Settings(config.block(config.EvalConfig, cfg, "evaluation"))


def run(
    settings: Settings,
    *,
    checkpoint: str | os.PathLike,
    weights: str | os.PathLike,
    root: str | os.PathLike,
    val: str | os.PathLike,
    test: str | os.PathLike,
    val_logits: str | os.PathLike,
    test_logits: str | os.PathLike,
    test_tte_logits: str | os.PathLike,
    knn: str | os.PathLike,
    cost: str | os.PathLike,
    provenance: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
    gpus: int = 0,
) -> None:
    """Cache the raw logits (no LA offset) of the fine-tuned model on val and test (single
    crop), on test with five-crop TTE, and the test split's kNN votes with the val features
    as memory (method.md §6); measure the model's inference cost (`cost.measure`) into
    `cost`.

    `gpus` are the GPUs the scheduler granted (the rule's `gpu` resource): when none is
    usable the job stops at once (`runtime.require_gpu`).
    """
    from .. import inference, models, runtime  # torch's side: loaded here, not when the workflow builds settings
    from ..cost import measure

    job = context.start(log)
    runtime.set_threads(threads)
    runtime.require_gpu(gpus, settings.evaluation.device, "evaluation.device", "compute.logits.gpu")
    cfg = settings.evaluation
    model, meta = models.load_finetuned(checkpoint, weights)
    preprocess = meta["backbone"]["preprocess"]
    workers = runtime.loader_workers(cfg.device, threads)
    outputs = inference.protocol_logits(model, root, val, test, preprocess, cfg, workers, features=True)
    for split, path in {"val": val_logits, "test": test_logits, "test_tte": test_tte_logits}.items():
        caches.save_logits(path, outputs[split].logits, outputs[split].labels)
    on_val, on_test = outputs["val"], outputs["test"]
    votes = metrics.knn_scores(
        on_val.features, on_val.labels, on_test.features, on_val.logits.shape[1], cfg.knn_k, cfg.knn_temperature
    )
    caches.save_logits(knn, votes, on_test.labels)
    device = runtime.resolve_device(cfg.device)
    precision = runtime.resolve_precision(cfg.precision, device)
    measured = measure(model, preprocess["size"], cfg.batch_size, device, precision)
    files.save_json(cost, measured | {"device": runtime.device_name(device), "precision": precision})
    infos = {split: output.info for split, output in outputs.items()}
    files.save_json(provenance, job.record(config.as_dict(settings), splits=infos))
