"""The LIFT fine-tuning loop with exact resume (method.md §4.4-§4.5).

SGD over adapters and head, cosine learning rate stepped once per epoch, logit-adjusted
cross-entropy. Training state is checkpointed atomically every `checkpoint_every_steps`
steps and at each epoch end; a rerun with the same fingerprint resumes from it and ends
with bit-identical weights on CPU. SIGTERM or SIGUSR1 checkpoint and stop the run.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

from . import data, files, runtime
from .config import FinetuneConfig
from .errors import JobError, Preempted
from .models import LongTailClassifier

__all__ = [
    "NonFiniteLossError",
    "Preempted",
    "TrainingStep",
    "build_optimizer",
    "fit",
    "log_prior",
    "logit_adjusted_loss",
    "logit_offset",
]

logger = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)
_STATE_KEYS = {
    "fingerprint", "epoch", "step", "model", "optimizer", "scheduler", "scaler", "history", "skipped_images",
    "partial", "resumes",
}  # fmt: skip


class NonFiniteLossError(JobError, FloatingPointError):
    """The training loss became NaN or infinite; the message names epoch and step."""


def log_prior(counts: np.ndarray) -> torch.Tensor:
    """log pi with pi_j = n_j / sum n (+1e-9 inside the log, as the reference code)."""
    counts = torch.as_tensor(np.asarray(counts, dtype=np.float64))
    return torch.log(counts / counts.sum() + 1e-9).float()


def logit_offset(counts: np.ndarray, tau: float, pretrain_prior: np.ndarray | None = None) -> torch.Tensor:
    """What the training loss adds to the logits: tau * log pi_s of the train `counts` (LA),
    plus log pi_p with a `pretrain_prior` (GLA-Train, the reference code's "multi" loss)."""
    offset = tau * log_prior(counts)
    if pretrain_prior is not None:
        offset = offset + log_prior(pretrain_prior)
    return offset


def logit_adjusted_loss(logits: torch.Tensor, labels: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """CE(z + offset, y) (Menon et al.); the offset is applied in training only."""
    return F.cross_entropy(logits + offset, labels)


@contextlib.contextmanager
def _stop_requested() -> Iterator[threading.Event]:
    """An event set by SIGTERM/SIGUSR1 while the block runs (previous handlers restored)."""
    event = threading.Event()

    def handler(signum: int, frame: object) -> None:
        logger.warning("received %s: checkpointing and stopping", signal.Signals(signum).name)
        event.set()

    previous = {s: signal.signal(s, handler) for s in _STOP_SIGNALS}
    try:
        yield event
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _check_finite(losses: list[torch.Tensor], epoch: int, first_step: int) -> list[float]:
    """The window's losses as floats, step by step; raise naming the first non-finite step."""
    if not losses:
        return []
    window = torch.stack(losses).float().cpu()
    finite = torch.isfinite(window)
    if not finite.all():
        step = first_step + int((~finite).nonzero()[0])
        raise NonFiniteLossError(
            f"non-finite training loss {window[step - first_step].item()} at epoch {epoch}, step {step}"
        )
    return window.tolist()


def _sum_in_order(total: float, values: list[float]) -> float:
    """total + values[0] + values[1] + ..., left to right in float64, so a sum carried across
    a stop equals the uninterrupted one (Python 3.12's `sum` compensates: not a plain fold)."""
    for value in values:
        total += value
    return total


@dataclass
class _Run:
    """Everything a resumed run must restore, and where it is saved atomically."""

    path: Path
    fingerprint: str
    model: LongTailClassifier
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    history: list[dict] = field(default_factory=list)
    skipped_images: set[str] = field(default_factory=set)
    partial: dict = field(default_factory=dict)  # the running epoch's counts up to the saved step
    resumes: list[dict] = field(default_factory=list)  # every resume: epoch, step, time

    def save(self, epoch: int, step: int) -> None:
        """Save the state reached *before* `step` of `epoch` (step 0: the epoch's start)."""
        state = {
            "partial": self.partial if step else {},
            "resumes": self.resumes,
            "fingerprint": self.fingerprint,
            "epoch": epoch,
            "step": step,
            "model": self.model.trainable_state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "history": self.history,
            "skipped_images": sorted(self.skipped_images),
        }
        files.save_torch(self.path, state)
        logger.info("saved training state at epoch %d step %d to %s", epoch, step, self.path)

    def restore(self) -> tuple[int, int]:
        """Load a saved state of this fingerprint if there is one; return (epoch, step).

        A state that cannot be read, or was written by another configuration, code, data or
        package versions, is moved aside (kept for inspection) and training starts fresh.
        """
        if not self.path.is_file():
            return 0, 0
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001  (any unreadable state is set aside, never trusted)
            return self._set_aside("unreadable", f"cannot be read ({type(err).__name__}: {err})")
        missing = _STATE_KEYS - set(state) if isinstance(state, dict) else _STATE_KEYS
        if missing:
            return self._set_aside("unreadable", f"lacks {sorted(missing)}")
        if state["fingerprint"] != self.fingerprint:
            return self._set_aside("mismatch", "belongs to a different configuration, code, data or package versions")
        self.model.load_trainable_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.history, self.skipped_images = list(state["history"]), set(state["skipped_images"])
        self.partial = dict(state["partial"])
        resumed = {"epoch": state["epoch"], "step": state["step"], "time": datetime.now(UTC).isoformat()}
        self.resumes = [*state["resumes"], resumed]
        logger.info("resuming from %s at epoch %d step %d", self.path, state["epoch"], state["step"])
        return state["epoch"], state["step"]

    def _set_aside(self, kind: str, why: str) -> tuple[int, int]:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{self.path.stem}.{kind}-{stamp}{self.path.suffix}")
        os.replace(self.path, aside)
        logger.warning("training state %s %s: moved it to %s; training starts fresh", self.path, why, aside)
        return 0, 0


@dataclass(frozen=True)
class TrainingStep:
    """One LIFT optimisation step: autocast forward, logit-adjusted loss, backward, SGD.

    Calling it returns the detached loss and logits without a host synchronisation. The
    benchmarks call this same object, so they time exactly what `fit` runs.
    """

    forward: Callable[[torch.Tensor], torch.Tensor]
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    offset: torch.Tensor  # `logit_offset`: added to the logits in the loss
    device: torch.device
    precision: str

    @classmethod
    def for_model(
        cls,
        model: LongTailClassifier,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler,
        counts: np.ndarray,
        cfg: FinetuneConfig,
        device: torch.device,
        precision: str,
        pretrain_prior: np.ndarray | None = None,
    ) -> TrainingStep:
        """The step `fit` runs: LA loss with the train `counts` (GLA-Train with a
        `pretrain_prior`; plain CE for `loss: ce`), `torch.compile` if configured."""
        forward = torch.compile(model) if cfg.compile else model
        tau = 0.0 if cfg.loss == "ce" else cfg.la_tau
        offset = logit_offset(counts, tau, pretrain_prior).to(device)
        return cls(forward, optimizer, scaler, offset, device, precision)

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with runtime.autocast(self.device, self.precision):
            logits = self.forward(images)
        loss = logit_adjusted_loss(logits.float(), labels, self.offset)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss.detach(), logits.detach()


def _skip(run: _Run, messages: list[str], max_bad_images: int) -> None:
    """Count the batch's undecodable images; more than `max_bad_images` in all is an error."""
    for message in messages:
        run.skipped_images.add(message)
        logger.warning("skipped bad image (%d/%d): %s", len(run.skipped_images), max_bad_images, message)
    if len(run.skipped_images) > max_bad_images:
        raise data.BadImageError(
            f"{len(run.skipped_images)} undecodable images exceed finetune.max_bad_images={max_bad_images}"
        )


def _train_epoch(
    run: _Run,
    loader: DataLoader,
    epoch: int,
    first_step: int,
    cfg: FinetuneConfig,
    train_step: TrainingStep,
    stop: threading.Event,
) -> dict:
    """One epoch from `first_step`; returns its record. Loss and accuracy stay on the device
    and are read every `log_every_steps` steps (the non-finite check), not every step. A
    resumed epoch starts from the counts saved with its state (`run.partial`), so its record
    covers all its images."""
    steps = math.ceil(len(loader.dataset) / cfg.batch_size)
    earlier = run.partial if first_step else {}
    window, window_start = [], first_step
    # the epoch's loss: a float64 sum in step order, whichever windows (or stop) split the epoch
    loss_sum, loss_steps = earlier.get("loss_sum", 0.0), earlier.get("loss_steps", 0)
    correct = torch.full((), earlier.get("correct", 0), dtype=torch.long, device=train_step.device)
    seen, started = earlier.get("seen", 0), time.perf_counter() - earlier.get("seconds", 0.0)
    batches = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", initial=first_step, total=steps, disable=None)
    for step, (images, labels, skipped) in enumerate(batches, start=first_step):
        images, labels, dropped = loader.dataset.prepare(images, labels, train_step.device)
        _skip(run, [*skipped, *dropped], cfg.max_bad_images)
        if len(labels):
            loss, logits = train_step(images, labels)
            window.append(loss)
            correct += (logits.argmax(dim=1) == labels).sum()
            seen += len(labels)
        done = step + 1
        periodic = cfg.checkpoint_every_steps and done % cfg.checkpoint_every_steps == 0
        if done % cfg.log_every_steps == 0 or periodic or stop.is_set():
            values = _check_finite(window, epoch, window_start)
            loss_sum, loss_steps = _sum_in_order(loss_sum, values), loss_steps + len(values)
            mean = sum(values) / len(values) if values else float("nan")
            logger.info("epoch %d step %d/%d loss %.4f", epoch, done, steps, mean)
            window, window_start = [], done
        if stop.is_set() or (periodic and done < steps):
            elapsed = time.perf_counter() - started
            counts = {"loss_sum": loss_sum, "loss_steps": loss_steps, "correct": int(correct), "seen": seen}
            run.partial = counts | {"seconds": elapsed}
            run.save(epoch, done)
            if stop.is_set():
                raise Preempted(f"stopped by signal at epoch {epoch} step {done}; rerun to resume")
    values = _check_finite(window, epoch, window_start)
    loss_sum, loss_steps = _sum_in_order(loss_sum, values), loss_steps + len(values)
    seconds = time.perf_counter() - started
    return {
        "epoch": epoch,
        "lr": run.optimizer.param_groups[0]["lr"],
        "loss": loss_sum / max(1, loss_steps),
        "train_acc": 100.0 * int(correct) / max(1, seen),
        "images": seen,
        "seconds": seconds,
        "images_per_second": seen / seconds,
    }


def build_optimizer(model: LongTailClassifier, cfg: FinetuneConfig) -> torch.optim.SGD:
    """SGD over the adapters and the head only, weight decay on all of them (method.md §4.5)."""
    return torch.optim.SGD(
        model.trainable_parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )


def fit(
    model: LongTailClassifier,
    dataset: data.ManifestDataset,  # a jpeg.EncodedDataset (a subclass) decodes on the device
    counts: np.ndarray,
    cfg: FinetuneConfig,
    *,
    state_path: str | os.PathLike,
    fingerprint: str,
    num_workers: int = 0,
    pretrain_prior: np.ndarray | None = None,
) -> dict:
    """Fine-tune `model` in place on `dataset` whose per-class train counts are `counts`.

    Args:
        state_path: resume checkpoint, read if present and written during training.
        fingerprint: identifies config + data; a state with another fingerprint is ignored.
        num_workers: DataLoader worker processes.
        pretrain_prior: the backbone's estimated pre-training prior (C,), for GLA-Train.

    Returns:
        `{"history": [per-epoch dict], "images_per_second", "device", "precision",
        "peak_gpu_memory_mb", "bad_images", "skipped_images", "resumes"}`; an image skipped in
        every epoch counts once; `resumes` lists every resume of this run (epoch, step, time).
        The resume checkpoint is left in place; the caller removes it once the final
        checkpoint is written.
    """
    device = runtime.resolve_device(cfg.device)
    precision = runtime.resolve_precision(cfg.precision, device)
    model.to(device)
    n_trainable = sum(p.numel() for p in model.trainable_parameters())
    n_frozen = sum(p.numel() for p in model.parameters()) - n_trainable
    logger.info("device %s, precision %s, trainable %d, frozen %d parameters", device, precision, n_trainable, n_frozen)
    optimizer = build_optimizer(model, cfg)
    run = _Run(
        Path(state_path),
        fingerprint,
        model,
        optimizer,
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs),  # stepped per epoch
        runtime.grad_scaler(device, precision),
    )
    start_epoch, start_step = run.restore()
    train_step = TrainingStep.for_model(
        model, run.optimizer, run.scaler, counts, cfg, device, precision, pretrain_prior
    )
    sampler = data.EpochBatchSampler(len(dataset), cfg.batch_size, cfg.seed)
    loader = _loader(dataset, sampler, num_workers, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    model.train()
    with _stop_requested() as stop:
        for epoch in range(start_epoch, cfg.epochs):
            sampler.set_epoch(epoch, start_step)
            record = _train_epoch(run, loader, epoch, start_step, cfg, train_step, stop)
            run.history.append(record)
            logger.info("epoch %d done: %s", epoch, record)
            run.scheduler.step()
            start_step = 0
            run.save(epoch + 1, 0)
    return _summary(run, device, precision)


def _loader(
    dataset: data.ManifestDataset, sampler: data.EpochBatchSampler, num_workers: int, device: torch.device
) -> DataLoader:
    return DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=num_workers > 0,
        collate_fn=dataset.collate,
        worker_init_fn=data.worker_init,
    )


def _summary(run: _Run, device: torch.device, precision: str) -> dict:
    """What `fit` returns: the history and the facts of the whole run."""
    total_images = sum(r["images"] for r in run.history)  # the resumed epochs' included
    total_seconds = sum(r["seconds"] for r in run.history)
    return {
        "history": run.history,
        "images_per_second": total_images / total_seconds if total_seconds else None,
        "device": runtime.device_name(device),
        "precision": precision,
        "peak_gpu_memory_mb": torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None,
        "bad_images": len(run.skipped_images),
        "skipped_images": sorted(run.skipped_images),
        "resumes": run.resumes,
    }
