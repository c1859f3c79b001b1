"""The LIFT classifier: a frozen open_clip ViT with a PEFT module and a cosine head.

method.md §4.1-§4.3: AdaptFormer puts an adapter in every block, parallel to the MLP and
reading the residual stream before ln_2; VPT (§4.2a, the other PEFT method of the paper's
Fig. 3) appends learnable prompt tokens after the patch tokens, at the first block
(shallow) or anew at every block (deep). The visual projection is dropped so the head sees
the 768-d ln_post CLS feature; the head is a cosine classifier initialised from the
prompts' text features mapped back through the transpose of the visual projection.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path

import open_clip
import torch
import torch.nn.functional as F
from open_clip.transformer import ResidualAttentionBlock, VisionTransformer
from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES
from torch import nn

from . import backbones, files
from .config import PEFTS
from .errors import JobError

__all__ = [
    "AdaptFormer",
    "CosineClassifier",
    "LongTailClassifier",
    "PromptTokens",
    "UnreadableCheckpointError",
    "ZeroShotClassifier",
    "adapter_bottleneck",
    "assemble_classifier",
    "build_classifier",
    "load_finetuned",
    "prompt_names",
    "text_features",
    "text_head_weights",
    "zero_shot_templates",
]

# named prompt sets a zero-shot classifier can average (`zeroshot_templates`)
TEMPLATE_SETS = {"openai_imagenet": OPENAI_IMAGENET_TEMPLATES}
_PROMPTS_PER_BATCH = 2560  # prompts encoded per text-tower call: 32 classes of 80 templates

CHECKPOINT_FORMAT = 3  # 2: records whether the backbone ran with fp16-rounded weights; 3: the PEFT method


def adapter_bottleneck(n_classes: int, n_layers: int) -> int:
    """r = 2^max(0, floor(log2(C / (2L)))) (method.md §4.2): 32 for ImageNet-LT."""
    return 2 ** max(0, math.floor(math.log2(n_classes / (2 * n_layers))))


class AdaptFormer(nn.Module):
    """a(h) = s * W_up ReLU(W_down LN(h) + b_down) + b_up, zero at initialisation.

    Args:
        dim: width of the residual stream.
        bottleneck: hidden width r.
    """

    def __init__(self, dim: int, bottleneck: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.down = nn.Linear(dim, bottleneck)
        self.up = nn.Linear(bottleneck, dim)
        self.scale = nn.Parameter(torch.ones(()))
        nn.init.kaiming_normal_(self.down.weight, a=math.sqrt(5))
        nn.init.zeros_(self.down.bias)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * self.up(F.relu(self.down(self.norm(x))))


class PromptTokens(nn.Module):
    """VPT prompts of one block: (length, width), uniform in +-sqrt(6 / (3 p^2 + width))
    with p the patch size (method.md §4.2a: +-0.0625 for ViT-B/16)."""

    def __init__(self, length: int, width: int, patch_size: int) -> None:
        super().__init__()
        bound = math.sqrt(6.0 / (3 * patch_size * patch_size + width))
        self.tokens = nn.Parameter(torch.empty(length, width).uniform_(-bound, bound))


class _PromptedBlock(nn.Module):
    """A block whose input keeps its first `seq_len` tokens (CLS and patches), drops any
    earlier prompts and appends this block's own."""

    def __init__(self, block: nn.Module, prompt: PromptTokens, seq_len: int) -> None:
        super().__init__()
        self.block, self.prompt, self.seq_len = block, prompt, seq_len

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        prompts = self.prompt.tokens.to(x.dtype).expand(x.shape[0], -1, -1)
        return self.block(torch.cat([x[:, : self.seq_len], prompts], dim=1), attn_mask=attn_mask)


class _ParallelAdapterMLP(nn.Module):
    """Stands in for a block's MLP so the block computes x + mlp(ln_2(x)) + adapter(x).

    The block's own ln_2 (and layer scale) move in here and are replaced by identities in
    the block, which lets the adapter see the pre-ln_2 stream without patching forward().
    """

    def __init__(self, ln_2: nn.Module, mlp: nn.Module, ls_2: nn.Module, adapter: AdaptFormer) -> None:
        super().__init__()
        self.ln_2, self.mlp, self.ls_2, self.adapter = ln_2, mlp, ls_2, adapter

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ls_2(self.mlp(self.ln_2(x))) + self.adapter(x)


