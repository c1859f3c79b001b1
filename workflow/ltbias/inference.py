"""Cached forward passes: logits of a classifier over every image of a split."""

from __future__ import annotations

import logging
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from . import runtime
from .config import EvalConfig
from .data import ManifestDataset

__all__ = ["compute_logits"]

logger = logging.getLogger(__name__)


@torch.no_grad()
def compute_logits(
    model: nn.Module, dataset: ManifestDataset, cfg: EvalConfig, num_workers: int = 0
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Run `model` over `dataset` in manifest order.

    With a five-crop transform (items of shape (5, 3, H, W)) the logits of the crops are
    averaged per image (method.md §4.6).

    Returns:
        logits (N, C) float32 whatever the compute precision, labels (N,) int64, and
        `{"device", "precision", "images_per_second", "peak_gpu_memory_mb"}`.
    """
    device = runtime.resolve_device(cfg.device)
    precision = runtime.resolve_precision(cfg.precision, device)
    model.eval().to(device)
    loader = DataLoader(
        dataset,
        batch_size=cfg.batch_size,
        shuffle=False,
        num_workers=num_workers,
        pin_memory=device.type == "cuda",
    )
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    chunks, started = [], time.perf_counter()
    for images, _ in tqdm(loader, desc="logits", disable=None):
        images = images.to(device, non_blocking=True)
        crops = images.shape[1] if images.ndim == 5 else 1
        with runtime.autocast(device, precision):
            logits = model(images.flatten(0, 1) if crops > 1 else images)
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
    return logits, dataset.labels.copy(), info
