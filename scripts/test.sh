#!/usr/bin/env bash
# The project's test command (README.md): vet, unit tests of every package,
# and a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
# The Go backend's AVX2/AVX-512 matrix kernels (Go 1.26 experiment); the
# code is also correct without it, only slower.
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 30m ./...

echo "== fuzz (10 s per target)"
for target in FuzzParseIDXImages FuzzParseIDXLabels FuzzParseCIFAR10; do
  go test -run='^$' -fuzz="^${target}\$" -fuzztime=10s ./datasets
done
echo "== all tests passed"
