#!/usr/bin/env bash
# Where does the paper's Table I lie? The primal ST-CNN at the paper's sizes
# (600 MNIST training images, all 10000 test images, K = 512, Adam, batch
# 50), one setting the paper leaves open changed at a time from the paper
# scale's choice (filter 3x3, lambda 0.1, lr 1e-3, 30 epochs) at sigma 0.25:
# learning rate, epochs, filter size and threshold; then the threshold at
# sigma 0.5 and 0.75, noisy images clipped to [0, 1] (train -clip-noisy),
# which the paper does not mention either, and at sigma 0.75 training
# length and filter size. Prints one CSV row per
# setting (final training and test PSNR from the run's history) and writes
# the table to the file given as the first argument (default
# reproductions/paper/primal_sweep.csv); the runs go to $SWEEP_OUT (default
# a temporary folder). SWEEP_ONLY=REGEX runs only the settings whose names
# match and keeps the other rows of an existing table. A setting whose run
# finished in $SWEEP_OUT (its NAME.seconds written) is read back, not
# trained again, so a sweep stopped part-way goes on where it was; an
# unfinished run starts again. The primal is cheap
# (minutes a run); the dual at P = 8000 is not, so the sweep is of the
# primal only.
#
# SWEEP_DATASET=cifar10 does the same for Table II: the primal at CIFAR-10's
# paper sizes (3000 training / 400 test images, K = 512, Adam lr 1e-2, batch
# 50, 30 epochs, as reproduce -scale paper trains it): the threshold
# and the filter size at sigma 0.25 (3x3, 5x5, 7x7), then the larger filter
# and threshold at sigma 0.5 and 0.75; table
# reproductions/paper/primal_sweep_cifar10.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
dataset=${SWEEP_DATASET:-mnist}
case $dataset in
  mnist) table=${1:-reproductions/paper/primal_sweep.csv}; sizes=(-n 600 -test 10000) ;;
  cifar10) table=${1:-reproductions/paper/primal_sweep_cifar10.csv}; sizes=(-n 3000 -test 400) ;;
  *) echo "SWEEP_DATASET=$dataset: want mnist or cifar10" >&2; exit 2 ;;
esac
out=${SWEEP_OUT:-$(mktemp -d)}
bin=$out/train
go build -o "$bin" ./cmd/train

# setting NAME SIGMA M LAMBDA LR EPOCHS CLIP
mnist_settings=(
  "paper_scale_choice 0.25 3 0.1 1e-3 30 -"
  "lr_3e-3 0.25 3 0.1 3e-3 30 -"
  "lr_1e-2 0.25 3 0.1 1e-2 30 -"
  "epochs_100 0.25 3 0.1 1e-3 100 -"
  "filter_5x5 0.25 5 0.1 1e-3 30 -"
  "lambda_0.01 0.25 3 0.01 1e-3 30 -"
  "lambda_0.2 0.25 3 0.2 1e-3 30 -"
  "lambda_0.4 0.25 3 0.4 1e-3 30 -"
  "lambda_0.2_lr_1e-2_epochs_100 0.25 3 0.2 1e-2 100 -"
  "lambda_0.8 0.25 3 0.8 1e-3 30 -"
  "sigma0.5_paper_scale_choice 0.5 3 0.1 1e-3 30 -"
  "sigma0.5_lambda_0.4 0.5 3 0.4 1e-3 30 -"
  "sigma0.5_lambda_0.8 0.5 3 0.8 1e-3 30 -"
  "sigma0.75_paper_scale_choice 0.75 3 0.1 1e-3 30 -"
  "sigma0.75_lambda_0.4 0.75 3 0.4 1e-3 30 -"
  "sigma0.75_lambda_0.8 0.75 3 0.8 1e-3 30 -"
  "sigma0.75_lambda_1.2 0.75 3 1.2 1e-3 30 -"
  "clipped 0.25 3 0.1 1e-3 30 clip"
  "sigma0.75_clipped 0.75 3 0.1 1e-3 30 clip"
  "sigma0.75_lambda_0.8_clipped 0.75 3 0.8 1e-3 30 clip"
  "sigma0.5_lambda_0.8_clipped 0.5 3 0.8 1e-3 30 clip"
  "lambda_0.4_clipped 0.25 3 0.4 1e-3 30 clip"
  "sigma0.75_lambda_0.8_lr_1e-2_epochs_100 0.75 3 0.8 1e-2 100 -"
  "sigma0.75_lambda_0.8_filter_5x5 0.75 5 0.8 1e-3 30 -"
  "sigma0.75_lambda_0.8_filter_7x7 0.75 7 0.8 1e-3 30 -"
  "sigma0.5_lambda_0.8_filter_7x7 0.5 7 0.8 1e-3 30 -"
  "sigma0.75_lambda_1.6_filter_7x7 0.75 7 1.6 1e-3 30 -"
)
# The paper scale's CIFAR-10 primals (3x3, lambda 0.1) are in the run archive
# and in Table II, so they are not trained again here.
cifar10_settings=(
  "lambda_0.4 0.25 3 0.4 1e-2 30 -"
  "lambda_0.8 0.25 3 0.8 1e-2 30 -"
  "lambda_0.4_filter_5x5 0.25 5 0.4 1e-2 30 -"
  "lambda_0.4_filter_7x7 0.25 7 0.4 1e-2 30 -"
  "sigma0.75_lambda_0.4_filter_7x7 0.75 7 0.4 1e-2 30 -"
  "sigma0.5_lambda_0.4_filter_7x7 0.5 7 0.4 1e-2 30 -"
)
settings_var=${dataset}_settings[@]
settings=("${!settings_var}")
header="setting,sigma,m,lambda,lr,epochs,clipped,train_psnr,test_psnr,seconds"
echo "$header"
rows=()
for s in "${settings[@]}"; do
  read -r name sigma m lambda lr epochs clip <<<"$s"
  clipped=false
  [ "$clip" = clip ] && clipped=true
  if [ -n "${SWEEP_ONLY:-}" ] && ! [[ $name =~ $SWEEP_ONLY ]]; then
    old=$(grep -E "^${name}," "$table" 2>/dev/null || true)
    [ -n "$old" ] && rows+=("$old")
    continue
  fi
  dir=$out/$name
  if [ -f "$dir.seconds" ] && [ -f "$dir/primal/history.csv" ]; then
    seconds=$(cat "$dir.seconds")
  else
    start=$(date +%s)
    "$bin" -model primal -dataset "$dataset" "${sizes[@]}" -sigma "$sigma" -K 512 -batch 50 -seed 1 \
      -m "$m" -lambda "$lambda" -clip-noisy="$clipped" -lr "$lr" -epochs "$epochs" -test-and-gap-every "$epochs" \
      -checkpoint-every 0 -force -out "$dir" >"$dir.log" 2>&1 || { echo "$name: failed, see $dir.log" >&2; exit 1; }
    seconds=$(($(date +%s) - start))
    echo "$seconds" >"$dir.seconds"
  fi
  # The last history row: train_psnr and test_psnr by their header names.
  psnr=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } { last = $0 }
    END { split(last, f, ","); print f[col["train_psnr"]] "," f[col["test_psnr"]] }' "$dir/primal/history.csv")
  row="$name,$sigma,$m,$lambda,$lr,$epochs,$clipped,$psnr,$seconds"
  echo "$row"
  rows+=("$row")
done
tmp=$(mktemp "$(dirname "$table")/.sweep.XXXXXX")
{ echo "$header"; printf '%s\n' "${rows[@]}"; } >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$table"
echo "wrote $table (runs in $out)"
