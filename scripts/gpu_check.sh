#!/usr/bin/env bash
# The GPU run in one command (README "GPU (XLA/CUDA)"): on a CUDA machine
# without Go, with the folder scripts/gpu_build.sh made, it
#
#   1. unpacks the binaries and data,
#   2. finds a CUDA PJRT plugin (go-xla's installer's, or JAX's
#      jax_plugins/xla_cuda*/xla_cuda_plugin.so) and the NVIDIA libraries,
#      and arranges them the way go-xla loads them,
#   3. checks that gomlx_backend picks XLA with CUDA and runs a graph on it
#      (stops here otherwise),
#   4. runs the test binaries of stcnn, stcnn/training and stcnn/certify,
#   5. runs the step benchmarks (dual P = 512 and P = 8000, primal K = 512),
#   6. runs `reproduce -scale paper -keep-runs` figure by figure (Table I
#      and Figs. 11-12 first, sharing their runs: Fig. 11 first, as its
#      gap-measuring runs serve the other two) while the time budget
#      lasts, then archives the finished runs (`reproduce -archive-runs`),
#
# each stage under a time cap taken from the budget, with a log per stage; a
# failed stage is logged and the next one runs. It writes to $OUT (--out) at
# most four kinds of files, each under 16 MiB: gpu_check.log (this log),
# gpu_logs.tar.gz (every stage's log), gpu_figures.tar.gz (the figure
# folders) and gpu_runs.tar.gz (the run archive: unpack it into
# reproductions/paper/ and commit it, and `reproduce` reads those runs back
# on any machine instead of training them); the two archives are split into
# .part-* files if larger.
#
#   scripts/gpu_check.sh [--dry-run] [--budget SECONDS] [--build DIR]
#                        [--out DIR] [--work DIR] [--figures LIST]
#                        [--scale tiny|quick|paper] [--stages LIST] [--tf32]
#
# --dry-run runs the same flow on the pure-Go backend (GOMLX_BACKEND=go):
# a few quick tests, one-step benchmarks, tiny-scale figures, a short
# budget, and no plugin required; it proves the plumbing on a CPU machine.
# --stages picks among tests,bench,figures (default all; the backend check
# always runs, and stops the run when it fails). After the
# check the stages run with GOMLX_BACKEND=xla:cuda,tf32=false: go-xla
# otherwise multiplies float32 matrices in TF32 (10-bit mantissa) on CUDA,
# which the float32 test tolerances and the CPU comparisons do not assume;
# --tf32 keeps go-xla's default.
#
# Environment: STCNN_PJRT_PLUGIN (a plugin file to use),
# STCNN_GPU_SEARCH_ROOTS (where to look for Python site-packages; default
# /opt /usr/local /usr/lib $HOME), STCNN_GOXLA_DIRS (go-xla installer
# folders; default ~/.local/lib/go-xla /usr/local/lib/go-xla),
# STCNN_GPU_TEST_RUN (a -test.run pattern for the test stage).
#
# Exit status: 0 when every stage that ran passed (figures cut or not
# started for lack of time are listed, not failures), 1 when a stage failed,
# 2 on a usage error.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

dry=0 tf32=0 budget="" build=build/gpu out="${OUT:-}" work="" figures="" scale="" stages=backend,tests,bench,figures
usage() { echo "gpu_check: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry=1; shift ;;
    --tf32) tf32=1; shift ;;
    --budget) budget=${2:?--budget needs seconds}; shift 2 ;;
    --build) build=${2:?--build needs a folder}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --work) work=${2:?--work needs a folder}; shift 2 ;;
    --figures) figures=${2:?--figures needs a list}; shift 2 ;;
    --scale) scale=${2:?--scale needs tiny, quick or paper}; shift 2 ;;
    --stages) stages=${2:?--stages needs a list}; shift 2 ;;
    -h|--help) sed -n '2,44p' "$0"; exit 0 ;;
    *) usage "unknown argument $1 (see --help)" ;;
  esac
done
if [ $dry = 1 ]; then
  budget=${budget:-180} scale=${scale:-tiny} figures=${figures:-11,table1,12}
  fig_min=5 reserve=5
