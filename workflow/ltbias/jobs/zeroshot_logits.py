"""Rule `zeroshot_logits`: a backbone's zero-shot logits on val and test (method.md §7)."""

from __future__ import annotations

import json
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

    @classmethod
    def from_params(cls, params: str) -> Settings:
        """From the rule's JSON params `{"evaluation": {...}, "prompt": ...}`."""
        raw = json.loads(params)
        return cls(config.from_dict(config.EvalConfig, raw["evaluation"], "evaluation"), raw["prompt"])

    def as_dict(self) -> dict:
        return {"evaluation": config.as_dict(self.evaluation), "prompt": self.prompt}


def run(
    settings: Settings,
    *,
    backbone_json: str | os.PathLike,
    weights: str | os.PathLike,
    root: str | os.PathLike,
    val_csv: str | os.PathLike,
    test_csv: str | os.PathLike,
    classes_csv: str | os.PathLike,
    val_logits: str | os.PathLike,
    test_logits: str | os.PathLike,
    provenance_json: str | os.PathLike,
    log: str | os.PathLike | None = None,
    threads: int = 1,
    gpus: int = 0,
) -> None:
    """Cache logit_scale x cosine(projected image feature, prompt feature) on val and test.

    `gpus` are the GPUs the scheduler granted (the rule's `gpu` resource): when none is
    usable the job stops at once (`runtime.require_gpu`).
    """
    job = context.start(log)
    runtime.set_threads(threads)
    runtime.require_gpu(gpus, settings.evaluation.device, "evaluation.device", "compute.logits.gpu")
    cfg = settings.evaluation
    backbone = files.load_json(backbone_json)
    class_names = pd.read_csv(classes_csv)["class_name"].tolist()
    clip = backbones.load_clip(backbone["model"], weights, backbone["preprocess"])
    model = models.ZeroShotClassifier(clip, backbone["model"], class_names, settings.prompt)
    datasets = inference.split_datasets(root, {"val": val_csv, "test": test_csv}, backbone["preprocess"], cfg)
    workers = runtime.loader_workers(cfg.device, threads)
    outputs = {split: inference.compute_logits(model, d, cfg, workers) for split, d in datasets.items()}
    for split, path in (("val", val_logits), ("test", test_logits)):
        caches.save_logits(path, outputs[split].logits, outputs[split].labels)
    files.save_json(provenance_json, job.record(settings.as_dict(), splits={s: o.info for s, o in outputs.items()}))
