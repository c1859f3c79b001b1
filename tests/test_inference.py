import numpy as np
import open_clip
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES

from helpers import TOY_MODEL
from ltbias import backbones, data, inference, models, toyworld
from ltbias.config import EvalConfig


@pytest.fixture
def test_set(tmp_path, small_world):
    toyworld.write_raw_dataset(small_world, tmp_path / "raw", {"val": 2})
    paths = sorted(str(p.relative_to(tmp_path / "raw")) for p in (tmp_path / "raw" / "val").rglob("*.png"))
    return tmp_path / "raw", pd.DataFrame({"path": paths, "label": np.arange(len(paths)) % 9})


class _Mean(torch.nn.Module):
    """A 'model' whose logits are channel means, so crops give different logits."""

    def forward(self, images):
        return images.mean(dim=(2, 3))


def test_single_crop_logits_in_manifest_order(test_set, toy_preprocess):
    root, manifest = test_set
    dataset = data.ManifestDataset(root, manifest, data.test_transform(toy_preprocess))
    out = inference.compute_logits(_Mean(), dataset, EvalConfig(batch_size=5))
    expected = torch.stack([dataset[i][0].mean(dim=(1, 2)) for i in range(len(dataset))]).numpy()
    np.testing.assert_allclose(out.logits, expected, rtol=1e-6)
    assert out.logits.dtype == np.float32
    assert out.labels.tolist() == manifest["label"].tolist()
    assert out.info["images_per_second"] > 0
    assert out.features is None


def test_five_crop_logits_are_averaged_per_image(test_set, toy_preprocess):
    root, manifest = test_set
    dataset = data.ManifestDataset(root, manifest, data.tte_transform(toy_preprocess, expand=24))
    crops, _ = dataset[0]
    assert crops.shape == (5, 3, 32, 32)
    logits = inference.compute_logits(_Mean(), dataset, EvalConfig(batch_size=4)).logits
    expected = dataset[3][0].mean(dim=(2, 3)).mean(dim=0).numpy()
    np.testing.assert_allclose(logits[3], expected, rtol=1e-6)
    single = data.ManifestDataset(root, manifest, data.test_transform(toy_preprocess))
    assert not np.allclose(logits[3], single[3][0].mean(dim=(1, 2)).numpy())


def test_non_finite_logits_are_refused(test_set, toy_preprocess):
    root, manifest = test_set
    dataset = data.ManifestDataset(root, manifest, data.test_transform(toy_preprocess))

    class Broken(torch.nn.Module):
        def forward(self, images):
            return torch.full((len(images), 3), float("nan"))

    with pytest.raises(FloatingPointError, match="non-finite logits in 18 rows"):
        inference.compute_logits(Broken(), dataset, EvalConfig())


def test_zero_shot_logits_are_scaled_cosines(toy_weights, toy_preprocess, small_world):
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess)
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        text = models.text_features(clip, TOY_MODEL, small_world.class_names, ["a photo of a {}."])
        expected = clip.logit_scale.exp() * F.normalize(clip.encode_image(images), dim=-1) @ text
        zero_shot = models.ZeroShotClassifier(clip, TOY_MODEL, small_world.class_names, ["a photo of a {}."])
        torch.testing.assert_close(zero_shot(images), expected)


def test_the_template_ensemble_is_open_clips_own_classifier(toy_weights, toy_preprocess, small_world):
    """GLA's zero-shot classifier: OpenAI's 80 ImageNet templates, as open_clip builds it."""
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess)
    names = small_world.class_names  # no "_": prompt_names leaves them as they are
    templates = models.zero_shot_templates("openai_imagenet")
    assert len(templates) == 80
    ensemble = models.ZeroShotClassifier(clip, TOY_MODEL, names, templates).text
    tokenizer = open_clip.get_tokenizer(TOY_MODEL)
    expected = open_clip.build_zero_shot_classifier(clip, tokenizer, names, OPENAI_IMAGENET_TEMPLATES, None)
    torch.testing.assert_close(ensemble, expected)
    single = models.ZeroShotClassifier(clip, TOY_MODEL, names, ["a photo of a {}."]).text
    assert not torch.allclose(ensemble, single, atol=1e-3)


def test_an_unknown_template_set_is_named():
    with pytest.raises(ValueError, match=r"zeroshot_templates: 'imagenet' is not one of \['openai_imagenet'\]"):
        models.zero_shot_templates("imagenet")


def test_features_are_unit_norm_and_give_the_same_logits(test_set, toy_preprocess, toy_classifier):
    root, manifest = test_set
    dataset = data.ManifestDataset(root, manifest, data.test_transform(toy_preprocess))
    plain = inference.compute_logits(toy_classifier, dataset, EvalConfig())
    with_features = inference.compute_logits(toy_classifier, dataset, EvalConfig(), features=True)
    np.testing.assert_allclose(with_features.logits, plain.logits, rtol=1e-5, atol=1e-5)
    assert with_features.features.shape == (len(manifest), 64)
    np.testing.assert_allclose(np.linalg.norm(with_features.features, axis=1), 1.0, rtol=1e-5)


def test_transforms_follow_the_weights_preprocessing(toy_preprocess):
    test = data.test_transform(toy_preprocess | {"size": 224, "interpolation": "bicubic"})
    assert test.transforms[0].size == 256  # 224 * 8 // 7
    assert test.transforms[0].interpolation.value == "bicubic"
    assert test.transforms[1].size == (224, 224)
    train = data.train_transform(toy_preprocess | {"interpolation": "bilinear"})
    assert train.transforms[0].interpolation.value == "bilinear"
    assert train.transforms[0].scale == (0.08, 1.0)
    assert train.transforms[-1].mean == toy_preprocess["mean"]
