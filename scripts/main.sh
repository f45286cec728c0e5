#!/usr/bin/env bash
# The main job, from a fresh clone: set up, then run the quick weight-decay study on Fashion-MNIST —
# five MLPs trained with different L2 coefficients, every metric measured on each, ranked against the
# real generalization gap — and print the trust table. The report lands in runs/study-weight-decay-quick.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
rm -rf "$root/runs/study-weight-decay-quick"
exec "$root/basin" study weight-decay --preset quick --data fashion-mnist --out "$root/runs/study-weight-decay-quick" "$@"
