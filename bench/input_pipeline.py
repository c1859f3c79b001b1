"""End-to-end LIFT fine-tuning throughput from JPEG files on disk: CPU vs GPU decoding.

    PYTHONPATH=workflow:bench python bench/input_pipeline.py [--images 4096] [--batch 128]
        [--workers 16] [--decode cpu gpu] [--model ViT-B-16]

Writes ImageNet-sized synthetic JPEGs (500 x 375, `dataloader.write_jpegs`), then runs one
epoch of `train.fit` over them per pipeline, exactly as the finetune job does (a ViT-B/16
at random init with adapters and a cosine head for 1,000 classes, bf16 on CUDA):
`finetune.decode: cpu` (PIL in `--workers` DataLoader workers) and `gpu` (the workers read
bytes, the main process decodes the batch with nvJPEG and transforms it on the GPU). Prints
images/s of each and the ratio, measured in one run. The first batches (worker start-up,
cuDNN autotuning) are included: use enough images for them not to matter. Without a GPU it
runs the CPU pipeline only, as a smoke test.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import open_clip
import torch
from dataloader import PREPROCESS, write_jpegs

from ltbias import data, jpeg, models, runtime, train
from ltbias.config import FinetuneConfig


def throughput(folder: Path, manifest, decode: str, args: argparse.Namespace) -> dict:
    """One epoch of fine-tuning over `manifest`; the summary `fit` returns."""
    torch.manual_seed(0)
    model = models.assemble_classifier(open_clip.create_model(args.model).visual, 1000, 25.0)
    kind = jpeg.dataset_class(decode)
    transform = data.train_transform(PREPROCESS | {"interpolation": "bilinear"}, tensors=kind.tensors)
    dataset = kind(folder, manifest, transform)
    cfg = FinetuneConfig(epochs=1, batch_size=args.batch, checkpoint_every_steps=0, log_every_steps=10, decode=decode)
    counts = np.bincount(manifest["label"], minlength=1000) + 1
    with tempfile.TemporaryDirectory() as state:
        return train.fit(
            model, dataset, counts, cfg, state_path=Path(state) / "resume.pt", fingerprint=decode,
            num_workers=args.workers,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--decode", nargs="+", default=["cpu", "gpu"], choices=["cpu", "gpu"])
    parser.add_argument("--model", default="ViT-B-16")
    args = parser.parse_args()
    device = runtime.resolve_device("auto")
    decodes = [d for d in args.decode if d == "cpu" or device.type == "cuda"]
    torch.backends.cuda.matmul.allow_tf32 = True
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        manifest = write_jpegs(Path(folder), args.images)
        manifest["label"] = np.arange(len(manifest)) % 1000
        for decode in decodes:
            summary = throughput(Path(folder), manifest, decode, args)
            rates[decode] = summary["images_per_second"]
            print(
                f"{summary['device']} ({summary['precision']}), {args.model}, {args.images} JPEGs, batch {args.batch}, "
                f"{args.workers} workers, decode {decode}: {rates[decode]:.0f} images/s end to end, "
                f"peak GPU memory {summary['peak_gpu_memory_mb']} MB"
            )
    if len(rates) == 2:
        print(f"GPU decoding / CPU decoding: {rates['gpu'] / rates['cpu']:.2f}x")


if __name__ == "__main__":
    main()
