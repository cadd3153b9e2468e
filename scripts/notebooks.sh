#!/usr/bin/env bash
# Executes every GoNB notebook in notebooks/ headless, checks its outputs and
# exports it, printing the time each notebook took:
#
#   scripts/notebooks.sh                 # every notebooks/*.ipynb
#   scripts/notebooks.sh 00_tour 04_mnist_gap   # some of them
#   scripts/notebooks.sh --commit-outputs [NAME...]   # and write the outputs back
#
# --commit-outputs executes at the quick scale (an error with any other
# STCNN_NOTEBOOK_SCALE) and writes every notebook that passed back into
# notebooks/ with its outputs (figures inline as PNG, tables, printed
# numbers), recording in the notebook's metadata ("stcnn_outputs") the scale,
# the date and the SHA-256 of each code cell's source as executed;
# notebooks/outputs_test.go fails when a committed notebook's code cell no
# longer matches its record, lacks its outputs or holds an error. In the
# written outputs the repository's absolute path reads "<repository>".
#
# Each notebook runs in place (GoNB's first cell builds against the checkout
# at ${GONB_DIR}/..), while the executed copy (.ipynb), its HTML export and
# the kernel's log go to build/notebooks/ ($STCNN_NOTEBOOK_BUILD overrides
# it); the figures and training runs the notebooks write go to
# build/notebooks/out/<scale>/. The notebooks in the repository are never
# modified (except with --commit-outputs).
#
# Size: STCNN_NOTEBOOK_SCALE=tiny|quick|paper overrides each notebook's size
# switch (quick by default); the Go test notebooks/notebooks_test.go runs this
# script with tiny, as CI does. STCNN_NOTEBOOK_CELL_TIMEOUT is the limit per
# cell in seconds (default: 300 at tiny, 3600 at quick, none at paper).
#
# A notebook fails when nbconvert fails (a cell timed out, the kernel died)
# or when any cell output is an error or a stream on stderr reporting
# "exit status N": nbconvert itself does not fail when a `!cmd` line fails,
# and with --allow-errors (used so that the executed copy shows every
# failure) neither on compile errors or panics. Needs the tools of
# scripts/install-notebook-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
export PATH="/usr/local/go/bin:$PATH"
# Go 1.27.3, which go.mod needs: the go command fetches that toolchain from
# the module proxy on first use (a machine's own Go may be older and pinned
# with GOTOOLCHAIN=local in its go.env).
export GOTOOLCHAIN=go1.27.3
# Where scripts/install-notebook-tools.sh put gonb and goimports.
GOBIN_DIR="$(go env GOBIN)"
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"

JUPYTER=/usr/bin/jupyter
fail_tools() {
  echo "notebooks.sh: $1 is missing: run scripts/install-notebook-tools.sh" >&2
  exit 3
}
[ -x "$JUPYTER" ] && [ -x /usr/bin/jupyter-nbconvert ] || fail_tools "Jupyter's nbconvert (/usr/bin/jupyter-nbconvert)"
command -v gonb >/dev/null || fail_tools "the GoNB kernel (gonb on PATH)"
command -v goimports >/dev/null || fail_tools "goimports (on PATH)"
# The kernel list is read whole before matching (a `grep -q` that closes
# the pipe early must not fail the check under pipefail); a failed listing
# is printed and tried once more, since CI has seen one fail right after the
# browser check's server stopped.
list_kernels() { "$JUPYTER" kernelspec list 2>&1; }
if ! kernels="$(list_kernels)" || ! grep -qw gonb <<<"$kernels"; then
  echo "notebooks.sh: jupyter kernelspec list failed or lacks gonb; it printed:" >&2
  echo "$kernels" >&2
  sleep 2
  kernels="$(list_kernels)" || fail_tools "a working Jupyter (jupyter kernelspec list failed twice)"
  grep -qw gonb <<<"$kernels" || { echo "$kernels" >&2; fail_tools "the GoNB kernel spec (gonb --install)"; }