else
  budget=${budget:-540} scale=${scale:-paper}
  figures=${figures:-11,table1,12,9,10,16,table2,17,13,14,15,2,18,19,certified,1,7,3,4,5,6}
  fig_min=30 reserve=20
fi
[[ $budget =~ ^[0-9]+$ ]] || usage "--budget $budget: want seconds"
out=${out:-build/gpu-out}
for s in ${stages//,/ }; do
  case $s in backend|tests|bench|figures) ;; *) usage "--stages: unknown stage $s" ;; esac
done
want() { [[ ",$stages," == *",$1,"* ]]; }

build=$(cd "$build" 2>/dev/null && pwd) || usage "build folder missing: run scripts/gpu_build.sh first"
[ -f "$build/MANIFEST.txt" ] || usage "$build has no MANIFEST.txt: run scripts/gpu_build.sh first"
mkdir -p "$out" || usage "cannot create --out $out"
out=$(cd "$out" && pwd)
[ -n "$work" ] || work=$(mktemp -d "${TMPDIR:-/tmp}/stcnn-gpu.XXXXXX")
rm -rf "$work/logs" "$work/figures"
mkdir -p "$work/logs" "$work/figures" || usage "cannot create --work $work"
work=$(cd "$work" && pwd)
logs=$work/logs main=$work/logs/gpu_check.log
: >"$main"

t0=$SECONDS
say() { echo "[$(printf '%4d' $((SECONDS - t0)))s] $*" | tee -a "$main"; }
left() { echo $((budget - (SECONDS - t0) - reserve)); }
summary=() failed=0

# record NAME STATUS DETAIL: one line of the final summary.
record() {
  summary+=("$(printf '%-22s %-8s %.240s' "$1" "$2" "$3")")
  case $2 in FAIL|TIMEOUT) failed=1 ;; esac
  say "stage $1: $2 $3"
}

# run_stage NAME CAP LOG DIR CMD...: runs CMD in DIR under a CAP-second
# limit with its output in LOG; sets rc (124 on timeout) and secs.
run_stage() {
  local name=$1 cap=$2 log=$3 dir=$4
  shift 4
  say "== $name (cap ${cap}s, log ${log#"$work"/}): $*"
  local s=$SECONDS
  (cd "$dir" && exec timeout --kill-after=10 "$cap" "$@") >"$log" 2>&1
  rc=$?
  secs=$((SECONDS - s))
  [ $rc = 137 ] && rc=124
}

# cap_of FRACTION_NUM FRACTION_DEN: a stage's share of the budget, no more
# than what is left.
cap_of() {
  local c=$((budget * $1 / $2)) l
  l=$(left)
  [ "$l" -lt "$c" ] && c=$l
  [ "$c" -lt 1 ] && c=1
  echo "$c"
}

# split_large NAME: splits $out/NAME into 15 MiB parts when it is larger.
split_large() {
  local size
  size=$(stat -c %s "$out/$1")
  if [ "$size" -gt $((15 * 1048576)) ]; then
    split -b 15M -a 1 "$out/$1" "$out/$1.part-" && rm -f "$out/$1"
    say "$1 of $size bytes split into 15 MiB parts (cat $1.part-* | tar xz)"
  fi
}

pack() {
  say "== packing into $out"
  rm -f "$out"/gpu_check.log "$out"/gpu_logs.tar.gz "$out"/gpu_figures.tar.gz* "$out"/gpu_runs.tar.gz*
  cp "$build/MANIFEST.txt" "$logs/MANIFEST.txt"
  tar -C "$work" -czf "$out/gpu_logs.tar.gz" logs
  if [ -n "$(ls -A "$work/figures")" ]; then
    tar -C "$work" --exclude=figures/runs -czf "$out/gpu_figures.tar.gz" figures
    split_large gpu_figures.tar.gz
  fi
  if [ -d "$work/runs" ] && [ -n "$(ls -A "$work/runs")" ]; then
    tar -C "$work" -czf "$out/gpu_runs.tar.gz" runs
    split_large gpu_runs.tar.gz
  fi
  (cd "$out" && ls -l gpu_* | tee -a "$main")
}

