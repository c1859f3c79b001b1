"""Cached forward passes: logits of a classifier over every image of a split."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from . import data, jpeg, runtime
from .config import EvalConfig
from .data import ManifestDataset

__all__ = ["Outputs", "compute_logits", "protocol_logits", "split_datasets"]

logger = logging.getLogger(__name__)


@dataclass
class Outputs:
    """What one pass over a split gives: logits (N, C) float32 whatever the compute
    precision, labels (N,) int64, L2-normalised features (N, D) float32 when asked for, and
    `info` = `{"device", "precision", "images_per_second", "peak_gpu_memory_mb"}`."""

    logits: np.ndarray
    labels: np.ndarray
    info: dict
    features: np.ndarray | None = None


def split_datasets(
    root: str | os.PathLike,
    manifests: dict[str, str | os.PathLike],
    preprocess: dict,
    cfg: EvalConfig,
    tte: bool = False,
) -> dict[str, ManifestDataset]:
    """The evaluated splits under the single-crop test transform, or five-crop TTE; decoded
    by the loader's workers, or on the device in batches with `evaluation.decode: gpu`."""
    kind = jpeg.dataset_class(cfg.decode)
    transform = (
        data.tte_transform(preprocess, cfg.tte_expand, kind.tensors)
        if tte
        else data.test_transform(preprocess, kind.tensors)
    )
    return {split: kind(root, pd.read_csv(path), transform) for split, path in manifests.items()}


@torch.no_grad()
def compute_logits(
    model: nn.Module, dataset: ManifestDataset, cfg: EvalConfig, num_workers: int = 0, features: bool = False
) -> Outputs:
    """Run `model` over `dataset` in manifest order.

    With a five-crop transform (items of shape (5, 3, H, W)) the logits (and features) of
    the crops are averaged per image (method.md §4.6). `features=True` needs a model with
    `features(x)` and `head(f)` (the fine-tuned `LongTailClassifier`).
    """
    device = runtime.resolve_device(cfg.device)
    jpeg.check_decode(cfg.decode, device, "evaluation.decode")
    precision = runtime.resolve_precision(cfg.precision, device)
    model.eval().to(device)
    loader = DataLoader(
        dataset,
        batch_size=cfg.batch_size,
        shuffle=False,
        num_workers=num_workers,
        pin_memory=device.type == "cuda",
        collate_fn=dataset.collate,
    )
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    chunks, feature_chunks, started = [], [], time.perf_counter()
    for images, labels, _ in tqdm(loader, desc="logits", disable=None):
        images, _, _ = dataset.prepare(images, labels, device)
        crops = images.shape[1] if images.ndim == 5 else 1
        flat = images.flatten(0, 1) if crops > 1 else images
        with runtime.autocast(device, precision):
            if features:
                embedded = model.features(flat)
                logits = model.head(embedded)
                embedded = embedded.float().view(len(images), crops, -1).mean(dim=1)
                feature_chunks.append(torch.nn.functional.normalize(embedded, dim=-1))
            else:
                logits = model(flat)
        chunks.append(logits.float().view(len(images), crops, -1).mean(dim=1))
    logits = torch.cat(chunks).cpu().numpy()
    seconds = time.perf_counter() - started
    if not np.isfinite(logits).all():
        rows = np.flatnonzero(~np.isfinite(logits).all(axis=1))
        raise FloatingPointError(f"non-finite logits in {len(rows)} rows, first manifest rows {rows[:10].tolist()}")
    info = {
        "device": runtime.device_name(device),
        "precision": precision,
        "images_per_second": len(dataset) / seconds,
        "peak_gpu_memory_mb": torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None,
    }
    logger.info(
        "%d images in %.1f s on %s (%s): %.0f images/s, peak GPU memory %s MB",
        len(dataset),
        seconds,
        info["device"],
        precision,
        info["images_per_second"],
        info["peak_gpu_memory_mb"],
    )
    embedded = torch.cat(feature_chunks).cpu().numpy() if features else None
    return Outputs(logits, dataset.labels.copy(), info, embedded)


def protocol_logits(
    model: nn.Module,
    root: str | os.PathLike,
    val: str | os.PathLike,
    test: str | os.PathLike,
    preprocess: dict,
    cfg: EvalConfig,
    num_workers: int = 0,
    features: bool = False,
) -> dict[str, Outputs]:
    """The passes every logits cache of a backbone holds: `val` and `test` under the
    single-crop test transform (with features when asked for) and `test_tte`, five-crop TTE."""
    single = split_datasets(root, {"val": val, "test": test}, preprocess, cfg)
    outputs = {split: compute_logits(model, d, cfg, num_workers, features) for split, d in single.items()}
    tte = split_datasets(root, {"test": test}, preprocess, cfg, tte=True)["test"]
    return outputs | {"test_tte": compute_logits(model, tte, cfg, num_workers)}