class _SequenceFirstAttention(nn.Module):
    """A block's batch-first `nn.MultiheadAttention`, run on a contiguous (L, N, E) copy.

    With `batch_first=True` the module transposes its input internally, and under autograd
    (where its fused inference path is off) the packed q/k/v projection then multiplies a
    non-contiguous view: a batched matmul that costs about 3x a plain GEMM on CPU. Calling
    the same weights through `F.multi_head_attention_forward` on a contiguous sequence-first
    tensor keeps every projection one GEMM and the attention PyTorch's fused SDPA; outputs
    are unchanged. Takes the training step from 2.6x to 2.0x a forward (bench/finetune_step.py).
    """

    def __init__(self, attention: nn.MultiheadAttention) -> None:
        super().__init__()
        self.attention = attention

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        need_weights: bool = False,
        attn_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, None]:
        if not (query is key is value) or need_weights:
            raise NotImplementedError("only self-attention without attention weights is supported")
        a = self.attention
        x = query.transpose(0, 1).contiguous()  # (N, L, E) -> (L, N, E)
        out, _ = F.multi_head_attention_forward(
            x, x, x, a.embed_dim, a.num_heads, a.in_proj_weight, a.in_proj_bias, a.bias_k, a.bias_v,
            a.add_zero_attn, a.dropout, a.out_proj.weight, a.out_proj.bias,
            training=self.training, need_weights=False, attn_mask=attn_mask,
        )  # fmt: skip
        return out.transpose(0, 1), None


class CosineClassifier(nn.Module):
    """logit_j = scale * cos(f, w_j), no bias (method.md §4.3)."""

    def __init__(self, dim: int, n_classes: int, scale: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_classes, dim).uniform_(-1, 1))
        self.scale = scale

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.scale * F.normalize(features, dim=-1) @ F.normalize(self.weight, dim=-1).t()