fi

COMMIT_OUTPUTS=0
if [ "${1:-}" = --commit-outputs ]; then
  COMMIT_OUTPUTS=1
  shift
  if [ -n "${STCNN_NOTEBOOK_SCALE:-}" ] && [ "$STCNN_NOTEBOOK_SCALE" != quick ]; then
    echo "notebooks.sh: --commit-outputs commits quick-scale outputs; unset STCNN_NOTEBOOK_SCALE (it is $STCNN_NOTEBOOK_SCALE)" >&2
    exit 2
  fi
  export STCNN_NOTEBOOK_SCALE=quick
fi

BUILD="${STCNN_NOTEBOOK_BUILD:-$ROOT/build/notebooks}"
mkdir -p "$BUILD"
export STCNN_NOTEBOOK_OUT="${STCNN_NOTEBOOK_OUT:-$BUILD/out}"
SCALE="${STCNN_NOTEBOOK_SCALE:-}"
case "${SCALE:-quick}" in
  tiny) default_timeout=300 ;;
  quick) default_timeout=3600 ;;
  paper) default_timeout=-1 ;;
  *) echo "notebooks.sh: STCNN_NOTEBOOK_SCALE=$SCALE: want tiny, quick or paper" >&2; exit 2 ;;
esac
TIMEOUT="${STCNN_NOTEBOOK_CELL_TIMEOUT:-$default_timeout}"

