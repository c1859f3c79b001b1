#!/usr/bin/env bash
# The prepared GPU check: run from the repository root on a machine with a GPU.
# Prints ViT-B/16 fine-tuning throughput and peak memory (eager and compiled, one run),
# the step/forward ratio at batch 128, and end-to-end fine-tuning images/s from JPEG files
# on disk with CPU (PIL, 16 workers) and GPU (nvJPEG) decoding.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=workflow:bench${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 bench/gpu_check.py --steps 300 --compile
python3 bench/finetune_step.py --models ViT-B-16 --batch 128
python3 bench/input_pipeline.py --images 8192 --batch 128 --workers 16
