#!/usr/bin/env bash
# Installs what scripts/notebooks.sh needs to execute the GoNB notebooks
# headless, idempotently (a second run changes nothing and takes seconds):
#
#   1. Jupyter's headless runner from Debian/Ubuntu packages:
#      jupyter-nbconvert (nbconvert, nbclient, ipykernel machinery) and
#      jupyter-client (`jupyter kernelspec`). Use /usr/bin/jupyter: another
#      python3 earlier on PATH may lack nbconvert.
#      For the browser check (notebooks/browser_test.go): chromium (headless),
#      the classic notebook server jupyter-notebook (6.4 on Debian 12) and
#      libjs-mathjax (MathJax served locally, for the server and the HTML
#      exports); the Dockerfile does not need these (JupyterLab from pip).
#   2. GoNB (the Go kernel) and goimports, built from the pinned tools module
#      tools/go.mod (`go install github.com/janpfeifer/gonb@vX` does not work
#      offline: its deprecation check asks the module proxy for a version
#      list). gopls (code completion in the browser, not needed headless)
#      takes minutes to build on 2 cores, so it is built only when
#      STCNN_INSTALL_GOPLS=1 (the Docker image sets it).
#   3. The kernel spec: `gonb --install --force_deps --raw_error` (under
#      $JUPYTER_DATA_DIR, default ~/.local/share/jupyter/kernels/gonb), with
#      GOTOOLCHAIN=go1.27.3 and GOEXPERIMENT (default simd) added to the
#      spec's "env": the kernel runs `go` itself for every cell, also when
#      Jupyter is started without this script's environment (gonb --install
#      has no flag for it).
#
# Binaries go to $GOBIN, default $(go env GOPATH)/bin (~/go/bin), which must
# be on PATH when the notebooks run (scripts/notebooks.sh adds it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
# Go 1.27.3, which go.mod needs: the go command fetches that toolchain from
# the module proxy on first use (a machine's own Go may be older and pinned
# with GOTOOLCHAIN=local in its go.env).
export GOTOOLCHAIN=go1.27.3
command -v go >/dev/null || { echo "install-notebook-tools: Go is not installed (any Go from 1.21 on: it fetches Go 1.27.3 itself)" >&2; exit 1; }
GOBIN="${GOBIN:-$(go env GOPATH)/bin}"
export GOBIN PATH="$GOBIN:$PATH"

# The Debian/Ubuntu packages that provide the headless notebook runner
# (the Dockerfile installs exactly these too; notebooks/dockerfile_test.go checks it).
APT_PACKAGES=(jupyter-nbconvert jupyter-client)

# What the browser check needs besides (not in the Dockerfile).
BROWSER_PACKAGES=(chromium jupyter-notebook libjs-mathjax)

# apt_missing PACKAGE...: prints the packages that are not installed.
apt_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}
echo "== jupyter and the browser check (${APT_PACKAGES[*]} ${BROWSER_PACKAGES[*]})"
mapfile -t missing < <(apt_missing "${APT_PACKAGES[@]}" "${BROWSER_PACKAGES[@]}")
if [ ${#missing[@]} -eq 0 ]; then
  echo "already installed: $(/usr/bin/jupyter-nbconvert --version 2>/dev/null | tail -1), $(/usr/bin/chromium --version 2>/dev/null)"
else
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

echo "== gonb and goimports (tools/go.mod)"
(cd tools && go install github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports)
if [ "${STCNN_INSTALL_GOPLS:-0}" = 1 ]; then
  echo "== gopls (tools/go.mod)"
  (cd tools && go install golang.org/x/tools/gopls)
fi
echo "gonb $("$GOBIN/gonb" -V 2>/dev/null || true) in $GOBIN"

echo "== GoNB kernel spec"
# --force_deps: gopls is optional when notebooks run headless.
# --raw_error: compiler errors as plain text (readable in CI logs and in the
# executed notebooks); STCNN_GONB_RAW_ERROR=0 keeps GoNB's HTML errors (Docker).
GONB_FLAGS=(--install --force_deps)
if [ "${STCNN_GONB_RAW_ERROR:-1}" = 1 ]; then GONB_FLAGS+=(--raw_error); fi
"$GOBIN/gonb" "${GONB_FLAGS[@]}"
spec="$(/usr/bin/jupyter kernelspec list --json | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["kernelspecs"]["gonb"]["resource_dir"])')/kernel.json"
/usr/bin/python3 - "$spec" "$GOTOOLCHAIN" "${GOEXPERIMENT:-simd}" <<'EOF'
import json, os, sys
path, toolchain, experiment = sys.argv[1:]
spec = json.load(open(path))
spec.setdefault("env", {}).update(GOTOOLCHAIN=toolchain, GOEXPERIMENT=experiment)
with open(path + ".tmp", "w") as f:
    json.dump(spec, f, indent=1)
os.replace(path + ".tmp", path)
EOF
echo "kernel env: $(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["env"])' "$spec")"
/usr/bin/jupyter kernelspec list
