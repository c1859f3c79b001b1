import math
import signal

import numpy as np
import pandas as pd
import pytest
import torch

from ltbias import data, runtime, splits, toyworld, train
from ltbias.config import FinetuneConfig


def _cross_entropy(z: list[float], label: int) -> float:
    return -(z[label] - math.log(sum(math.exp(v) for v in z)))


def test_logit_adjusted_loss_matches_hand_computation():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    counts = np.array([80, 15, 5])
    loss = train.logit_adjusted_loss(logits, torch.tensor([1]), train.logit_offset(counts, tau=1.0))
    z = [2.0 + math.log(0.8 + 1e-9), 0.0 + math.log(0.15 + 1e-9), -1.0 + math.log(0.05 + 1e-9)]
    assert loss.item() == pytest.approx(_cross_entropy(z, 1), rel=1e-6)
    plain = train.logit_adjusted_loss(logits, torch.tensor([1]), train.logit_offset(counts, tau=0.0))
    assert plain.item() == pytest.approx(torch.nn.functional.cross_entropy(logits, torch.tensor([1])).item())


def test_gla_train_loss_adds_the_pretraining_prior():
    """GLA-Train: CE(z + tau log pi_s + log pi_p), computed by hand."""
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    counts, pretrain = np.array([80, 15, 5]), np.array([0.2, 0.3, 0.5])
    offset = train.logit_offset(counts, tau=0.5, pretrain_prior=pretrain)
    loss = train.logit_adjusted_loss(logits, torch.tensor([2]), offset)
    raw = [2.0, 0.0, -1.0]
    z = [v + 0.5 * math.log(n / 100 + 1e-9) + math.log(q + 1e-9) for v, n, q in zip(raw, counts, pretrain, strict=True)]
    assert loss.item() == pytest.approx(_cross_entropy(z, 2), rel=1e-6)


@pytest.fixture
def toy_train_set(tmp_path, small_world, toy_preprocess):
    toyworld.write_raw_dataset(small_world, tmp_path / "raw", {"train": 6})
    folders = [n.replace(" ", "_") for n in small_world.class_names]
    manifest = splits.folder_manifest(tmp_path / "raw", "train", folders)
    dataset = data.ManifestDataset(tmp_path / "raw", manifest, data.train_transform(toy_preprocess, (0.5, 1.0)))
    return dataset, np.bincount(manifest["label"])


def _fit(model, dataset, counts, tmp_path, pretrain_prior=None, **overrides):
    cfg = FinetuneConfig(**({"epochs": 3, "batch_size": 16, "lr": 0.05, "checkpoint_every_steps": 0} | overrides))
    return train.fit(
        model, dataset, counts, cfg, state_path=tmp_path / "state.pt", fingerprint="f", pretrain_prior=pretrain_prior
    )


