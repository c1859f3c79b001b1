import open_clip
import pytest
import torch
import torch.nn.functional as F

from helpers import TOY_MODEL
from ltbias import backbones, models, train


@pytest.mark.parametrize(("n_classes", "bottleneck"), [(1000, 32), (365, 8), (8142, 256), (40, 1), (5, 1)])
def test_bottleneck_rule(n_classes, bottleneck):
    assert models.adapter_bottleneck(n_classes, 12) == bottleneck


def test_adaptformer_is_zero_at_init_and_trainable():
    adapter = models.AdaptFormer(16, 4)
    x = torch.randn(3, 5, 16)
    assert torch.equal(adapter(x), torch.zeros_like(x))
    assert adapter.scale.item() == 1.0 and adapter.scale.requires_grad
    assert adapter.down.weight.abs().sum() > 0


def test_adapters_leave_the_frozen_features_unchanged_at_init(toy_weights, toy_preprocess, small_world):
    reference = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess).visual
    reference.proj = None
    model = models.build_classifier(
        backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess), TOY_MODEL, small_world.class_names, "a {}.", 25.0
    )
    images = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.features(images), reference(images))
    assert len(model.adapters) == len(model.visual.transformer.resblocks) == 2


def test_adapter_runs_parallel_to_the_mlp_on_the_pre_ln2_stream(toy_classifier):
    block = toy_classifier.visual.transformer.resblocks[0]
    adapter = toy_classifier.adapters[0]
    torch.nn.init.normal_(adapter.up.weight)  # make the adapter non-zero
    x = torch.randn(2, 17, 64)
    with torch.no_grad():
        u = x + block.attention(block.ln_1(x))
        expected = u + block.mlp.mlp(block.mlp.ln_2(u)) + adapter(u)
        torch.testing.assert_close(block(x), expected)


def test_head_is_initialised_from_text_through_proj_transpose(toy_weights, toy_preprocess, small_world):
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess)
    tokenizer = open_clip.get_tokenizer(TOY_MODEL)
    with torch.no_grad():
        text = clip.encode_text(tokenizer([f"a photo of a {n}." for n in small_world.class_names]), normalize=True)
        expected = F.normalize(text @ clip.visual.proj.t(), dim=-1)
    model = models.build_classifier(clip, TOY_MODEL, small_world.class_names, "a photo of a {}.", 25.0)
    torch.testing.assert_close(model.head.weight.data, expected)
    assert model.head.scale == 25.0


def test_prompt_names_replace_underscores_and_keep_hyphens():
    assert models.prompt_names(["apartment_building-outdoor"]) == ["apartment building-outdoor"]


def test_cosine_head_logits_are_bounded_by_scale():
    head = models.CosineClassifier(8, 5, 25.0)
    logits = head(torch.randn(10, 8) * 100)
    assert logits.abs().max() <= 25.0 + 1e-4


def test_checkpoint_round_trip_rebuilds_the_same_model(tmp_path, toy_weights, toy_classifier, toy_preprocess):
    torch.nn.init.normal_(toy_classifier.adapters[1].up.weight)
    backbone = {"model": TOY_MODEL, "weights": {"file": str(toy_weights)}, "preprocess": toy_preprocess}
    payload = models.checkpoint_payload(toy_classifier, backbone, ["a"] * 9, {"lr": 0.01}, {})
    torch.save(payload, tmp_path / "ckpt.pt")
    rebuilt, meta = models.load_finetuned(tmp_path / "ckpt.pt", toy_weights)
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(images), toy_classifier.eval()(images))
    assert meta["config"] == {"lr": 0.01} and "state" not in meta


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]), "cannot be read"),
        (lambda path: path.write_bytes(b""), "cannot be read"),
        (lambda path: torch.save({"format_version": 2}, path), "checkpoint format 2, this workflow reads"),
        (lambda path: torch.save([1, 2], path), "checkpoint format list"),
    ],
    ids=["truncated", "empty", "older format", "not a checkpoint dict"],
)
def test_a_damaged_or_foreign_checkpoint_is_named_with_the_way_out(
    tmp_path, toy_weights, toy_classifier, toy_preprocess, damage, message
):
    backbone = {"model": TOY_MODEL, "weights": {"file": str(toy_weights)}, "preprocess": toy_preprocess}
    path = tmp_path / "checkpoint.pt"
    torch.save(models.checkpoint_payload(toy_classifier, backbone, ["a"] * 9, {}, {}), path)
    damage(path)
    with pytest.raises(models.UnreadableCheckpointError, match=message) as raised:
        models.load_finetuned(path, toy_weights)
    assert str(path) in str(raised.value) and "delete it and run snakemake again" in str(raised.value)


@pytest.fixture(scope="module", params=["ViT-B-16", "ViT-B-16-quickgelu"])
def vit_b16(request):
    """Real ViT-B/16 architecture at random init, with a tuner for C = 1000."""
    torch.manual_seed(0)
    clip = open_clip.create_model(request.param)
    return models.assemble_classifier(clip.visual, 1000, 25.0)  # r = 32 by the bottleneck rule


