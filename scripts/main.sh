#!/usr/bin/env bash
# The main job, from a fresh clone: set up, then run the quick random-labels study on Fashion-MNIST —
# eight MLPs, each on 1 000 training images whose labels are redrawn at random with probability
# 0 … 0.8 and trained until it memorises them (≤ 1% train error), every metric measured on each and
# ranked against the real generalization gap — and print the trust table with permutation p-values and
# a one-line reading. The report lands in runs/study-random-labels-quick.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
rm -rf "$root/runs/study-random-labels-quick"
exec "$root/basin" study random-labels --preset quick --data fashion-mnist --out "$root/runs/study-random-labels-quick" "$@"
