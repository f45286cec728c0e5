#!/bin/bash
# The device check, run on the lent GPU machine from the repository root after tools/device/bundle.sh (see there).
# Basin on CUDA through the machine's PyTorch libtorch: runtime, a ResNet-18 against an independent float64 PyTorch reference,
# every metric on the CPU against CUDA, the curvature benchmark and the step methods' cost. Each part has its own time limit.
set -u
R=$(pwd); exec > >(tee "$OUT/log.txt") 2>&1
T0=$(date +%s); el() { echo "## +$(( $(date +%s) - T0 ))s $*"; }
mkdir -p /tmp/b && tar xJf "$R/.gpu/basin-gpu.tar.xz" -C /tmp/b || exit 1
export BASIN_LIBTORCH=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))') BASIN_TRACE=1
B=/tmp/b/cli/Basin.Cli; K=/tmp/b/bench/Basin.Benchmarks
nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv -lms 1000 > "$OUT/smi.csv" 2>&1 &
el info; timeout 60 $B info; echo rc=$?
el reference; (cd /tmp && timeout 80 python3 "$R/.gpu/reference.py" 200 "$OUT/reference.json"); echo rc=$?
M="--model torchscript:/tmp/r18.pt --data tensors:/tmp/d.npz --samples 0"
el measure; timeout 60 $B measure $M --metrics hessian.top_eigenvalue,hessian.trace,ggn.trace,fisher.trace --out /tmp/mc; echo rc=$?; cp /tmp/mc/results.csv "$OUT/resnet18.csv"
el each-metric; timeout 90 $K --each-metric lenet5 256 > "$OUT/each-lenet5.md"; echo rc=$?
el benchmark; timeout 100 $K --quick > "$OUT/bench.md"; echo rc=$?
el steps; timeout 60 $K --steps mlp:784-256-256-10,lenet5 > "$OUT/steps.md"; echo rc=$?
el done; kill %1 2>/dev/null