def test_cosine_schedule_steps_once_per_epoch(toy_classifier, toy_train_set, tmp_path):
    dataset, counts = toy_train_set
    seen = []
    original = torch.optim.SGD.step

    def spy(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    torch.optim.SGD.step = spy
    try:
        history = _fit(toy_classifier, dataset, counts, tmp_path, epochs=4, batch_size=20)["history"]
    finally:
        torch.optim.SGD.step = original
    steps = math.ceil(len(dataset) / 20)
    expected = [0.05 * 0.5 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    assert len(seen) == 4 * steps
    for epoch in range(4):
        assert seen[epoch * steps : (epoch + 1) * steps] == pytest.approx([expected[epoch]] * steps, rel=1e-9)
    assert [h["lr"] for h in history] == pytest.approx(expected, rel=1e-9)


def test_fit_is_deterministic_and_changes_only_trainable_parts(
    toy_train_set, tmp_path, toy_weights, toy_preprocess, small_world
):
    from ltbias import backbones, models

    def fresh():
        torch.manual_seed(0)  # adapter down-projections are randomly initialised
        clip = backbones.load_clip("ltbias-toy-vit", toy_weights, toy_preprocess)
        return models.build_classifier(clip, "ltbias-toy-vit", small_world.class_names, "a photo of a {}.", 25.0)

    dataset, counts = toy_train_set
    a, b = fresh(), fresh()
    frozen_before = {k: v.clone() for k, v in a.visual.state_dict().items() if ".adapter." not in k}
    _fit(a, dataset, counts, tmp_path / "a")
    _fit(b, dataset, counts, tmp_path / "b")
    trained_b = b.trainable_state_dict()["adapters"]
    for name, value in a.trainable_state_dict()["adapters"].items():
        assert torch.equal(value, trained_b[name]), name
    assert torch.equal(a.head.weight, b.head.weight)
    assert not torch.equal(a.adapters[0].up.weight, torch.zeros_like(a.adapters[0].up.weight))
    for k, v in a.visual.state_dict().items():
        if k in frozen_before:
            assert torch.equal(v, frozen_before[k]), k


def test_fit_trains_with_the_pretraining_prior_it_is_given(
    toy_train_set, tmp_path, toy_weights, toy_preprocess, small_world
):
    """A uniform pre-training prior shifts every logit equally, which CE ignores: same model
    as LA. A skewed one changes the training."""
    from ltbias import backbones, models

    def trained(pretrain_prior, folder):
        torch.manual_seed(0)
        clip = backbones.load_clip("ltbias-toy-vit", toy_weights, toy_preprocess)
        model = models.build_classifier(clip, "ltbias-toy-vit", small_world.class_names, "a photo of a {}.", 25.0)
        _fit(model, dataset, counts, tmp_path / folder, pretrain_prior, epochs=1)
        return model.head.weight.detach()

    dataset, counts = toy_train_set
    n_classes = len(counts)
    la = trained(None, "la")
    assert torch.allclose(trained(np.full(n_classes, 1 / n_classes), "uniform"), la, atol=1e-5)
    skewed = np.geomspace(1, 1e-3, n_classes)
    assert not torch.allclose(trained(skewed / skewed.sum(), "skewed"), la, atol=1e-3)


def test_a_stop_inside_a_log_window_leaves_the_history_exact(
    toy_train_set, tmp_path, toy_weights, toy_preprocess, small_world
):
    """A stop splits its epoch's steps into other windows than an uninterrupted run reads; no
    number of the history may change by a bit (CI compares a preempted run's history.json)."""
    from ltbias import backbones, models

    def fresh():
        torch.manual_seed(0)
        clip = backbones.load_clip("ltbias-toy-vit", toy_weights, toy_preprocess)
        return models.build_classifier(clip, "ltbias-toy-vit", small_world.class_names, "a photo of a {}.", 25.0)

    dataset, counts = toy_train_set
    settings = {"epochs": 2, "batch_size": 8, "log_every_steps": 4}
    assert math.ceil(len(dataset) / 8) == 7  # windows of steps 0-3 and 4-6
    uninterrupted = _fit(fresh(), dataset, counts, tmp_path / "reference", **settings)["history"]
    model, calls = fresh(), {"n": 0}
    forward = model.forward

    def stopped_at_step_2(images):
        calls["n"] += 1
        if calls["n"] == 3:
            signal.raise_signal(signal.SIGTERM)  # as Slurm before a time limit
        return forward(images)

    model.forward = stopped_at_step_2
    with pytest.raises(train.Preempted, match="at epoch 0 step 3"):
        _fit(model, dataset, counts, tmp_path / "stopped", **settings)
    resumed = _fit(fresh(), dataset, counts, tmp_path / "stopped", **settings)
    exact = ("epoch", "lr", "loss", "train_acc", "images")
    assert [{k: e[k] for k in exact} for e in resumed["history"]] == [{k: e[k] for k in exact} for e in uninterrupted]
    assert [(r["epoch"], r["step"]) for r in resumed["resumes"]] == [(0, 3)]


def test_non_finite_loss_names_epoch_and_step(toy_classifier, toy_train_set, tmp_path):
    dataset, counts = toy_train_set
    calls = {"n": 0}
    forward = toy_classifier.forward

    def poisoned(images):
        calls["n"] += 1
        out = forward(images)
        return out * float("nan") if calls["n"] == 5 else out  # the 5th batch overall

    toy_classifier.forward = poisoned
    steps = math.ceil(len(dataset) / 16)  # 4 steps per epoch: the 5th batch is epoch 1, step 0
    assert steps == 4
    with pytest.raises(train.NonFiniteLossError, match="at epoch 1, step 0"):
        _fit(toy_classifier, dataset, counts, tmp_path, log_every_steps=1)


def test_epoch_sample_order_depends_only_on_seed_and_epoch():
    sampler = data.EpochBatchSampler(10, 4, seed=3)
    sampler.set_epoch(2)
    full = list(sampler)
    sampler.set_epoch(2, start=1)
    assert list(sampler) == full[1:]
    assert [len(b) for b in full] == [4, 4, 2]  # the last partial batch is kept
    assert sorted(i for b in full for i, _ in b) == list(range(10))
    sampler.set_epoch(3)
    assert list(sampler) != full


def test_corrupt_training_image_is_named_or_skipped_when_allowed(toy_classifier, toy_train_set, tmp_path):
    dataset, counts = toy_train_set
    bad = dataset.root / dataset.paths[7]
    bad.write_bytes(bad.read_bytes()[:40])  # truncated PNG
    with pytest.raises(data.BadImageError, match=str(bad.name)):
        _fit(toy_classifier, dataset, counts, tmp_path, epochs=1)
    dataset.skip_bad = True
    summary = _fit(toy_classifier, dataset, counts, tmp_path / "skip", epochs=2, max_bad_images=1)
    assert summary["bad_images"] == 1  # skipped in both epochs, counted once
    assert bad.name in summary["skipped_images"][0]
    other = dataset.root / dataset.paths[20]
    other.write_bytes(b"not an image")
    with pytest.raises(data.BadImageError, match=r"2 undecodable images exceed finetune\.max_bad_images=1"):
        _fit(toy_classifier, dataset, counts, tmp_path / "skip2", epochs=2, max_bad_images=1)


def test_manifest_dataset_yields_label_and_seeded_crop(toy_train_set):
    dataset, _ = toy_train_set
    a, label = dataset[(3, 123)]
    b, _ = dataset[(3, 123)]
    c, _ = dataset[(3, 124)]
    assert label == dataset.labels[3]
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert isinstance(pd.Series(dataset.paths).iloc[0], str)


@pytest.mark.parametrize("loss", ["ce", "la"])
def test_the_training_step_takes_the_configured_loss(loss, toy_classifier):
    """`loss: ce` is plain cross-entropy on the logits; `la` adds tau log pi_s."""
    n_classes = toy_classifier.head.weight.shape[0]
    counts = np.arange(1, n_classes + 1) * 10
    cfg = FinetuneConfig(loss=loss, la_tau=1.0, lr=1e-9, device="cpu", precision="fp32")
    optimizer = torch.optim.SGD(toy_classifier.trainable_parameters(), lr=cfg.lr)
    cpu = torch.device("cpu")
    scaler = runtime.grad_scaler(cpu, "fp32")
    step = train.TrainingStep.for_model(toy_classifier, optimizer, scaler, counts, cfg, cpu, "fp32")
    images, labels = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, n_classes - 1])
    value, logits = step(images, labels)
    offset = np.log(counts / counts.sum() + 1e-9) if loss == "la" else np.zeros(n_classes)
    expected = torch.nn.functional.cross_entropy(logits.double() + torch.from_numpy(offset), labels)
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)
    assert (loss == "ce") == bool(torch.all(step.offset == 0))
