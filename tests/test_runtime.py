"""Precision resolution and the loss-scaling rule shared by fit() and the benchmarks."""

import pytest
import torch

from ltbias import runtime

CPU = torch.device("cpu")


def test_auto_precision_is_fp32_on_cpu_and_unknown_names_are_refused():
    assert runtime.resolve_precision("auto", CPU) == "fp32"
    assert runtime.resolve_precision("bf16", CPU) == "fp32"
    with pytest.raises(ValueError, match="'half'"):
        runtime.resolve_precision("half", CPU)


@pytest.mark.parametrize(("precision", "scaled"), [("fp16", True), ("bf16", False), ("fp32", False)])
def test_only_fp16_scales_the_loss(precision, scaled):
    assert runtime.grad_scaler(CPU, precision).is_enabled() is scaled