if [ $# -gt 0 ]; then
  notebooks=()
  for n in "$@"; do notebooks+=("notebooks/${n%.ipynb}.ipynb"); done
else
  notebooks=(notebooks/*.ipynb)
fi

# The HTML exports typeset their math with the MathJax of Debian's
# libjs-mathjax (scripts/install-notebook-tools.sh), never a CDN: the pages
# render offline. notebooks/browser_test.go uses the same URL.
MATHJAX_JS=/usr/share/javascript/mathjax/MathJax.js
MATHJAX_FLAGS=()
if [ -f "$MATHJAX_JS" ]; then
  MATHJAX_FLAGS=("--HTMLExporter.mathjax_url=file://$MATHJAX_JS?config=TeX-AMS_CHTML-full,Safe")
else
  echo "notebooks.sh: warning: $MATHJAX_JS is missing (package libjs-mathjax): the HTML exports load MathJax from a CDN" >&2
fi

# seconds_since T0: seconds since T0 (date +%s%N), with one decimal.
seconds_since() {
  local ds=$(( ($(date +%s%N) - $1) / 100000000 ))
  echo "$((ds / 10)).$((ds % 10))"
}

# check_outputs NOTEBOOK: prints every failed cell of an executed notebook
# and exits non-zero if there is one.
check_outputs() {
  /usr/bin/python3 - "$1" <<'EOF'
import json, re, sys
path = sys.argv[1]
nb = json.load(open(path))
failed = 0
for i, cell in enumerate(nb["cells"]):
    if cell.get("cell_type") != "code":
        continue
    src = "".join(cell.get("source", []))
    head = src.strip().splitlines()[0][:70] if src.strip() else ""
    problems = []
    if src.strip() and cell.get("execution_count") is None:
        problems.append("the cell was not executed")
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "error":
            text = out.get("evalue", "") + "\n" + "\n".join(out.get("traceback", []))
            problems.append("error output: " + out.get("ename", "") + ": " + text)
        elif kind == "stream" and out.get("name") == "stderr":
            text = "".join(out.get("text", ""))
            if re.search(r"(?m)^exit status \d+", text) or "panic:" in text:
                problems.append("stderr: " + text)
    if problems:
        failed += 1
        print(f"FAILED cell {i} ({head!r}) of {path}:")
        for p in problems:
            print("  " + re.sub(r"\x1b\[[0-9;]*m", "", p).strip().replace("\n", "\n  ")[:6000])
sys.exit(1 if failed else 0)
EOF
}

# commit_outputs EXECUTED SOURCE: writes the executed notebook over its
# source in notebooks/, with the record of the code cells it ran.
commit_outputs() {
  /usr/bin/python3 - "$1" "$2" "$ROOT" <<'EOF'
import datetime, hashlib, json, os, sys
executed, source, root = sys.argv[1:]
nb = json.load(open(executed))
src = json.load(open(source))
code = lambda n: ["".join(c.get("source", [])) for c in n["cells"] if c.get("cell_type") == "code"]
if code(nb) != code(src):
    sys.exit(f"{source} changed while it ran: its outputs are not written back")
def clean(text):
    return text.replace(root + "/", "<repository>/").replace(root, "<repository>")
for cell in nb["cells"]:
    cell.get("metadata", {}).pop("execution", None)  # nbconvert's timestamps
    for out in cell.get("outputs", []):
        if "text" in out:
            out["text"] = clean("".join(out["text"]))
        data = out.get("data", {})
        for mime in ("text/plain", "text/html", "text/markdown"):
            if mime in data:
                data[mime] = clean("".join(data[mime]))
nb["metadata"]["stcnn_outputs"] = {
    "scale": "quick",
    "date": datetime.date.today().isoformat(),
    "made_by": "scripts/notebooks.sh --commit-outputs",
    "code_cell_sha256": [hashlib.sha256(s.encode()).hexdigest() for s in code(nb)],
}
tmp = source + ".tmp"
with open(tmp, "w") as f:
    json.dump(nb, f, indent=1, ensure_ascii=False, sort_keys=True)
    f.write("\n")
os.replace(tmp, source)
print(f"outputs written into {source}")
EOF
}

echo "== executing ${#notebooks[@]} notebook(s) at scale ${SCALE:-quick}, cell timeout ${TIMEOUT}s, into $BUILD"
status=0
summary=()
total_start=$(date +%s%N)
for nb in "${notebooks[@]}"; do
  name="$(basename "$nb" .ipynb)"
  [ -f "$nb" ] || { echo "notebooks.sh: no notebook $nb" >&2; status=1; summary+=("$(printf '%-32s missing' "$name")"); continue; }
  log="$BUILD/$name.log"
  echo "== $name"
  start=$(date +%s%N)
  result=ok
  if ! "$JUPYTER" nbconvert --to notebook --execute --allow-errors \
      --ExecutePreprocessor.timeout="$TIMEOUT" --ExecutePreprocessor.kernel_name=gonb \
      --output-dir "$BUILD" --output "$name" "$nb" >"$log" 2>&1; then
    result="FAILED (nbconvert)"
    echo "nbconvert failed on $nb; last lines of $log:"
    tail -n 40 "$log"
  elif ! check_outputs "$BUILD/$name.ipynb"; then
    result="FAILED (cell errors)"
  fi
  if [ -f "$BUILD/$name.ipynb" ]; then
    "$JUPYTER" nbconvert --to html "${MATHJAX_FLAGS[@]}" --output-dir "$BUILD" "$BUILD/$name.ipynb" >>"$log" 2>&1 ||
      echo "warning: HTML export of $name failed (see $log)"
  fi
  line="$(printf '%-32s %7s s  %s' "$name" "$(seconds_since "$start")" "$result")"
  echo "$line"
  summary+=("$line")
  [ "$result" = ok ] || status=1
  if [ "$result" = ok ] && [ $COMMIT_OUTPUTS = 1 ]; then
    commit_outputs "$BUILD/$name.ipynb" "$nb" || status=1
  fi
done
echo "== notebook times (scale ${SCALE:-quick}):"
printf '%s\n' "${summary[@]}"
printf '%-32s %7s s\n' "total" "$(seconds_since "$total_start")"
if [ $status -ne 0 ]; then
  echo "== notebooks FAILED (executed copies and logs in $BUILD)"
else
  echo "== all notebooks passed (executed copies and HTML in $BUILD)"
fi
exit $status