finish() {
  [ -n "${sampler:-}" ] && kill "$sampler" 2>/dev/null
  say "== summary (mode $([ $dry = 1 ] && echo dry-run || echo gpu), budget ${budget}s, $((SECONDS - t0))s used)"
  local l
  for l in "${summary[@]}"; do say "  $l"; done
  pack
  say "exit status $failed"
  cp "$main" "$out/gpu_check.log"
  exit "$failed"
}

say "stcnn gpu_check: mode $([ $dry = 1 ] && echo dry-run || echo gpu), budget ${budget}s, scale $scale, stages $stages"
say "repository $root, build $build, work $work, out $out"
sed 's/^/    /' "$build/MANIFEST.txt" >>"$main"
# GPU use over the whole run, every 2 s (evidence that the stages ran on it).
sampler=""
if [ $dry = 0 ] && command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 2 >"$logs/gpu_util.csv" 2>&1 &
  sampler=$!
fi

# --- 1. unpack -----------------------------------------------------------
unpack() {
  local p
  for p in "$build"/payload.tar.xz "$build"/payload.tar.gz; do
    [ -f "$p" ] || continue
    if [[ $p == *.gz ]] || command -v xz >/dev/null; then
      tar -C "$work" -xf "$p" && return 0
    fi
    # No xz: Python's tarfile reads it.
    local py
    for py in python3 /opt/torch/.venv/bin/python3 /usr/bin/python3; do
      command -v "$py" >/dev/null || continue
      "$py" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$p" "$work" && return 0
    done
    return 1
  done
  [ -d "$build/bin" ] || return 1
  ln -sfn "$build/bin" "$work/bin"
  mkdir -p "$work/data"
  [ -d "$build/data/cifar-10-batches-bin" ] && ln -sfn "$build/data/cifar-10-batches-bin" "$work/data/cifar-10-batches-bin"
  return 0
}
s=$SECONDS
if unpack; then
  mkdir -p "$work/data"
  ln -sfn "$build/data/mnist" "$work/data/mnist"
  record unpack PASS "$((SECONDS - s))s: $(ls "$work/bin" | tr '\n' ' ')"
else
  record unpack FAIL "cannot unpack the build in $build (xz or python3 needed for payload.tar.xz)"
  finish
fi
bin=$work/bin
export STCNN_DATA=$work/data

# --- 2. machine and plugin -------------------------------------------------
{
  echo "uname: $(uname -a)"
  echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "glibc: $(ldd --version 2>/dev/null | head -n 1)"
  if command -v nvidia-smi >/dev/null; then timeout 30 nvidia-smi; else echo "nvidia-smi: not found"; fi
} >"$logs/machine.log" 2>&1
sed 's/^/    /' "$logs/machine.log" | tee -a "$main"