class LongTailClassifier(nn.Module):
    """Frozen visual tower + trainable PEFT module + trainable cosine head.

    `peft` is `adaptformer` (`adapters`, hidden width `bottleneck`), `vpt_shallow` or
    `vpt_deep` (`prompts` of `prompt_length` tokens). `features(x)` is the (N, D) ln_post CLS
    feature, `forward(x)` the (N, C) logits. Only the PEFT module and `head` are trainable;
    they are also all that a checkpoint holds.
    """

    def __init__(
        self,
        visual: VisionTransformer,
        head: CosineClassifier,
        peft: str = "adaptformer",
        bottleneck: int = 1,
        prompt_length: int = 10,
    ) -> None:
        super().__init__()
        if peft not in PEFTS:
            raise ValueError(f"peft: {peft!r} is not one of {list(PEFTS)}")
        blocks = visual.transformer.resblocks
        unsupported = {
            type(b).__name__
            for b in blocks
            if not isinstance(b, ResidualAttentionBlock) or not getattr(b.attn, "batch_first", False)
        }
        if unsupported or visual.attn_pool is not None:
            raise TypeError(f"{peft} needs a plain open_clip ViT; found {sorted(unsupported) or 'attention pooling'}")
        visual.requires_grad_(False)
        visual.proj = None  # the head reads the ln_post feature, not the joint embedding
        for block in blocks:
            block.attn = _SequenceFirstAttention(block.attn)
        self.peft, self.bottleneck, self.prompt_length = peft, bottleneck, prompt_length
        if peft == "adaptformer":
            self.adapters = _insert_adapters(visual, bottleneck)
        else:
            self.prompts = _insert_prompts(visual, prompt_length, deep=peft == "vpt_deep")
        self.visual = visual
        self.head = head

    def trainable_modules(self) -> dict[str, nn.Module]:
        if self.peft == "adaptformer":
            return {"adapters": self.adapters, "head": self.head}
        return {"prompts": self.prompts, "head": self.head}

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for module in self.trainable_modules().values() for p in module.parameters()]

    def trainable_state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        return {name: m.state_dict() for name, m in self.trainable_modules().items()}

    def load_trainable_state_dict(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        for name, module in self.trainable_modules().items():
            module.load_state_dict(state[name], strict=True)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.visual(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.visual(images))


def _insert_adapters(visual: VisionTransformer, bottleneck: int) -> nn.ModuleList:
    """An AdaptFormer beside every block's MLP, reading the pre-ln_2 stream."""
    blocks = visual.transformer.resblocks
    adapters = nn.ModuleList(AdaptFormer(visual.ln_post.normalized_shape[0], bottleneck) for _ in blocks)
    for block, adapter in zip(blocks, adapters, strict=True):
        block.mlp = _ParallelAdapterMLP(block.ln_2, block.mlp, block.ls_2, adapter)
        block.ln_2, block.ls_2 = nn.Identity(), nn.Identity()
    return adapters


def _insert_prompts(visual: VisionTransformer, length: int, deep: bool) -> nn.ModuleList:
    """VPT prompts at the first block (shallow) or at every block (deep)."""
    blocks = visual.transformer.resblocks
    prompted = range(len(blocks)) if deep else range(1)
    width, patch_size = visual.ln_post.normalized_shape[0], visual.conv1.kernel_size[0]
    prompts = nn.ModuleList(PromptTokens(length, width, patch_size) for _ in prompted)
    seq_len = visual.positional_embedding.shape[0]  # CLS and patch tokens
    for i, prompt in zip(prompted, prompts, strict=True):
        blocks[i] = _PromptedBlock(blocks[i], prompt, seq_len)
    return prompts


def prompt_names(class_names: Sequence[str]) -> list[str]:
    """Names as they go into prompts: "_" becomes a space, hyphens stay (method.md §2.2)."""
    return [name.replace("_", " ") for name in class_names]


def zero_shot_templates(templates: str | Sequence[str]) -> Sequence[str | Callable[[str], str]]:
    """The prompts a zero-shot classifier averages: a named set that open_clip ships
    (`openai_imagenet`: OpenAI's 80 ImageNet templates, GLA's classifier) or `{}` templates."""
    if isinstance(templates, str):
        if templates not in TEMPLATE_SETS:
            raise ValueError(f"zeroshot_templates: {templates!r} is not one of {list(TEMPLATE_SETS)} or a list")
        return TEMPLATE_SETS[templates]
    return list(templates)


@torch.no_grad()
def text_features(
    clip: open_clip.CLIP, model: str, class_names: Sequence[str], templates: Sequence[str | Callable[[str], str]]
) -> torch.Tensor:
    """Unit-norm text embeddings (E, C): per class, the mean of the unit-norm embeddings of
    its prompts under every template, renormalised (open_clip's `build_zero_shot_classifier`)."""
    tokenizer = open_clip.get_tokenizer(model)
    per_batch = max(1, _PROMPTS_PER_BATCH // len(templates))
    return open_clip.build_zero_shot_classifier(
        clip, tokenizer, prompt_names(class_names), list(templates), num_classes_per_batch=per_batch
    )


@torch.no_grad()
def text_head_weights(clip: open_clip.CLIP, model: str, class_names: Sequence[str], template: str) -> torch.Tensor:
    """Head initialisation (C, D): text features mapped through proj^T, L2-normalised."""
    proj = clip.visual.proj  # (D, E)
    return F.normalize(text_features(clip, model, class_names, [template]).t() @ proj.t(), dim=-1)


def assemble_classifier(
    visual: VisionTransformer,
    n_classes: int,
    head_scale: float,
    bottleneck: int | None = None,
    peft: str = "adaptformer",
    prompt_length: int = 10,
) -> LongTailClassifier:
    """A PEFT module and a (randomly initialised) cosine head on a visual tower; `bottleneck`
    None takes the 2^floor(log2(C / 2L)) rule."""
    n_layers = len(visual.transformer.resblocks)
    head = CosineClassifier(visual.ln_post.normalized_shape[0], n_classes, head_scale)
    bottleneck = bottleneck or adapter_bottleneck(n_classes, n_layers)
    return LongTailClassifier(visual, head, peft, bottleneck, prompt_length)


def build_classifier(
    clip: open_clip.CLIP,
    model: str,
    class_names: Sequence[str],
    template: str,
    head_scale: float,
    bottleneck: int | None = None,
    peft: str = "adaptformer",
    prompt_length: int = 10,
) -> LongTailClassifier:
    """Turn a loaded open_clip model into the LIFT classifier for `class_names`.

    The text tower is used once for the head and then dropped with `clip`.
    """
    weights = text_head_weights(clip, model, class_names, template)
    classifier = assemble_classifier(clip.visual, len(class_names), head_scale, bottleneck, peft, prompt_length)
    classifier.head.weight.data.copy_(weights)
    return classifier


def checkpoint_payload(
    model: LongTailClassifier,
    backbone: dict,
    class_names: Sequence[str],
    config: dict,
    metrics: dict,
    fp16_weights: bool = False,
) -> dict:
    """Everything needed to rebuild the fine-tuned classifier from the file alone, with the
    backbone's weights as it was trained on them (`fp16_weights`: see `backbones.load_clip`)."""
    return {
        "format_version": CHECKPOINT_FORMAT,
        "backbone": backbone,
        "fp16_weights": fp16_weights,
        "class_names": list(class_names),
        "peft": model.peft,
        "bottleneck": model.bottleneck,
        "prompt_length": model.prompt_length,
        "head_scale": model.head.scale,
        "config": config,
        "metrics": metrics,
        "state": model.trainable_state_dict(),
    }


def load_finetuned(checkpoint: str | os.PathLike, weights_file: str | os.PathLike) -> tuple[LongTailClassifier, dict]:
    """Rebuild a fine-tuned classifier: backbone from its weights, then adapters and head.

    Returns the model (on CPU, eval mode) and the checkpoint's metadata.
    """
    payload = _read_checkpoint(Path(checkpoint))
    backbone = payload["backbone"]
    pin = backbone["weights"].get("sha256")
    clip = backbones.load_clip(backbone["model"], weights_file, backbone["preprocess"], payload["fp16_weights"], pin)
    n_classes = len(payload["class_names"])
    model = assemble_classifier(
        clip.visual, n_classes, payload["head_scale"], payload["bottleneck"], payload["peft"], payload["prompt_length"]
    )
    model.load_trainable_state_dict(payload["state"])
    model.eval()
    meta = {k: v for k, v in payload.items() if k != "state"}
    return model, meta


class UnreadableCheckpointError(JobError, ValueError):
    """A fine-tune's checkpoint is damaged, or written in another format; names the file."""


def _read_checkpoint(checkpoint: Path) -> dict:
    """The checkpoint's payload, or an error saying how to have it rebuilt."""
    remedy = "delete it and run snakemake again, which plans its fine-tune again"
    try:
        files.checkpoint_format(checkpoint)
        payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except (ValueError, OSError, RuntimeError, EOFError, pickle.UnpicklingError) as err:
        reason = str(err).removeprefix(f"{checkpoint}: ")
        raise UnreadableCheckpointError(f"{checkpoint}: cannot be read ({reason}); {remedy}") from None
    found = payload.get("format_version") if isinstance(payload, dict) else type(payload).__name__
    if found != CHECKPOINT_FORMAT:
        raise UnreadableCheckpointError(
            f"{checkpoint}: checkpoint format {found}, this workflow reads {CHECKPOINT_FORMAT}; {remedy}"
        )
    return payload


class ZeroShotClassifier(nn.Module):
    """Zero-shot CLIP: logit_scale * cos(projected image feature, class text feature), the
    text feature averaged over `templates` (method.md §7)."""

    def __init__(
        self,
        clip: open_clip.CLIP,
        model: str,
        class_names: Sequence[str],
        templates: Sequence[str | Callable[[str], str]],
    ) -> None:
        super().__init__()
        self.visual = clip.visual
        self.register_buffer("text", text_features(clip, model, class_names, templates))  # (E, C)
        self.logit_scale = float(clip.logit_scale.detach().exp())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.logit_scale * F.normalize(self.visual(images), dim=-1) @ self.text
