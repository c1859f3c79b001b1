import numpy as np
import open_clip
import pytest
import torch

from helpers import TOY_MODEL
from ltbias import backbones, config, pretrain
from ltbias.config import PretrainConfig


def test_corpus_counts_follow_the_imbalance_with_a_seeded_head():
    counts = pretrain.corpus_counts(40, 12000, 100.0, seed=1)
    assert abs(counts.sum() - 12000) < 40
    assert counts.max() / counts.min() == pytest.approx(100, rel=0.05)
    other = pretrain.corpus_counts(40, 12000, 100.0, seed=2)
    assert sorted(counts) == sorted(other)
    assert counts.argmax() != other.argmax()  # a different head for another backbone


@pytest.mark.parametrize("negatives", ["batch", "vocabulary"])
def test_pretraining_is_seeded_in_both_modes(small_world, toy_preprocess, negatives):
    cfg = PretrainConfig(corpus_size=300, steps=30, batch_size=32, warmup_steps=5, seed=3, negatives=negatives)
    state, counts, history = pretrain.pretrain(TOY_MODEL, small_world, cfg, toy_preprocess)
    assert counts["count"].sum() == pytest.approx(300, abs=small_world.num_classes)
    assert counts["class_name"].tolist() == small_world.class_names
    assert history[0]["step"] == 30 and np.isfinite(history[0]["loss"])
    assert set(state) >= {"visual.proj", "text_projection", "logit_scale"}
    again, _, _ = pretrain.pretrain(TOY_MODEL, small_world, cfg, toy_preprocess)
    assert all(torch.equal(state[k], again[k]) for k in state)  # seeded


def test_each_distinct_caption_is_encoded_once_with_the_same_features(small_world):
    clip = backbones.random_clip(TOY_MODEL).eval()
    tokens = open_clip.get_tokenizer(TOY_MODEL)([f"{t} {n}" for n in small_world.class_names for t in "ab"])
    tokens = tokens.view(small_world.num_classes, 2, -1)
    labels, template = np.array([3, 0, 3, 3, 5]), np.array([1, 0, 1, 0, 1])
    encoded = []
    clip.encode_text = lambda text, normalize, encode=clip.encode_text: (
        encoded.append(len(text)) or encode(text, normalize)
    )
    with torch.no_grad():
        features = pretrain._caption_features(clip, tokens, labels, template)
        direct = clip.encode_text(tokens[labels, template], normalize=True)
    assert encoded[0] == 4  # (3, 1) twice
    torch.testing.assert_close(features, direct)


def test_the_token_embedding_keeps_its_initialisation(small_world, toy_preprocess):
    cfg = PretrainConfig(corpus_size=100, steps=3, batch_size=16, warmup_steps=1, seed=4)
    state, _, _ = pretrain.pretrain(TOY_MODEL, small_world, cfg, toy_preprocess)
    torch.manual_seed(4)  # pretrain seeds everything with cfg.seed before building the model
    initial = backbones.random_clip(TOY_MODEL).state_dict()
    assert torch.equal(state["token_embedding.weight"], initial["token_embedding.weight"])
    assert not torch.equal(state["text_projection"], initial["text_projection"])


def test_unknown_negatives_are_rejected():
    with pytest.raises(ValueError, match=r"toy_pretrain\.negatives: 'queue' is not"):
        config.from_dict(PretrainConfig, {"negatives": "queue"}, "toy_pretrain")
