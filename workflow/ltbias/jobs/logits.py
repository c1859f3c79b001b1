"""Rule `logits`: a fine-tuned backbone's raw logits on val and test (test under both
protocols: one centre crop and five-crop TTE), and its kNN probe."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .. import caches, config, cost, files, inference, metrics, models, runtime
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    evaluation: config.EvalConfig

    @classmethod
    def from_params(cls, params: str) -> Settings:
        """From the rule's JSON params `{"evaluation": {...}}`."""
        return cls(config.from_dict(config.EvalConfig, json.loads(params)["evaluation"], "evaluation"))

    def as_dict(self) -> dict:
        return {"evaluation": config.as_dict(self.evaluation)}


def run(
    settings: Settings,
    *,
    checkpoint: str | os.PathLike,
    weights: str | os.PathLike,
    root: str | os.PathLike,
    val_csv: str | os.PathLike,
    test_csv: str | os.PathLike,
    val_logits: str | os.PathLike,
    test_logits: str | os.PathLike,
    test_tte_logits: str | os.PathLike,
    knn: str | os.PathLike,
    cost_json: str | os.PathLike,
    provenance_json: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
    gpus: int = 0,
) -> None:
    """Cache the raw logits (no LA offset) of the fine-tuned model on val and test (single
    crop), on test with five-crop TTE, and the test split's kNN votes with the val features
    as memory (method.md §6); measure the model's inference cost (`cost.measure`) into
    `cost_json`.

    `gpus` are the GPUs the scheduler granted (the rule's `gpu` resource): when none is
    usable the job stops at once (`runtime.require_gpu`).
    """
    job = context.start(log)
    runtime.set_threads(threads)
    runtime.require_gpu(gpus, settings.evaluation.device, "evaluation.device", "compute.logits.gpu")
    cfg = settings.evaluation
    model, meta = models.load_finetuned(checkpoint, weights)
    preprocess = meta["backbone"]["preprocess"]
    datasets = inference.split_datasets(root, {"val": val_csv, "test": test_csv}, preprocess, cfg)
    workers = runtime.loader_workers(cfg.device, threads)
    val, test = (inference.compute_logits(model, d, cfg, workers, features=True) for d in datasets.values())
    tte = inference.compute_logits(
        model, inference.split_datasets(root, {"test": test_csv}, preprocess, cfg, tte=True)["test"], cfg, workers
    )
    caches.save_logits(val_logits, val.logits, val.labels)
    caches.save_logits(test_logits, test.logits, test.labels)
    caches.save_logits(test_tte_logits, tte.logits, tte.labels)
    votes = metrics.knn_scores(
        val.features, val.labels, test.features, val.logits.shape[1], cfg.knn_k, cfg.knn_temperature
    )
    caches.save_logits(knn, votes, test.labels)
    device = runtime.resolve_device(cfg.device)
    precision = runtime.resolve_precision(cfg.precision, device)
    measured = cost.measure(model, preprocess["size"], cfg.batch_size, device, precision)
    files.save_json(cost_json, measured | {"device": runtime.device_name(device), "precision": precision})
    files.save_json(
        provenance_json,
        job.record(settings.as_dict(), splits={"val": val.info, "test": test.info, "test_tte": tte.info}),
    )