def test_vit_b16_trains_exactly_the_adapters_and_head(vit_b16):
    trainable = {n: p.numel() for n, p in vit_b16.named_parameters() if p.requires_grad}
    assert sum(v for n, v in trainable.items() if n.startswith("adapters.")) == 617_868
    assert sum(v for n, v in trainable.items() if n.startswith("head.")) == 768_000
    assert set(n.split(".")[0] for n in trainable) == {"adapters", "head"}
    assert sum(trainable.values()) == 1_385_868


def test_vit_b16_two_training_steps(vit_b16):
    optimizer = torch.optim.SGD(vit_b16.trainable_parameters(), lr=0.01, momentum=0.9)
    offset = train.logit_offset(torch.arange(1, 1001).numpy(), tau=1.0)
    images, labels = torch.randn(2, 3, 224, 224), torch.tensor([3, 999])
    for _ in range(2):
        optimizer.zero_grad()
        loss = train.logit_adjusted_loss(vit_b16(images), labels, offset)
        assert torch.isfinite(loss)
        loss.backward()
        adapter_grads = [p.grad for p in vit_b16.adapters.parameters()]
        assert all(g is not None for g in adapter_grads)
        assert sum(g.abs().sum() for g in adapter_grads) > 0
        frozen = [p for n, p in vit_b16.named_parameters() if n.startswith("visual.") and not n.count(".adapter.")]
        assert all(p.grad is None for p in frozen)
        optimizer.step()


def _reference_vpt_features(visual, prompts: list[torch.Tensor], deep: bool, images: torch.Tensor) -> torch.Tensor:
    """VPT written out (method.md §4.2a): the CLS and patch tokens, then at each prompted
    block the earlier prompts dropped and this block's appended after them."""
    x = visual.conv1(images).flatten(2).transpose(1, 2)
    cls = visual.class_embedding.expand(len(images), 1, -1)
    x = visual.ln_pre(torch.cat([cls, x], dim=1) + visual.positional_embedding)
    seq_len = x.shape[1]
    for i, block in enumerate(visual.transformer.resblocks):
        if deep or i == 0:
            x = torch.cat([x[:, :seq_len], prompts[i].expand(len(images), -1, -1)], dim=1)
        x = block(x)
    return visual.ln_post(x[:, 0])


@pytest.mark.parametrize("peft", ["vpt_shallow", "vpt_deep"])
def test_vpt_forward_matches_a_hand_written_reference(peft, toy_weights, toy_preprocess):
    reference = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess).visual.eval()
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess)
    torch.manual_seed(1)
    model = models.assemble_classifier(clip.visual, 5, 25.0, peft=peft, prompt_length=3).eval()
    deep = peft == "vpt_deep"
    assert len(model.prompts) == (2 if deep else 1)
    bound = (6 / (3 * 8 * 8 + 64)) ** 0.5  # patch 8, width 64
    assert all(p.tokens.shape == (3, 64) and p.tokens.abs().max() <= bound for p in model.prompts)
    inputs = []
    for block in model.visual.transformer.resblocks:
        inner = getattr(block, "block", block)
        inner.register_forward_pre_hook(lambda module, args: inputs.append(args[0].detach()))
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        features = model.features(images)
        expected = _reference_vpt_features(reference, [p.tokens for p in model.prompts], deep, images)
    torch.testing.assert_close(features, expected, rtol=1e-5, atol=1e-5)
    assert [x.shape[1] for x in inputs] == [17 + 3, 17 + 3]  # 16 patches + CLS, then the prompts
    torch.testing.assert_close(inputs[0][:, 17:], model.prompts[0].tokens.expand(2, -1, -1))
    if deep:  # replaced at the second block, not carried over
        torch.testing.assert_close(inputs[1][:, 17:], model.prompts[1].tokens.expand(2, -1, -1))
    else:  # carried through the first block
        assert not torch.allclose(inputs[1][:, 17:], model.prompts[0].tokens.expand(2, -1, -1))


@pytest.mark.parametrize(("peft", "prompts"), [("vpt_shallow", 10 * 768), ("vpt_deep", 12 * 10 * 768)])
def test_vit_b16_with_vpt_trains_exactly_the_prompts_and_head(peft, prompts):
    torch.manual_seed(0)
    model = models.assemble_classifier(open_clip.create_model("ViT-B-16").visual, 1000, 25.0, peft=peft)
    trainable = {n: p.numel() for n, p in model.named_parameters() if p.requires_grad}
    assert set(n.split(".")[0] for n in trainable) == {"prompts", "head"}
    assert sum(v for n, v in trainable.items() if n.startswith("prompts.")) == prompts
    assert sum(trainable.values()) == prompts + 768_000
    assert model.prompts[0].tokens.abs().max() <= 0.0625  # +-sqrt(6 / (3 * 16 * 16 + 768))


def test_vpt_checkpoint_round_trip(tmp_path, toy_weights, toy_preprocess):
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess)
    model = models.assemble_classifier(clip.visual, 4, 25.0, peft="vpt_deep", prompt_length=2)
    backbone = {"model": TOY_MODEL, "weights": {"file": str(toy_weights)}, "preprocess": toy_preprocess}
    torch.save(models.checkpoint_payload(model, backbone, ["a"] * 4, {}, {}), tmp_path / "ckpt.pt")
    rebuilt, meta = models.load_finetuned(tmp_path / "ckpt.pt", toy_weights)
    assert meta["peft"] == "vpt_deep" and set(rebuilt.trainable_state_dict()) == {"prompts", "head"}
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(images), model.eval()(images))