# find_plugin: sets plugin (a CUDA PJRT plugin file) and nvidia (the NVIDIA
# wheels' folder) from, in order, STCNN_PJRT_PLUGIN, PJRT_PLUGIN_LIBRARY_PATH,
# go-xla's installer folders, and Python site-packages holding JAX's plugin.
find_plugin() {
  plugin="" nvidia="" plugin_from=""
  local d f sp
  if [ -n "${STCNN_PJRT_PLUGIN:-}" ]; then
    [ -f "$STCNN_PJRT_PLUGIN" ] || { say "STCNN_PJRT_PLUGIN=$STCNN_PJRT_PLUGIN is not a file"; return 1; }
    plugin=$STCNN_PJRT_PLUGIN plugin_from=STCNN_PJRT_PLUGIN
  fi
  local pjrt_dirs=() goxla_dirs=() roots=()
  IFS=: read -ra pjrt_dirs <<<"${PJRT_PLUGIN_LIBRARY_PATH:-}"
  read -ra goxla_dirs <<<"${STCNN_GOXLA_DIRS-$HOME/.local/lib/go-xla /usr/local/lib/go-xla}"
  read -ra roots <<<"${STCNN_GPU_SEARCH_ROOTS-/opt /usr/local /usr/lib $HOME}"
  if [ -z "$plugin" ]; then
    for d in "${pjrt_dirs[@]}"; do
      [ -f "$d/pjrt_c_api_cuda_plugin.so" ] && { plugin=$d/pjrt_c_api_cuda_plugin.so plugin_from=PJRT_PLUGIN_LIBRARY_PATH; break; }
    done
  fi
  if [ -z "$plugin" ]; then
    for d in "${goxla_dirs[@]}"; do
      for f in "$d/nvidia/pjrt_c_api_cuda_plugin.so" "$d/pjrt_c_api_cuda_plugin.so"; do
        [ -f "$f" ] && { plugin=$f plugin_from="go-xla installer ($d)"; break 2; }
      done
    done
  fi
  if [ -n "$plugin" ]; then
    d=$(dirname "$plugin")
    for f in "$d/../nvidia" "$d/nvidia"; do
      [ -d "$f" ] && { nvidia=$(cd "$f" && pwd); break; }
    done
  fi
  # JAX's wheels: site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so
  # next to site-packages/nvidia/.
  local sps=()
  [ ${#roots[@]} -gt 0 ] && mapfile -t sps < <(timeout 60 find "${roots[@]}" -maxdepth 7 \
    -type d \( -name site-packages -o -name dist-packages \) -prune -print 2>/dev/null | sort -u)
  for sp in "${sps[@]}"; do
    if [ -z "$plugin" ]; then
      for f in $(ls -d "$sp"/jax_plugins/xla_cuda*/xla_cuda_plugin.so 2>/dev/null | sort -r); do
        plugin=$f plugin_from="JAX wheel in $sp"
        [ -d "$sp/nvidia" ] && nvidia=$sp/nvidia
        break
      done
    fi
    [ -n "$plugin" ] && [ -z "$nvidia" ] && [ -d "$sp/nvidia" ] && nvidia=$sp/nvidia
  done
  [ -n "$plugin" ]
}

# arrange: a folder laid out as go-xla's installer lays it out,
#   pjrt/nvidia/pjrt_c_api_cuda_plugin.so -> the plugin
#   pjrt/nvidia/<each NVIDIA wheel folder> -> the wheel's folder
#   pjrt/nvidia/bin/{ptxas,nvlink,...} -> the CUDA compiler tools
#   pjrt/nvidia/nvvm -> the wheel's nvvm/ (libdevice)
#   nvidia -> pjrt/nvidia
# so that go-xla finds the plugin by name in PJRT_PLUGIN_LIBRARY_PATH, finds
# the libraries in ../nvidia relative to the plugin's folder (and passes it
# to XLA as --xla_gpu_cuda_data_dir, where XLA expects a CUDA root: bin/ptxas,
# nvvm/libdevice), and the wheels are also where JAX's own layout puts them,
# ../../nvidia. The libraries' folders also go on LD_LIBRARY_PATH, for the
# plugin's own dependencies whatever its RPATH says.
arrange() {
  local link=$work/pjrt/nvidia e t libs="" bins=""
  rm -rf "$work/pjrt" "$work/nvidia"
  mkdir -p "$link/bin"
  ln -s pjrt/nvidia "$work/nvidia"
  ln -s "$plugin" "$link/pjrt_c_api_cuda_plugin.so"
  if [ -n "$nvidia" ]; then
    for e in "$nvidia"/*; do
      [ "$(basename "$e")" = bin ] || [ -e "$link/$(basename "$e")" ] || ln -s "$e" "$link/$(basename "$e")"
    done
    for e in "$nvidia"/*/nvvm; do
      [ -d "$e" ] && [ ! -e "$link/nvvm" ] && ln -s "$e" "$link/nvvm"
    done
    for t in ptxas nvlink fatbinary; do
      for e in "$nvidia"/bin/$t "$nvidia"/*/bin/$t; do
        [ -x "$e" ] && { ln -sf "$e" "$link/bin/$t"; bins="$bins $e"; break; }
      done
    done
    libs=$(find -L "$nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort | paste -sd:)
  fi
  export PJRT_PLUGIN_LIBRARY_PATH=$link
  [ -n "$libs" ] && export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PATH="$link/bin:$PATH"
  {
    echo "plugin: $plugin ($plugin_from)"
    echo "plugin file: $(readlink -f "$plugin"), $(stat -L -c %s "$plugin") bytes"
    echo "nvidia libraries: ${nvidia:-not found}"
    echo "compiler tools:${bins:- none found}"
    echo "PJRT_PLUGIN_LIBRARY_PATH=$PJRT_PLUGIN_LIBRARY_PATH"
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
    echo "link folder:"
    ls -l "$link" "$link/bin"
    if command -v ldd >/dev/null; then
      echo "unresolved dependencies of the plugin (ldd):"
      ldd "$link/pjrt_c_api_cuda_plugin.so" 2>&1 | grep -i 'not found' || echo "  none"
    fi
  } >"$logs/plugin.log" 2>&1
  sed 's/^/    /' "$logs/plugin.log" | tee -a "$main"
}

s=$SECONDS
if find_plugin; then
  arrange
  record plugin PASS "$((SECONDS - s))s: $plugin (${nvidia:-no nvidia/ folder})"
elif [ $dry = 1 ]; then
  record plugin SKIP "no CUDA PJRT plugin found (not needed for the dry run)"
else
  record plugin FAIL "no CUDA PJRT plugin found: install one with go-xla's installer or pip install jax[cuda13], or set STCNN_PJRT_PLUGIN"
  finish
fi

# --- 3. backend ------------------------------------------------------------
# The check runs with GOMLX_BACKEND unset on the GPU, so that the automatic
# choice is what is checked; the later stages name XLA CUDA explicitly.
if [ $dry = 1 ]; then
  want_backend=go
  export GOMLX_BACKEND=go
else
  want_backend=xla:cuda
  unset GOMLX_BACKEND
fi
run_stage backend "$(cap_of 1 9)" "$logs/backend.log" "$root/gomlx_backend" \
  env STCNN_WANT_BACKEND=$want_backend "$bin/gomlx_backend.test" -test.run '^TestDefaultBackendRuns$' -test.v
choice=$(grep -m1 'backend=' "$logs/backend.log" | sed 's/.*backend=/backend=/')
say "backend choice: ${choice:-none printed}"
if [ $rc = 0 ] && grep -q -- '--- PASS: TestDefaultBackendRuns' "$logs/backend.log"; then
  record backend PASS "${secs}s: $want_backend"
else
  tail -n 30 "$logs/backend.log" | sed 's/^/    /' | tee -a "$main"
  [ $rc = 124 ] && st=TIMEOUT || st=FAIL
  record backend $st "${secs}s: the backend is not $want_backend or cannot run a graph (rc $rc)"
  finish
fi
if [ $dry = 0 ]; then
  export GOMLX_BACKEND=xla:cuda,tf32=false
  [ $tf32 = 1 ] && export GOMLX_BACKEND=xla:cuda
  say "stages from here run with GOMLX_BACKEND=$GOMLX_BACKEND"
fi

# --- 4. tests --------------------------------------------------------------
# Dry run: a few quick tests per package, each executing graphs.
declare -A quick=(
  [stcnn]='^(TestSoftThresholdAndReLU|TestPatchesMatchConvolution|TestGradientsMatchFiniteDifferences)$'
  [training]='^(TestConfigValidateAndJSON|TestNaNStopsWithStepAndVariable)$'
  [certify]='^(TestProjectLens|TestMinCombination|TestKFACInverse)$'
)
declare -A share=([stcnn]=6 [training]=9 [certify]=9)
if want tests; then
  for pkg in stcnn stcnn/training stcnn/certify; do
    name=$(basename "$pkg")
    cap=$(cap_of 1 "${share[$name]}")
    if [ "$cap" -lt 10 ]; then
      record "test $pkg" SKIP "no time left"
      continue
    fi
    pattern=${STCNN_GPU_TEST_RUN:-.}
    [ $dry = 1 ] && pattern=${STCNN_GPU_TEST_RUN:-${quick[$name]}}
    run_stage "test $pkg" "$cap" "$logs/test_$name.log" "$root/$pkg" \
      "$bin/$name.test" -test.v -test.run "$pattern" -test.timeout "$((cap > 15 ? cap - 5 : cap))s"
    npass=$(grep -c -- '^--- PASS' "$logs/test_$name.log")
    nfail=$(grep -c -- '^--- FAIL' "$logs/test_$name.log")
    grep -- '^--- FAIL' "$logs/test_$name.log" | sed 's/^/    /' | tee -a "$main"
    if [ $rc = 0 ]; then
      record "test $pkg" PASS "${secs}s: $npass passed"
    else
      tail -n 40 "$logs/test_$name.log" | sed 's/^/    /' >>"$main"
      [ $rc = 124 ] && st=TIMEOUT || st=FAIL
      record "test $pkg" $st "${secs}s: $npass passed, $nfail failed (rc $rc; see logs/test_$name.log)"
    fi
  done
fi

# --- 5. benchmarks ---------------------------------------------------------
# bench NAME PATTERN BENCHTIME COUNT SHARE
bench() {
  local cap
  cap=$(cap_of 1 "$5")
  if [ "$cap" -lt 10 ]; then
    record "$1" SKIP "no time left"
    return
  fi
  run_stage "$1" "$cap" "$logs/$1.log" "$root/stcnn" \
    "$bin/stcnn.test" -test.run '^$' -test.bench "$2" -test.benchtime "$3" -test.count "$4" -test.benchmem=false
  grep '^Benchmark' "$logs/$1.log" | sed 's/^/    /' | tee -a "$main"
  if [ $rc = 0 ] && grep -q '^Benchmark' "$logs/$1.log"; then
    record "$1" PASS "${secs}s: $(grep '^Benchmark' "$logs/$1.log" | awk '{printf "%s %.3f s/op; ", $1, $3 / 1e9}')"
  else
    tail -n 20 "$logs/$1.log" | sed 's/^/    /' >>"$main"
    [ $rc = 124 ] && st=TIMEOUT || st=FAIL
    record "$1" $st "${secs}s (rc $rc)"
  fi
}
if want bench; then
  if [ $dry = 1 ]; then
    bench bench_p512_k512 'Step(P512|K512)$' 1x 1 4
    record bench_p8000 SKIP "dry run (a P = 8000 step takes 20 s and 1.5 GB on the CPU)"
  else
    bench bench_p512_k512 'Step(P512|K512)$' 5x 2 12
    bench bench_p8000 'StepP8000$' 2x 1 18
  fi
fi

# --- 6. figures ------------------------------------------------------------
if want figures; then
  for fig in ${figures//,/ }; do
    l=$(left)
    if [ "$l" -lt "$fig_min" ]; then
      record "figure $fig" SKIP "not started: ${l}s left"
      continue
    fi
    run_stage "figure $fig" "$l" "$logs/figure_$fig.log" "$root" \
      "$bin/reproduce" -figure "$fig" -scale "$scale" -keep-runs -out "$work/figures" -results "$work/figures/results_$fig.md"
    line=$(grep -m1 "^figure $fig done" "$logs/figure_$fig.log" | cut -c1-400)
    if [ $rc = 0 ]; then
      record "figure $fig" PASS "${secs}s: ${line:-done}"
    elif [ $rc = 124 ]; then
      record "figure $fig" CUT "${secs}s: stopped at the end of the budget"
    else
      tail -n 20 "$logs/figure_$fig.log" | sed 's/^/    /' >>"$main"
      record "figure $fig" FAIL "${secs}s (rc $rc; see logs/figure_$fig.log)"
    fi
  done
fi

# --- 7. run archive --------------------------------------------------------
# The finished runs, with the revision and backend that trained them, for
# reproductions/paper/runs (unfinished runs are listed and left out).
if want figures && [ -d "$work/figures/runs" ]; then
  run_stage archive 60 "$logs/archive.log" "$root" \
    "$bin/reproduce" -archive-runs "$work/figures/runs" -archive "$work/runs"
  if [ $rc = 0 ]; then
    record archive PASS "$(tail -n 1 "$logs/archive.log")"
  else
    tail -n 20 "$logs/archive.log" | sed 's/^/    /' >>"$main"
    record archive FAIL "${secs}s (rc $rc; see logs/archive.log)"
  fi
fi

finish
