"""Device, precision, threads and seeds: resolved once, used everywhere."""

from __future__ import annotations

import contextlib
import logging
import os
import random

import numpy as np
import torch

from .config import PRECISIONS
from .errors import NoGPUError

__all__ = [
    "autocast",
    "device_name",
    "grad_scaler",
    "loader_workers",
    "require_gpu",
    "resolve_device",
    "resolve_precision",
    "seed_everything",
    "set_threads",
]

logger = logging.getLogger(__name__)


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA when present, else CPU; anything else is passed to torch."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} requested but CUDA is not available")
    return device


def require_gpu(requested: int, device: str, device_key: str, request_key: str) -> None:
    """Stop at once when the scheduler granted GPUs (`requested`, the rule's `gpu` resource)
    but `device` would resolve to the CPU: a driver, module or allocation problem would
    otherwise train for days on the CPU. `device: cpu` in the config opts out."""
    if requested > 0 and device == "auto" and not torch.cuda.is_available():
        raise NoGPUError(
            f"{request_key} requests {requested} GPU(s), but this job finds no usable CUDA device "
            f"(torch.cuda.is_available() is False; CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}). "
            f"Check the node's driver and the job's GPU allocation, "
            f"or set {device_key}: cpu to run on the CPU on purpose"
        )


def resolve_precision(precision: str, device: torch.device) -> str:
    """`auto` means bf16 autocast on CUDA and fp32 elsewhere (method.md §4.5 uses AMP)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {list(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    if precision != "fp32" and device.type == "cpu":
        logger.warning("precision %s requested on CPU; running fp32", precision)
        return "fp32"
    return precision


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for a resolved precision; a no-op for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """Loss scaling for a resolved precision: only fp16 needs it (bf16 has fp32's range)."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")


def loader_workers(device: str, threads: int) -> int:
    """DataLoader workers: the job's threads on CUDA; on CPU the main process decodes."""
    return threads if resolve_device(device).type == "cuda" else 0


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads(threads: int) -> None:
    """Bound intra-op CPU threads to what the scheduler granted the job."""
    torch.set_num_threads(max(1, int(threads)))


def device_name(device: torch.device) -> str:
    """Human-readable name of the device, for logs and provenance."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"
