"""Inference cost of one fine-tuned member: parameters, FLOPs and measured throughput.

FLOPs are counted by `torch.utils.flop_counter` on one forward pass (a multiply-add counts
2: ViT-B/16 with adapters at 224 px counts 33.9 GFLOPs, about twice the 17.6 "GFLOPs" often
quoted, which are multiply-adds). Throughput is the model alone on random images at the
evaluation batch size, device and precision: an ensemble decodes each image once and runs
its members one after another, so a subset's cost is the sum of its members'
(`tables.table9` adds them up).
"""

from __future__ import annotations

import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from . import runtime

__all__ = ["measure"]


@torch.no_grad()
def measure(
    model: nn.Module,
    image_size: int,
    batch_size: int,
    device: torch.device,
    precision: str,
    min_seconds: float = 0.5,
) -> dict:
    """`{"parameters", "trainable_parameters", "gflops_per_image", "images_per_second",
    "batch_size"}` of `model` (in eval mode) on `device`.

    Throughput: one warm-up batch, then batches until `min_seconds` and at least two have run.
    """
    model.eval().to(device)
    image = torch.randn(1, 3, image_size, image_size, device=device)
    with FlopCounterMode(display=False) as counter:
        model(image)
    batch = torch.randn(batch_size, 3, image_size, image_size, device=device)

    def forward() -> None:
        with runtime.autocast(device, precision):
            model(batch)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    forward()
    started, batches = time.perf_counter(), 0
    while batches < 2 or time.perf_counter() - started < min_seconds:
        forward()
        batches += 1
    seconds = time.perf_counter() - started
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "gflops_per_image": counter.get_total_flops() / 1e9,
        "images_per_second": batches * batch_size / seconds,
        "batch_size": batch_size,
    }
