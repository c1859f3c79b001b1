"""Contrastive pretraining of toy backbones: parameter imbalance made on purpose.

Each toy backbone sees its own caption corpus whose class frequencies follow an
exponential profile (max/min = `imbalance`) over a backbone-specific order of the
classes, so each has a different head. The per-class counts are the ground truth that
the P-group analysis is checked against.

The negatives decide whether the corpus's label prior reaches the zero-shot logits, and so
whether the paper's estimator can recover it (`snakemake prior_recovery` measures it; no
other lever moves it). With `negatives="vocabulary"` (the default) every image is contrasted
with one caption per class, a uniform negative distribution, and the optimum log p(t|x)
keeps log p(y) of the corpus: the additive log-prior of GLA's premise for CLIP on LAION.
With open_clip's `ClipLoss` (`negatives="batch"`) the batch's captions are the negatives;
they are drawn from the corpus itself, so a frequent class is a frequent negative, and
InfoNCE's optimal critic log p(t|x) / p(t) divides the prior out.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import open_clip
import pandas as pd
import torch
import torch.nn.functional as F
from torchvision import transforms as T
from tqdm import tqdm

from . import backbones, runtime
from .config import PretrainConfig
from .toyworld import ToyWorld, render

__all__ = ["corpus_counts", "model_view", "normalise", "pretrain"]

logger = logging.getLogger(__name__)


def corpus_counts(n_classes: int, corpus_size: int, imbalance: float, seed: int) -> np.ndarray:
    """Per-class caption counts (C,) summing to about `corpus_size`, head drawn by `seed`."""
    profile = imbalance ** (-np.arange(n_classes) / max(1, n_classes - 1))
    order = np.random.default_rng(seed).permutation(n_classes)
    counts = np.empty(n_classes, dtype=np.int64)
    counts[order] = np.maximum(1, np.rint(corpus_size * profile / profile.sum()))
    return counts


def model_view(images: np.ndarray, preprocess: dict) -> torch.Tensor:
    """Rendered images (N, S, S, 3) uint8 as the model sees them through the test
    transform: (N, 3, size, size) uint8, the central crop (`normalise` makes them inputs)."""
    return T.CenterCrop(preprocess["size"])(torch.from_numpy(images).permute(0, 3, 1, 2))


def normalise(images: torch.Tensor, preprocess: dict) -> torch.Tensor:
    """uint8 images (N, 3, H, W) as float model inputs, with the weights' mean and std."""
    mean = torch.tensor(preprocess["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(preprocess["std"]).view(1, 3, 1, 1)
    return (images.float() / 255 - mean) / std


def _caption_features(
    clip: torch.nn.Module, tokens: torch.Tensor, labels: np.ndarray, template: np.ndarray
) -> torch.Tensor:
    """Normalised text features of the captions `tokens[labels, template]`, each distinct
    caption encoded once: a long-tailed batch repeats its head captions many times."""
    caption = labels * tokens.shape[1] + template
    distinct, inverse = np.unique(caption, return_inverse=True)
    features = clip.encode_text(tokens.view(-1, tokens.shape[-1])[torch.from_numpy(distinct)], normalize=True)
    return features[torch.from_numpy(inverse)]


def _optimizer(
    clip: torch.nn.Module, cfg: PretrainConfig
) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW with a linear warmup, then a cosine to zero.

    The token embedding keeps its random initialisation: the captions use a few dozen of
    its 49,408 rows, yet training it costs a dense gradient and an AdamW update of the
    whole table every step (15 % of a toy step); the text transformer learns to read it.
    """
    clip.token_embedding.requires_grad_(False)
    trained = [p for p in clip.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)

    def lr_factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * progress))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)


def pretrain(
    model: str, world: ToyWorld, cfg: PretrainConfig, preprocess: dict
) -> tuple[dict[str, torch.Tensor], pd.DataFrame, list[dict]]:
    """Pretrain a randomly initialised open_clip `model` with open_clip's `ClipLoss`.

    Returns the state dict (loadable with `open_clip.create_model(model, pretrained=file)`),
    the corpus counts as a table (`label`, `class_name`, `count`) and a loss history.
    """
    runtime.seed_everything(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    counts = corpus_counts(world.num_classes, cfg.corpus_size, cfg.imbalance, cfg.seed)
    labels = rng.permutation(np.repeat(np.arange(world.num_classes), counts))
    images = model_view(render(world, labels, rng), preprocess)

    tokenizer = open_clip.get_tokenizer(model)
    captions = [t.format(name) for name in world.class_names for t in cfg.templates]
    tokens = tokenizer(captions).view(world.num_classes, len(cfg.templates), -1)

    clip = backbones.random_clip(model)
    clip.train()
    optimizer, scheduler = _optimizer(clip, cfg)
    loss_fn = open_clip.ClipLoss()
    history = []
    for step in tqdm(range(cfg.steps), desc="pretrain", disable=None):
        idx = torch.from_numpy(rng.integers(len(labels), size=cfg.batch_size))
        batch = normalise(images[idx], preprocess)
        batch_labels = torch.from_numpy(labels[idx.numpy()])
        image_features = clip.encode_image(batch, normalize=True)
        logit_scale = clip.logit_scale.exp()
        if cfg.negatives == "batch":
            template = rng.integers(len(cfg.templates), size=cfg.batch_size)
            text_features = _caption_features(clip, tokens, batch_labels.numpy(), template)
            loss = loss_fn(image_features, text_features, logit_scale)
        else:  # one caption per class: the image-to-text softmax runs over the whole vocabulary
            template = rng.integers(len(cfg.templates), size=world.num_classes)
            text_features = _caption_features(clip, tokens, np.arange(world.num_classes), template)
            loss = F.cross_entropy(logit_scale * image_features @ text_features.t(), batch_labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        with torch.no_grad():
            clip.logit_scale.clamp_(0, math.log(100))
        if (step + 1) % 100 == 0 or step + 1 == cfg.steps:
            value = loss.item()
            history.append({"step": step + 1, "loss": value})
            logger.info("step %d loss %.4f", step + 1, value)
            if not math.isfinite(value):
                raise FloatingPointError(f"non-finite pretraining loss at step {step + 1}")
    table = pd.DataFrame({"label": np.arange(world.num_classes), "class_name": world.class_names, "count": counts})
    return clip.state_dict(), table, history
