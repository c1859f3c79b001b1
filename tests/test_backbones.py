import json
import time

import open_clip
import pytest
import torch

from helpers import TOY_MODEL
from ltbias import backbones, config, files, staging
from ltbias.config import Backbone
from ltbias.errors import FetchError, JobError


def _backbone(model, key="x", **weights):
    return Backbone(key, model, weights)


@pytest.mark.parametrize(
    ("model", "tag"),
    [
        ("ViT-B-16-quickgelu", "openai"),
        ("ViT-B-16", "laion2b_s34b_b88k"),
        ("ViT-B-16-quickgelu", "metaclip_400m"),
        ("ViT-B-16-quickgelu", "dfn2b"),  # config/imagenet_lt_plus.yaml
        ("ViT-B-16-quickgelu", "metaclip_fullcc"),
    ],
)
def test_paper_backbones_pass_the_checks(model, tag):
    backbones.check_backbone(_backbone(model, tag=tag))
    preprocess = backbones.preprocess_config(_backbone(model, tag=tag))
    assert preprocess["size"] == 224
    assert preprocess["mean"] == pytest.approx([0.48145466, 0.4578275, 0.40821073])


def test_gelu_quickgelu_mismatch_is_refused_with_the_right_model_named():
    expected = r"backbones\.clip: tag 'openai' .* quick_gelu=True .* use model 'ViT-B-16-quickgelu'"
    with pytest.raises(ValueError, match=expected):
        backbones.check_backbone(_backbone("ViT-B-16", "clip", tag="openai"))
    with pytest.raises(ValueError, match=r"'laion2b_s34b_b88k' is not a tag of ViT-B-16-quickgelu"):
        backbones.check_backbone(_backbone("ViT-B-16-quickgelu", "openclip", tag="laion2b_s34b_b88k"))


def test_unknown_model_and_ambiguous_weights_are_named():
    with pytest.raises(ValueError, match=r"backbones\.x\.model: unknown open_clip model 'ViT-B-61'"):
        backbones.check_backbone(_backbone("ViT-B-61", tag="openai"))
    with pytest.raises(ValueError, match=r"backbones\.x\.weights must name exactly one"):
        config.from_dict(
            Backbone, {"key": "x", "model": TOY_MODEL, "weights": {"tag": "openai", "file": "w"}}, "backbones.x"
        )


@pytest.fixture(scope="module")
def vit_b16(tmp_path_factory):
    """A random ViT-B/16's weights in a file (QuickGELU or not: the same tensors)."""
    path = tmp_path_factory.mktemp("vit") / "clip.pt"
    torch.manual_seed(2)
    torch.save(open_clip.create_model("ViT-B-16").state_dict(), path)
    return path


