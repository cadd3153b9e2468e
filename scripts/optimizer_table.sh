#!/usr/bin/env bash
# Final training objective of the primal and the dual on 600 MNIST images at
# sigma 0.25 under each optimiser (default initialisation) and under each
# initialisation (Adam): the table in the training-machinery note.
#
# The objective sums the squared error over an image's 784 pixels, so plain
# SGD needs far smaller rates than the adaptive methods, and the dual (whose
# output sums P gates) smaller than the primal. Each optimiser therefore gets
# a three-decade sweep and the table reports the best final objective with
# its rate. K = P = 64 and 3 epochs keep the runs within minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
# Go 1.27.3, which go.mod needs: the go command fetches that toolchain from
# the module proxy on first use (a machine's own Go may be older and pinned
# with GOTOOLCHAIN=local in its go.env).
export GOTOOLCHAIN=go1.27.3
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
bin=$(mktemp -d)/train
go build -o "$bin" ./cmd/train
common=(-n 600 -test 0 -sigma 0.25 -epochs 3 -K 64 -P 64 -gap=false)

# run ARGS...: the last epoch's train objective, or "diverged".
run() {
  local line
  line=$("$bin" "$@" "${common[@]}" 2>&1 | grep -E "epoch 3/3" | tail -n 1)
  if [ -n "$line" ]; then sed -E 's/.*train objective ([^ ]+).*/\1/' <<<"$line"; else echo diverged; fi
}

# best MODEL OPT RATES...: "objective (lr RATE)" for the best rate.
best() {
  local model=$1 opt=$2 out="" bestv="" bestlr="" v lr
  shift 2
  for lr in "$@"; do
    v=$(run -model "$model" -optimizer "$opt" -lr "$lr")
    [ "$v" = diverged ] && continue
    if [ -z "$bestv" ] || awk -v a="$v" -v b="$bestv" 'BEGIN{exit !(a<b)}'; then bestv=$v; bestlr=$lr; fi
  done
  if [ -z "$bestv" ]; then echo "diverged at $*"; else echo "$bestv (lr $bestlr)"; fi
}

declare -A primal=([sgd]="1e-4 1e-5 1e-6" [asgd]="1e-4 1e-5 1e-6" [sgdm]="1e-5 1e-6 1e-7"
  [adagrad]="1e-1 1e-2 1e-3" [rmsprop]="1e-2 1e-3 1e-4" [adam]="1e-2 1e-3 1e-4")
declare -A dual=([sgd]="1e-5 1e-6 1e-7" [asgd]="1e-5 1e-6 1e-7" [sgdm]="1e-6 1e-7 1e-8"
  [adagrad]="1e-2 1e-3 1e-4" [rmsprop]="1e-3 1e-4 1e-5" [adam]="1e-3 1e-4 1e-5")
printf "| run | primal (K = 64) | dual (P = 64) |\n| --- | --- | --- |\n"
for opt in sgd asgd sgdm adagrad rmsprop adam; do
  printf "| optimiser %s | %s | %s |\n" "$opt" "$(best primal "$opt" ${primal[$opt]})" "$(best dual "$opt" ${dual[$opt]})"
done
for init in kaiming normal:0 normal:0.001 normal:0.005 normal:0.01 zeros; do
  printf "| init %s, Adam | %s | %s |\n" "$init" "$(run -model primal -init "$init" -lr 1e-3) (lr 1e-3)" \
    "$(run -model dual -init "$init" -lr 1e-4) (lr 1e-4)"
done
