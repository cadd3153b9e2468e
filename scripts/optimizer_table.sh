#!/usr/bin/env bash
# Final training objective of the primal and the dual on 600 MNIST images at
# sigma 0.25 under each optimiser (default initialisation) and under each
# initialisation (Adam): the table in the training-machinery note. K = P = 128
# and 3 epochs keep the 22 runs within minutes on 2 cores; every other
# setting is cmd/train's default (learning rate 1e-3 primal, 1e-4 dual, for
# every optimiser).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/train
go build -o "$bin" ./cmd/train
common=(-n 600 -test 0 -sigma 0.25 -epochs 3 -K 128 -P 128 -gap=false)
# The last epoch's train objective, or the error that stopped the run.
final() {
  local out line
  out=$("$bin" "$@" "${common[@]}" 2>&1)
  line=$(grep -E "epoch 3/3" <<<"$out" | tail -n 1)
  if [ -n "$line" ]; then
    sed -E 's/.*train objective ([^ ]+).*/\1/' <<<"$line"
  else
    echo "failed: $(tail -n 1 <<<"$out" | cut -c1-80)"
  fi
}
printf "| run | primal | dual |\n| --- | --- | --- |\n"
for opt in sgd asgd sgdm adagrad rmsprop adam; do
  p=$(final -model primal -optimizer "$opt")
  d=$(final -model dual -optimizer "$opt")
  printf "| optimiser %s | %s | %s |\n" "$opt" "$p" "$d"
done
for init in kaiming normal:0 normal:0.001 normal:0.005 normal:0.01 zeros; do
  p=$(final -model primal -init "$init")
  d=$(final -model dual -init "$init")
  printf "| init %s (Adam) | %s | %s |\n" "$init" "$p" "$d"
done
