#!/usr/bin/env bash
# Side-by-side speed and memory check (README "Performance"): one training
# step of the dual (P = 512) and the primal (K = 512) on 50 MNIST images,
# Go (plain build and GOEXPERIMENT=simd build) against the PyTorch reference
# in ../shared/bench/torch_ref.py on the same machine, then the time and
# peak memory of a dual step with P = 8000 and the time of one evaluation
# (objective, PSNR, RLNE) of a P = 8000 dual on the 10000 MNIST test images
# (simd build, as the README's commands). Needs python3-torch (apt-get install python3-torch) for the
# reference.
set -euo pipefail
cd "$(dirname "$0")/.."
# Go 1.27.3, which go.mod needs: the go command fetches that toolchain from
# the module proxy on first use (a machine's own Go may be older and pinned
# with GOTOOLCHAIN=local in its go.env).
export GOTOOLCHAIN=go1.27.3
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F), load$(cut -d' ' -f1-3 /proc/loadavg | sed 's/^/ /')"
echo "== Go, plain build"
GOEXPERIMENT= go test -run '^$' -bench 'Step(P512|K512)$' -benchtime 5x -count 2 ./stcnn | grep Benchmark
echo "== Go, GOEXPERIMENT=simd (AVX2/AVX-512 matrix products)"
GOEXPERIMENT=simd go test -run '^$' -bench 'Step(P512|K512)$' -benchtime 5x -count 2 ./stcnn | grep Benchmark
ref=../shared/bench/torch_ref.py
if [ -f "$ref" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  for m in dual primal; do
    echo "== PyTorch reference, $m (12 steps of 50 images per epoch; seconds per epoch)"
    /usr/bin/python3 "$ref" --model "$m" --epochs 2
  done
else
  echo "== PyTorch reference skipped: $ref or python3-torch missing (apt-get install python3-torch)"
fi
echo "== time and memory: one dual step, P = 8000, 50 images (GOEXPERIMENT=simd)"
GOEXPERIMENT=simd go test -run '^$' -bench 'StepP8000$' -benchtime 2x ./stcnn | grep Benchmark
echo "== time: evaluation of a P = 8000 dual on the 10000 MNIST test images (GOEXPERIMENT=simd)"
GOEXPERIMENT=simd go test -run '^$' -bench 'EvaluateP8000Test10000$' -benchtime 1x -timeout 60m ./stcnn | grep Benchmark
