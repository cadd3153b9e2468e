package notebooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// No Docker engine runs where the tests run, so the Dockerfile is checked by
// reading it: every COPY source exists, every package of the module is
// copied, and the notebook tools are installed by the script CI and the
// README use, with the packages and versions that script and tools/go.mod
// name.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Line int
	Cmd  string // upper case: FROM, RUN, COPY, ...
	Args string
}

// parseDockerfile splits a Dockerfile into instructions (no heredocs).
func parseDockerfile(text string) []instruction {
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSpace(strings.TrimSuffix(trimmed, `\`)) + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// copySources returns the source paths of a COPY or ADD instruction (none for
// --from copies, which read another stage or image).
func copySources(args string) []string {
	var fields []string
	if strings.HasPrefix(args, "[") {
		_ = json.Unmarshal([]byte(args), &fields)
	} else {
		fields = strings.Fields(args)
	}
	var paths []string
	for _, f := range fields {
		if strings.HasPrefix(f, "--from") {
			return nil
		}
		if !strings.HasPrefix(f, "--") {
			paths = append(paths, f)
		}
	}
	if len(paths) < 2 {
		return nil
	}
	return paths[:len(paths)-1]
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseDockerfile(t *testing.T) {
	ins := parseDockerfile("# c\nFROM a AS b\n\nRUN x \\\n  && y\ncopy --chown=u a b/ c\nCOPY [\"p q\", \"r\"]\nCOPY --from=b /x /y\n")
	want := []instruction{{2, "FROM", "a AS b"}, {4, "RUN", "x && y"}, {6, "COPY", "--chown=u a b/ c"},
		{7, "COPY", `["p q", "r"]`}, {8, "COPY", "--from=b /x /y"}}
	if !slices.Equal(ins, want) {
		t.Fatalf("got %+v\nwant %+v", ins, want)
	}
	for i, w := range [][]string{nil, nil, {"a", "b/"}, {"p q"}, nil} {
		if got := copySources(ins[i].Args); (ins[i].Cmd == "COPY") && !slices.Equal(got, w) {
			t.Errorf("sources of %q: %q, want %q", ins[i].Args, got, w)
		}
	}
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(readRepoFile(t, "Dockerfile"))
	script := readRepoFile(t, filepath.Join("scripts", "install-notebook-tools.sh"))

	// Every COPY source exists; collect what is copied.
	copied := map[string]bool{}
	for _, in := range ins {
		if in.Cmd != "COPY" && in.Cmd != "ADD" {
			continue
		}
		for _, src := range copySources(in.Args) {
			matches, err := filepath.Glob(filepath.Join("..", src))
			if err != nil || len(matches) == 0 {
				t.Errorf("Dockerfile line %d: COPY source %q does not exist in the repository", in.Line, src)
			}
			copied[filepath.Clean(src)] = true
		}
	}
	// Every top-level folder holding Go code, and the module files, is copied.
	if !copied["."] {
		entries, err := os.ReadDir("..")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || name == "build" || name == "out" {
				continue
			}
			need := name == "go.mod" || name == "go.sum" || strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
			if e.IsDir() {
				need = hasGoFiles(t, filepath.Join("..", name))
			}
			if need && !copied[name] {
				t.Errorf("Dockerfile: %s is not copied into the image (add a COPY line)", name)
			}
		}
	}

	var runs []instruction
	for _, in := range ins {
		if in.Cmd == "RUN" {
			runs = append(runs, in)
		}
	}
	anyRun := func(re string) bool {
		r := regexp.MustCompile(re)
		return slices.ContainsFunc(runs, func(in instruction) bool { return r.MatchString(in.Args) })
	}
	// The notebook tools come from the script, not from commands of the Dockerfile's own.
	if !anyRun(`(^|[\s;&])(\./)?scripts/install-notebook-tools\.sh\b`) {
		t.Error("Dockerfile: no RUN of scripts/install-notebook-tools.sh")
	}
	for _, bad := range []string{`go install [^;&]*github\.com/janpfeifer/gonb`, `gonb\s+(-\S+\s+)*--?install`,
		`go install [^;&]*golang\.org/x/tools`} {
		if anyRun(bad) {
			t.Errorf("Dockerfile: a RUN matches %q: install the notebook tools with scripts/install-notebook-tools.sh", bad)
		}
	}
	// The apt packages the script names are installed by the Dockerfile too
	// (as root, before the script runs as the notebook user).
	m := regexp.MustCompile(`(?m)^APT_PACKAGES=\(([^)]*)\)`).FindStringSubmatch(script)
	if m == nil {
		t.Fatal("scripts/install-notebook-tools.sh: no APT_PACKAGES=(...) line")
	}
	for _, pkg := range strings.Fields(m[1]) {
		if !anyRun(`apt-get install[^;&]*\s` + regexp.QuoteMeta(pkg) + `(\s|$)`) {
			t.Errorf("Dockerfile: no apt-get install of %s (APT_PACKAGES of scripts/install-notebook-tools.sh)", pkg)
		}
	}
	if !strings.Contains(script, "apt-get install -y --no-install-recommends") {
		t.Error("scripts/install-notebook-tools.sh: no `apt-get install -y --no-install-recommends`")
	}
	// The script builds GoNB and goimports from the tools module and registers the kernel.
	for _, want := range []string{"(cd tools && go install github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports)",
		`"$GOBIN/gonb" "${GONB_FLAGS[@]}"`, "GONB_FLAGS=(--install"} {
		if !strings.Contains(script, want) {
			t.Errorf("scripts/install-notebook-tools.sh does not contain %q", want)
		}
	}
	// The GoNB kernel is the version of gonbui the notebooks import.
	toolsMod := readRepoFile(t, filepath.Join("tools", "go.mod"))
	mainMod := readRepoFile(t, "go.mod")
	if !regexp.MustCompile(`(?m)^\s*(tool\s+)?github\.com/janpfeifer/gonb\s*$`).MatchString(toolsMod) {
		t.Error("tools/go.mod: no tool github.com/janpfeifer/gonb")
	}
	vTools, vMain := moduleVersion(toolsMod, "github.com/janpfeifer/gonb"), moduleVersion(mainMod, "github.com/janpfeifer/gonb")
	if vTools == "" || vTools != vMain {
		t.Errorf("GoNB %q in tools/go.mod, %q in go.mod: the kernel and the gonbui the notebooks import must match", vTools, vMain)
	}
	// Jupyter listens on the exposed port, with the backend set.
	var exposed, cmd, env string
	for _, in := range ins {
		switch in.Cmd {
		case "EXPOSE":
			exposed = in.Args
		case "CMD":
			cmd = in.Args
		case "ENV":
			env += in.Args + " "
		}
	}
	if !strings.HasPrefix(exposed, "8888") || !strings.Contains(cmd, "--port=8888") || !strings.Contains(cmd, "--ip=0.0.0.0") {
		t.Errorf("Dockerfile: EXPOSE %q and CMD %q: Jupyter must listen on 0.0.0.0:8888", exposed, cmd)
	}
	if !strings.Contains(env, "GOMLX_BACKEND=") {
		t.Error("Dockerfile: no ENV GOMLX_BACKEND")
	}
	if !strings.Contains(readRepoFile(t, "Dockerfile"), "docker run --gpus all -p 8888:8888 stcnn") {
		t.Error("Dockerfile: its header does not show the README's docker run command")
	}
}

// TestReadmeNotebooks checks that the README documents the notebook tools,
// the notebook runner and the image with the commands the scripts and the
// Dockerfile use.
func TestReadmeNotebooks(t *testing.T) {
	readme := readRepoFile(t, "README.md")
	for _, want := range []string{"scripts/install-notebook-tools.sh", "scripts/notebooks.sh", "STCNN_SKIP_NOTEBOOKS",
		"docker build -t stcnn .", "docker run --gpus all -p 8888:8888 stcnn"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not document %q", want)
		}
	}
}

// moduleVersion returns the version go.mod requires of a module.
func moduleVersion(gomod, path string) string {
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(path) + `\s+(v\S+)`).FindStringSubmatch(gomod)
	if m == nil {
		return ""
	}
	return m[1]
}

// hasGoFiles reports whether a folder tree holds a non-test .go file.
func hasGoFiles(t *testing.T, dir string) bool {
	found := false
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