def test_offline_loading_of_a_local_checkpoint(vit_b16, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reference = torch.load(vit_b16, weights_only=True)
    preprocess = backbones.preprocess_config(_backbone("ViT-B-16-quickgelu", tag="openai"))
    loaded = backbones.load_clip("ViT-B-16-quickgelu", vit_b16, preprocess)
    for (name, a), b in zip(reference.items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert loaded.visual.preprocess_cfg["interpolation"] == "bicubic"


def test_missing_weights_never_fall_back_to_random(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        backbones.load_clip(TOY_MODEL, tmp_path / "absent.pt")


def test_fetch_stores_the_downloaded_state_dict(tmp_path, monkeypatch, toy_weights):
    asked = {}

    def fake_download(cfg, cache_dir=None):
        asked["cfg"] = cfg
        return str(toy_weights)

    monkeypatch.setattr(backbones, "download_pretrained", fake_download)
    monkeypatch.setattr(backbones, "get_pretrained_cfg", lambda model, tag: {"hf_hub": f"org/{model}-{tag}/"})
    monkeypatch.setattr(staging, "probe", lambda url, where: None)  # the hub is reachable
    backbones.fetch_pretrained(TOY_MODEL, "some_tag", tmp_path / "cache" / "toy.pt", "backbones.toy.weights")
    assert asked["cfg"]["hf_hub"] == f"org/{TOY_MODEL}-some_tag/"
    stored = torch.load(tmp_path / "cache" / "toy.pt", weights_only=True)
    assert set(stored) == set(torch.load(toy_weights, weights_only=True))
    record = json.loads((tmp_path / "cache" / "toy.pt.json").read_text())
    assert record["source"] == {"model": TOY_MODEL, "tag": "some_tag"}
    assert record["sha256"] == files.sha256(tmp_path / "cache" / "toy.pt")


def test_an_offline_fetch_fails_in_seconds_and_says_what_to_do(tmp_path, monkeypatch):
    """A host that does not answer (no internet) fails within the probe's 5 s, not after
    minutes of download retries; the message names both ways to bring the weights."""
    monkeypatch.setattr(backbones, "HF_ENDPOINT", "https://hub.invalid")  # a name no resolver knows
    started = time.perf_counter()
    with pytest.raises(FetchError) as error:
        backbones.fetch_pretrained("ViT-B-16", "openai", tmp_path / "clip.pt", "backbones.clip.weights")
    assert time.perf_counter() - started < 10
    message = str(error.value)
    assert "backbones.clip.weights.tag openai: this machine cannot reach hub.invalid" in message
    assert "`snakemake stage`" in message and "backbones.clip.weights.file" in message
    assert not (tmp_path / "clip.pt").exists()


def test_fp16_weights_round_what_the_reference_builds_in_fp16_and_nothing_else(vit_b16, monkeypatch):
    """(Loading without rounding keeps every value: the test above.)"""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rounded = backbones.load_clip("ViT-B-16", vit_b16, fp16_weights=True).state_dict()
    original = torch.load(vit_b16, weights_only=True)
    changed = {name for name, value in rounded.items() if not torch.equal(value, original[name])}
    for name, value in rounded.items():
        assert value.dtype == original[name].dtype, name  # back in fp32
        if name in changed:
            assert torch.equal(value, original[name].half().float()), name  # exactly the fp16 value
    expected = {
        "visual.conv1.weight",
        "visual.proj",
        "text_projection",
        "visual.transformer.resblocks.0.attn.in_proj_weight",
        "visual.transformer.resblocks.0.attn.out_proj.weight",
        "visual.transformer.resblocks.11.mlp.c_fc.weight",
        "transformer.resblocks.0.mlp.c_proj.bias",
    }
    assert expected <= changed
    kept = [n for n in original if "ln_" in n or "embedding" in n or n in ("logit_scale", "visual.class_embedding")]
    assert kept and not changed & set(kept)  # layer norms, embeddings and the scale keep their values


def _toy_state(seed=3):
    torch.manual_seed(seed)
    return backbones.random_clip(TOY_MODEL).state_dict()


@pytest.mark.parametrize(
    ("name", "wrap"),
    [
        ("state_dict.pt", lambda sd: sd),
        ("checkpoint.pt", lambda sd: {"epoch": 3, "state_dict": sd}),
        ("ddp_checkpoint.pt", lambda sd: {"epoch": 3, "state_dict": {f"module.{k}": v for k, v in sd.items()}}),
        ("open_clip_pytorch_model.bin", lambda sd: sd),
        ("open_clip_model.safetensors", None),
    ],
)
def test_weights_files_in_the_formats_users_have(tmp_path, name, wrap):
    state = _toy_state()
    path = tmp_path / name
    if wrap is None:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in state.items()}, path)
    else:
        torch.save(wrap(state), path)
    loaded = backbones.load_clip(TOY_MODEL, path).state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_weights_of_another_architecture_name_the_first_wrong_keys(tmp_path):
    state = _toy_state()
    first = next(iter(state))
    del state[first]
    state["visual.extra.weight"] = torch.zeros(2)
    state["text_projection"] = torch.zeros(3, 3)
    torch.save(state, tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"other\.pt: not weights of ltbias-toy-vit") as error:
        backbones.load_clip(TOY_MODEL, tmp_path / "other.pt")
    message = str(error.value)
    assert f"1 missing keys, first {first}" in message and "1 unexpected keys, first visual.extra.weight" in message
    assert "first text_projection (3, 3) (expected" in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "not a checkpoint"),
        (b"PK\x03\x04" + bytes(64), "not a checkpoint"),  # the start of a zip, cut off
        (b"", "not a checkpoint"),
    ],
    ids=["an image", "a truncated archive", "empty"],
)
def test_a_file_that_is_not_a_checkpoint_is_named_without_a_traceback(tmp_path, content, message):
    """One line, not retried (a JobError), and the file is read once: not again to explain."""
    path = tmp_path / "weights.pt"
    path.write_bytes(content)
    with pytest.raises(backbones.UnreadableWeightsError, match=message) as error:
        backbones.load_clip(TOY_MODEL, path)
    assert isinstance(error.value, JobError) and not error.value.retryable and "weights.pt" in str(error.value)


def test_a_corrupt_torch_archive_is_named(tmp_path):
    torch.save(_toy_state(), tmp_path / "whole.pt")
    data = (tmp_path / "whole.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2] + data[-2000:])  # keeps the end of central directory
    with pytest.raises(backbones.UnreadableWeightsError, match=r"cut\.pt"):
        backbones.load_clip(TOY_MODEL, tmp_path / "cut.pt")
