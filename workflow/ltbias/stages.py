"""One function per expensive workflow stage: read input files, run, write output files.

The rule scripts only unpack Snakemake's objects and call these; tests call them
directly with paths. Cheap stages (ensembles, tables, figures) live in `reports.py`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import pandas as pd
import torch

from . import backbones, caches, config, data, files, inference, metrics, models, provenance, runtime, train

__all__ = ["finetune", "logits", "zeroshot_logits"]

logger = logging.getLogger(__name__)


def _offline() -> None:
    """Jobs that load weights never download: fetched weights are local files by now."""
    os.environ["HF_HUB_OFFLINE"] = "1"


def _workers(device: str, threads: int) -> int:
    """DataLoader workers: the job's threads on CUDA; on CPU the main process decodes."""
    return threads if runtime.resolve_device(device).type == "cuda" else 0


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def finetune(
    backbone_json: str | os.PathLike,
    weights_file: str | os.PathLike,
    root: str | os.PathLike,
    train_csv: str | os.PathLike,
    classes_csv: str | os.PathLike,
    settings: dict,
    out: dict[str, str],
    threads: int = 1,
    where: str = "finetune",
) -> dict:
    """Fine-tune one backbone with the LIFT recipe and write its checkpoint.

    Args:
        settings: `{"finetune": <finetune block>, "prompt": <template>}`.
        out: paths `checkpoint`, `history`, `provenance`; the resume state lives beside
            the checkpoint as `resume.pt` until the run completes.
    """
    started = provenance.now()
    _offline()
    runtime.set_threads(threads)
    cfg = config.from_dict(config.FinetuneConfig, settings["finetune"], where)
    backbone = files.load_json(backbone_json)
    classes = pd.read_csv(classes_csv)
    manifest = pd.read_csv(train_csv)
    class_names = classes["class_name"].tolist()

    runtime.seed_everything(cfg.seed)
    clip = backbones.load_clip(backbone["model"], weights_file, backbone["preprocess"])
    model = models.build_classifier(
        clip, backbone["model"], class_names, settings["prompt"], cfg.head_scale, cfg.bottleneck
    )
    del clip  # the text tower is no longer needed
    transform = data.train_transform(backbone["preprocess"], cfg.crop_scale, cfg.crop_ratio)
    dataset = data.ManifestDataset(root, manifest, transform, skip_bad=cfg.max_bad_images > 0)
    fingerprint = _fingerprint(
        settings,
        backbone,
        files.sha256(weights_file),
        files.sha256(train_csv),
        class_names,
        provenance.code_digest(),
        provenance.package_versions(),
    )
    state_path = Path(out["checkpoint"]).with_name("resume.pt")
    summary = train.fit(
        model,
        dataset,
        classes["train_count"].to_numpy(),
        cfg,
        state_path=state_path,
        fingerprint=fingerprint,
        num_workers=_workers(cfg.device, threads),
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
    files.save_torch(
        out["checkpoint"],
        models.checkpoint_payload(
            model, backbone, class_names, config.as_dict(cfg), {"train_acc": final["train_acc"], "loss": final["loss"]}
        ),
    )
    files.save_json(out["history"], summary["history"])
    files.save_json(
        out["provenance"],
        provenance.record(
            settings,
            started,
            backbone=backbone,
            device=summary["device"],
            precision=summary["precision"],
            images_per_second=summary["images_per_second"],
            peak_gpu_memory_mb=summary["peak_gpu_memory_mb"],
            bad_images=summary["bad_images"],
            skipped_images=summary["skipped_images"],
        ),
    )
    state_path.unlink(missing_ok=True)
    return summary


def _eval_datasets(
    root: str | os.PathLike, manifests: dict[str, str], preprocess: dict, cfg: config.EvalConfig
) -> dict:
    transform = data.tte_transform(preprocess, cfg.tte_expand) if cfg.tte else data.test_transform(preprocess)
    return {split: data.ManifestDataset(root, pd.read_csv(path), transform) for split, path in manifests.items()}


def _cache_logits(
    model: torch.nn.Module,
    root: str | os.PathLike,
    manifests: dict[str, str],
    preprocess: dict,
    settings: dict,
    out: dict[str, str],
    threads: int,
    started: str,
    knn: bool = False,
) -> None:
    """Write each split's logits; with `knn`, also the test split's kNN votes (`out["knn"]`)
    with the val split as memory."""
    cfg = config.from_dict(config.EvalConfig, settings["evaluation"], "evaluation")
    facts, outputs = {}, {}
    for split, dataset in _eval_datasets(root, manifests, preprocess, cfg).items():
        outputs[split] = inference.compute_logits(model, dataset, cfg, _workers(cfg.device, threads), features=knn)
        caches.save_logits(out[split], outputs[split].logits, outputs[split].labels)
        facts[split] = outputs[split].info
    if knn:
        memory, queries = outputs["val"], outputs["test"]
        votes = metrics.knn_scores(
            memory.features, memory.labels, queries.features, memory.logits.shape[1], cfg.knn_k, cfg.knn_temperature
        )
        caches.save_logits(out["knn"], votes, queries.labels)
    files.save_json(out["provenance"], provenance.record(settings, started, splits=facts))


def logits(
    checkpoint: str | os.PathLike,
    weights_file: str | os.PathLike,
    root: str | os.PathLike,
    manifests: dict[str, str],
    settings: dict,
    out: dict[str, str],
    threads: int = 1,
) -> None:
    """Cache the fine-tuned backbone's raw logits (no LA offset) on the `val` and `test`
    splits of `manifests`, and the kNN feature probe's votes on test.

    Args:
        settings: `{"evaluation": <evaluation block>}`.
        out: a path per split, `knn` and `provenance`.
    """
    started = provenance.now()
    _offline()
    runtime.set_threads(threads)
    model, meta = models.load_finetuned(checkpoint, weights_file)
    preprocess = meta["backbone"]["preprocess"]
    _cache_logits(model, root, manifests, preprocess, settings, out, threads, started, knn=True)


def zeroshot_logits(
    backbone_json: str | os.PathLike,
    weights_file: str | os.PathLike,
    root: str | os.PathLike,
    manifests: dict[str, str],
    classes_csv: str | os.PathLike,
    settings: dict,
    out: dict[str, str],
    threads: int = 1,
) -> None:
    """Cache zero-shot logits (logit_scale x cosine of projected features) on each split.

    Args:
        settings: `{"evaluation": <evaluation block>, "prompt": <template>}`.
    """
    started = provenance.now()
    _offline()
    runtime.set_threads(threads)
    backbone = files.load_json(backbone_json)
    class_names = pd.read_csv(classes_csv)["class_name"].tolist()
    clip = backbones.load_clip(backbone["model"], weights_file, backbone["preprocess"])
    model = models.ZeroShotClassifier(clip, backbone["model"], class_names, settings["prompt"])
    _cache_logits(model, root, manifests, backbone["preprocess"], settings, out, threads, started)
