#!/bin/bash
# The device check, run on the lent GPU machine from the repository root after tools/device/bundle.sh (see there).
# Basin on CUDA through the machine's PyTorch libtorch: runtime; a scripted ResNet-18 against an independent float64 PyTorch
# reference (top five eigenvalues, Tr H, Tr H²) through `spectrum`'s defaults (deflated); `measure`'s defaults on it; every
# metric on the CPU against CUDA with deflation on; the curvature benchmark. Each part has its own time limit (430 s in all).
set -u
R=$(pwd); exec > >(tee "$OUT/log.txt") 2>&1
T0=$(date +%s); el() { echo "## +$(( $(date +%s) - T0 ))s $*"; }
mkdir -p /tmp/b && tar xJf "$R/.gpu/basin-gpu.tar.xz" -C /tmp/b || exit 1
export BASIN_LIBTORCH=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))') BASIN_TRACE=1
B=/tmp/b/cli/Basin.Cli; K=/tmp/b/bench/Basin.Benchmarks
nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv -lms 1000 > "$OUT/smi.csv" 2>&1 &
el info; timeout 20 $B info; echo rc=$?
el reference; (cd /tmp && timeout 110 python3 "$R/.gpu/reference.py" 200 "$OUT/reference.json" 100 60); echo rc=$?
M="--model torchscript:/tmp/r18.pt --data tensors:/tmp/d.npz --samples 0"
el spectrum; timeout 70 $B spectrum $M --out /tmp/sp; echo rc=$?; cp /tmp/sp/spectrum.json "$OUT/spectrum-r18.json"
el measure; timeout 100 $B measure $M --out /tmp/md; echo rc=$?; cp /tmp/md/results.csv "$OUT/resnet18-defaults.csv"
el each-metric; timeout 75 $K --each-metric lenet5 256 10 > "$OUT/each-lenet5-deflate10.md"; echo rc=$?
el benchmark; timeout 75 $K --quick > "$OUT/bench.md"; echo rc=$?
el done; kill %1 2>/dev/null
