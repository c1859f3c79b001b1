"""Inference cost: counted FLOPs and parameters, and how a subset's cost adds up."""

import open_clip
import pytest
import torch
from torch import nn

from ltbias import cost, models

CPU = torch.device("cpu")


def test_flops_and_parameters_of_a_linear_model_by_hand():
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5))
    model[1].bias.requires_grad_(False)
    measured = cost.measure(model, image_size=4, batch_size=8, device=CPU, precision="fp32", min_seconds=0.0)
    assert measured["gflops_per_image"] * 1e9 == pytest.approx(2 * 48 * 5)  # a multiply-add is two FLOPs
    assert measured["parameters"] == 48 * 5 + 5 and measured["trainable_parameters"] == 48 * 5
    assert measured["images_per_second"] > 0 and measured["batch_size"] == 8


def test_vit_b16_with_adapters_counts_about_twice_its_multiply_adds():
    torch.manual_seed(0)
    model = models.assemble_classifier(open_clip.create_model("ViT-B-16").visual, 1000, 25.0)
    measured = cost.measure(model, image_size=224, batch_size=1, device=CPU, precision="fp32", min_seconds=0.0)
    assert measured["trainable_parameters"] == 1_385_868  # method.md: ImageNet-LT's trainable set
    assert 2 * 16.8 < measured["gflops_per_image"] < 2 * 17.6  # 17.6 G multiply-adds with attention
