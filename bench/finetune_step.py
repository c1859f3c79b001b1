"""Cost of a LIFT training step relative to a forward pass, measured in one run.

    PYTHONPATH=workflow python bench/finetune_step.py [--models toy ViT-B-16] [--batch N] [--compile]

For each model: the inference forward of the frozen backbone alone, the same with the
adapters and head, and a full training step (forward with autograd, backward, SGD). With a
frozen backbone the backward pass needs input gradients only, so a step should cost about
2x a forward (target: at most 2.2x on ViT-B/16); AdaptFormer at r = 32 adds about 0.7 %.
Random weights, synthetic images; on CUDA in bf16 autocast, on CPU in fp32. With `--compile`
the training step is timed again under `torch.compile` (compilation time printed apart).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
import open_clip
import torch

from ltbias import models, runtime, train  # importing models registers the toy architecture
from ltbias.config import FinetuneConfig

SMALL_MODELS = {"ltbias-toy-vit"}  # CPU batch 128; larger models use batch 4 on CPU


def _time(fn, repeats: int, device: torch.device) -> float:
    """Median seconds of `fn` over `repeats` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def build(
    model_name: str, n_classes: int, device: torch.device, precision: str
) -> tuple[models.LongTailClassifier, train.TrainingStep]:
    """The LIFT classifier on a randomly initialised `model_name`, on `device`, and the
    training step `fit` would run on it with the paper's settings (FinetuneConfig defaults)."""
    torch.manual_seed(0)
    cfg = FinetuneConfig()
    model = models.assemble_classifier(open_clip.create_model(model_name).visual, n_classes, cfg.head_scale)
    model.to(device)
    counts = np.arange(1, n_classes + 1)  # a long tail: 1 ... C images
    scaler = runtime.grad_scaler(device, precision)
    step = train.TrainingStep.for_model(
        model, train.build_optimizer(model, cfg), scaler, counts, cfg, device, precision
    )
    return model, step


def bench(model_name: str, batch: int, repeats: int, device: torch.device, measure_compiled: bool) -> dict:
    precision = runtime.resolve_precision("auto", device)
    n_classes = 1000
    model, train_step = build(model_name, n_classes, device, precision)
    plain = open_clip.create_model(model_name).visual.to(device).eval()
    plain.proj = None
    size = plain.image_size[0]
    images = torch.randn(batch, 3, size, size, device=device)
    labels = torch.randint(0, n_classes, (batch,), device=device)

    @torch.no_grad()
    def backbone_forward():
        with runtime.autocast(device, precision):
            plain(images)

    @torch.no_grad()
    def tuned_forward():
        with runtime.autocast(device, precision):
            model(images)

    model.eval()
    result = {"batch": batch, "precision": precision}
    result["forward"] = _time(backbone_forward, repeats, device)
    result["tuned"] = _time(tuned_forward, repeats, device)
    model.train()
    result["step"] = _time(lambda: train_step(images, labels), repeats, device)
    if measure_compiled:
        compiled_step = dataclasses.replace(train_step, forward=torch.compile(model))
        started = time.perf_counter()
        compiled_step(images, labels)
        result["compilation"] = time.perf_counter() - started
        result["compiled_step"] = _time(lambda: compiled_step(images, labels), repeats, device)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["ltbias-toy-vit", "ViT-B-16"])
    parser.add_argument("--batch", type=int, help="default: 128 on CUDA; on CPU 128 (toy) and 4 (ViT-B/16)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compile", action="store_true", help="also time the step under torch.compile")
    args = parser.parse_args()
    device = runtime.resolve_device("auto")
    print(f"device: {runtime.device_name(device)}")
    for name in args.models:
        batch = args.batch or (128 if device.type == "cuda" or name in SMALL_MODELS else 4)
        r = bench(name, batch, args.repeats, device, args.compile)
        print(
            f"{name} batch {r['batch']} {r['precision']}: forward {r['forward'] * 1e3:.1f} ms, "
            f"with adapters+head {r['tuned'] * 1e3:.1f} ms ({100 * (r['tuned'] / r['forward'] - 1):+.1f} %), "
            f"training step {r['step'] * 1e3:.1f} ms = {r['step'] / r['forward']:.2f}x forward, "
            f"{r['batch'] / r['step']:.0f} images/s"
        )
        if args.compile:
            print(
                f"  compiled step {r['compiled_step'] * 1e3:.1f} ms (speed-up {r['step'] / r['compiled_step']:.2f}x) "
                f"after {r['compilation']:.0f} s of compilation"
            )


if __name__ == "__main__":
    main()
