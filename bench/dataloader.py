"""Throughput of the training input pipeline per DataLoader worker, on real JPEG files.

    PYTHONPATH=workflow python bench/dataloader.py [--images 256] [--target 2500]

Writes ImageNet-sized JPEGs (500 x 375, quality 90), then measures decode + RandomResizedCrop
(224) + flip + tensor + normalise in one process (one worker's rate) and through a
DataLoader with every available core, and prints how many workers feed `--target` images
per second (the GPU check's target for ViT-B/16 on an H200).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from torch.utils.data import DataLoader

from ltbias import data

PREPROCESS = {"size": 224, "mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]}


def write_jpegs(folder: Path, n: int) -> pd.DataFrame:
    """Smooth random images (JPEG-compressible like photos) with sharp noise on top."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        low = rng.uniform(0, 255, (12, 16, 3)).astype(np.uint8)
        image = np.asarray(Image.fromarray(low).resize((500, 375), Image.BICUBIC), dtype=np.int16)
        image = np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)
        Image.fromarray(image).save(folder / f"{i:05d}.jpg", quality=90)
        paths.append(f"{i:05d}.jpg")
    return pd.DataFrame({"path": paths, "label": np.zeros(n, dtype=np.int64)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--target", type=float, default=2500.0, help="images per second to feed")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as folder:
        manifest = write_jpegs(Path(folder), args.images)
        dataset = data.ManifestDataset(folder, manifest, data.train_transform(PREPROCESS))
        sampler = data.EpochBatchSampler(len(dataset), 32, seed=0)

        dataset[(0, 0)]  # warm-up
        started = time.perf_counter()
        for i in range(len(dataset)):
            dataset[(i, i)]
        per_worker = len(dataset) / (time.perf_counter() - started)

        started = time.perf_counter()
        decoded = [dataset.load(i) for i in range(len(dataset))]
        decode_share = (time.perf_counter() - started) * per_worker / len(dataset)

        loader = DataLoader(dataset, batch_sampler=sampler, num_workers=cores, collate_fn=data.collate_skipping)
        next(iter(loader))  # start the workers before timing
        started = time.perf_counter()
        seen = sum(len(labels) for _, labels, _ in loader)
        parallel = seen / (time.perf_counter() - started)
    size = decoded[0].size
    print(
        f"{args.images} JPEGs of {size[0]}x{size[1]}: one worker {per_worker:.0f} images/s "
        f"(decode {100 * decode_share:.0f} % of it); DataLoader with {cores} workers {parallel:.0f} images/s "
        f"= {parallel / per_worker:.2f}x one worker"
    )
    print(
        f"workers to feed {args.target:.0f} images/s: {math.ceil(args.target / per_worker)} "
        f"(at {per_worker:.0f} images/s each)"
    )


if __name__ == "__main__":
    main()
