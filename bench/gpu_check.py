"""GPU check: ViT-B/16 LIFT fine-tuning throughput and peak memory on synthetic images.

    PYTHONPATH=workflow:bench python bench/gpu_check.py [--steps 300] [--batch 128] [--compile]

Runs `--steps` training steps (bf16 autocast, SGD over adapters and head, C = 1000) on
images already on the GPU, so it measures the model, not the input pipeline
(bench/dataloader.py does that). Prints images per second after a warm-up and the peak
GPU memory; with `--compile` the same model is then measured under `torch.compile` in the
same run and the speed-up printed. Target on an H200: at least 2,500 images per second.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import torch
from finetune_step import build

from ltbias import runtime, train


def measure(train_step: train.TrainingStep, images, labels, steps: int, warmup: int) -> tuple[float, float]:
    """Seconds per step over `steps` steps after `warmup` ones, and peak GPU memory in GiB."""
    losses = [train_step(images, labels)[0] for _ in range(warmup)]
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats(images.device)
    started = time.perf_counter()
    losses += [train_step(images, labels)[0] for _ in range(steps)]
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - started) / steps
    assert torch.isfinite(torch.stack(losses)).all(), "non-finite loss"
    return seconds, torch.cuda.max_memory_allocated(images.device) / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="ViT-B-16")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--compile", action="store_true", help="also measure under torch.compile")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_check: no CUDA device; nothing to measure")
    device = runtime.resolve_device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = True
    model, eager = build(args.model, 1000, device, "bf16")
    images = torch.randn(args.batch, 3, 224, 224, device=device)
    labels = torch.randint(0, 1000, (args.batch,), device=device)
    modes = {"eager": eager} | (
        {"compiled": dataclasses.replace(eager, forward=torch.compile(model))} if args.compile else {}
    )
    print(f"{runtime.device_name(device)}: {args.model} LIFT fine-tuning, batch {args.batch}, bf16")
    seconds = {}
    for mode, train_step in modes.items():
        seconds[mode], peak_gib = measure(train_step, images, labels, args.steps, args.warmup)
        print(
            f"  {mode}: {args.batch / seconds[mode]:.0f} images/s, {1e3 * seconds[mode]:.1f} ms/step, "
            f"peak memory {peak_gib:.2f} GiB"
        )
    if args.compile:
        print(f"  torch.compile speed-up: {seconds['eager'] / seconds['compiled']:.2f}x")


if __name__ == "__main__":
    main()
