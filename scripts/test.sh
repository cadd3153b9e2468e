#!/usr/bin/env bash
# The project's test command (README.md): installs the notebook tools if
# missing (idempotent: seconds when present), then vet, the unit tests of
# every package (the notebooks run headless from notebooks/notebooks_test.go),
# a short run of each fuzz target, and every figure at the quick scale.
set -euo pipefail
cd "$(dirname "$0")/.."
# Go 1.27.3, which go.mod needs: the go command fetches that toolchain from
# the module proxy on first use (a machine's own Go may be older and pinned
# with GOTOOLCHAIN=local in its go.env).
export GOTOOLCHAIN=go1.27.3
export PATH="/usr/local/go/bin:$(go env GOPATH)/bin:$PATH"
# The Go backend's AVX2/AVX-512 matrix kernels (a Go experiment); the
# code is also correct without it, only slower.
export GOEXPERIMENT="${GOEXPERIMENT:-simd}"
start=$SECONDS

echo "== notebook tools (Jupyter nbconvert, GoNB, goimports)"
./scripts/install-notebook-tools.sh

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 40m ./...

echo "== fuzz (10 s per target)"
for pkg_target in \
  datasets:FuzzParseIDXImages datasets:FuzzParseIDXLabels datasets:FuzzParseCIFAR10 \
  datasets:FuzzLoadCIFAR10Batch datasets:FuzzReadIDXFile \
  stcnn/training:FuzzLoadConfig stcnn/training:FuzzReadRunState; do
  go test -run='^$' -fuzz="^${pkg_target#*:}\$" -fuzztime=10s "./${pkg_target%%:*}"
done

echo "== every figure at the quick scale"
go run ./reproductions/cmd/reproduce -figure all -scale quick -certify -out build/quick -results build/quick/RESULTS.md

echo "== all tests passed in $((SECONDS - start)) s"
