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


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the machine without a usable GPU")
def test_a_job_granted_a_gpu_that_finds_none_stops_unless_it_opted_into_the_cpu():
    with pytest.raises(RuntimeError, match=r"compute\.finetune\.gpu requests 1 GPU\(s\), but this job finds no usable"):
        runtime.require_gpu(1, "auto", "finetune.device", "compute.finetune.gpu")
    with pytest.raises(RuntimeError, match=r"set finetune\.device: cpu to run on the CPU on purpose"):
        runtime.require_gpu(2, "auto", "finetune.device", "compute.finetune.gpu")
    runtime.require_gpu(1, "cpu", "finetune.device", "compute.finetune.gpu")  # opted in
    runtime.require_gpu(0, "auto", "finetune.device", "compute.finetune.gpu")  # no GPU asked for
