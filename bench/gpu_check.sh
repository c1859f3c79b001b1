#!/usr/bin/env bash
# The prepared GPU check: run from the repository root on a machine with a GPU.
# Prints ViT-B/16 fine-tuning throughput (eager and compiled) and the step/forward ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=workflow:bench PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python bench/gpu_check.py --steps 300
python bench/gpu_check.py --steps 300 --compile
python bench/finetune_step.py --models ViT-B-16 --batch 128
