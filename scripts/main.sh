#!/usr/bin/env bash
# The main job, from a fresh clone: set up, then train an MLP on Fashion-MNIST and print its
# train/test accuracy. The run (checkpoint, model.safetensors, log.csv) lands in runs/fashion-mlp.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
rm -rf "$root/runs/fashion-mlp"
exec "$root/basin" train --model mlp:784-256-256-10 --data fashion-mnist \
  --epochs 15 --lr 0.05 --nesterov --schedule cosine --seed 0 --out "$root/runs/fashion-mlp" "$@"
