#!/usr/bin/env bash
# The main job, from a fresh clone: set up, then run the quick trust benchmark — 16 ReLU MLPs on Fashion-MNIST and
# the MNIST digits, varying learning rate, batch size and label noise jointly, each trained to cross-entropy 0.01 (models
# that miss are listed and excluded), every metric, baseline and oracle measured on each — and print the verdict table:
# τ, granulated τ Ψ, conditional mutual information and Dziugaite's sign-error against the held-out gap, each measure
# compared with the best baseline on a paired test. The report lands in runs/benchmark-quick.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
rm -rf "$root/runs/benchmark-quick"
exec "$root/basin" benchmark --preset quick --out "$root/runs/benchmark-quick" "$@"
