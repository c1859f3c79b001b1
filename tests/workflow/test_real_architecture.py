"""The real path through the Snakefile: a ViT-B/16 from a local checkpoint on a class-folder
dataset at 224 px (random weights, a handful of images: a smoke test, not a result)."""

import pandas as pd
import torch
import yaml

from ltbias import backbones, toyworld
from smk import copy_checkout, snakemake


def test_vit_b16_from_a_local_checkpoint_on_a_folder_dataset(tmp_path):
    checkout = copy_checkout(tmp_path / "ltbias")
    world = toyworld.ToyWorld(colors=dict(list(toyworld.DEFAULT_COLORS.items())[:2]), patterns=("plain", "striped"))
    toyworld.write_raw_dataset(world, tmp_path / "data", {"train": 4, "val": 1})
    torch.manual_seed(0)
    torch.save(backbones.random_clip("ViT-B-16-quickgelu").state_dict(), tmp_path / "vit.pt")
    config = {
        "datasets": {
            "tiny": {
                "source": "folder",
                "root": str(tmp_path / "data"),
                "split": {"profile": "exponential", "max_count": 3, "imbalance_ratio": 3, "val_per_class": 1},
                "decode_check": {"mode": "full"},
                "backbones": ["vit"],
            }
        },
        "backbones": {"vit": {"model": "ViT-B-16-quickgelu", "weights": {"file": str(tmp_path / "vit.pt")}}},
        "finetune": {"epochs": 1, "batch_size": 4, "checkpoint_every_steps": 0, "log_every_steps": 1},
        "evaluation": {"batch_size": 4},
        "zeroshot_templates": ["a photo of a {}.", "a {}."],  # the paper's 80 cost 50 s on a CPU
    }
    (checkout / "tiny.yaml").write_text(yaml.safe_dump(config))
    if not torch.cuda.is_available():  # the paper's compute block asks for a GPU: none here
        refused = snakemake(checkout, "--configfile", "tiny.yaml")
        assert refused.returncode != 0
        assert "compute.finetune.gpu requests 1 GPU(s), but this job finds no usable CUDA device" in refused.stderr
        config["finetune"]["device"] = config["evaluation"]["device"] = "cpu"  # on purpose
        (checkout / "tiny.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(checkout, "--configfile", "tiny.yaml")
    assert result.returncode == 0, result.stderr[-4000:]

    checkpoint = torch.load(checkout / "results/tiny/finetune/vit/checkpoint.pt", weights_only=True)
    assert checkpoint["bottleneck"] == 1 and checkpoint["backbone"]["preprocess"]["size"] == 224
    adapters = sum(v.numel() for v in checkpoint["state"]["adapters"].values())
    per_block = 2 * 768 + (768 * 1 + 1) + (1 * 768 + 768) + 1  # LayerNorm, down, up, scale; r = 1
    assert adapters == 12 * per_block
    assert checkpoint["state"]["head"]["weight"].shape == (4, 768)
    metrics = pd.read_csv(checkout / "results/tiny/ensembles/metrics.csv")
    single = metrics[metrics["protocol"] == "single"]
    assert single["variant"].tolist() == ["uniform", "debiased", "prior_subtracted", "gla", "zero-shot"]
    assert metrics[metrics["protocol"] == "tte"]["variant"].tolist() == [
        "uniform",
        "debiased",
        "prior_subtracted",
        "gla",
    ]
    table6 = pd.read_csv(checkout / "results/tiny/tables/table6.csv")
    assert table6["Method"].tolist() == [
        "LIFT (reproduced)", "Ours (reproduced)", "LIFT (reproduced, five-crop TTE)", "Ours (reproduced, five-crop TTE)"
    ]  # fmt: skip
    log = (checkout / "logs/finetune/tiny/vit.log").read_text()
    assert f"trainable {12 * per_block + 4 * 768}, frozen" in log  # nothing but adapters and head
