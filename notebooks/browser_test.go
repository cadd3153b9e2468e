//go:build unix

package notebooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	// chromiumPath is Debian's headless-capable browser (package chromium).
	chromiumPath = "/usr/bin/chromium"
	// notebookServer is Debian's classic Jupyter notebook server 6.4
	// (package jupyter-notebook).
	notebookServer = "/usr/bin/jupyter-notebook"
	// browserNotebook is the notebook the browser check runs.
	browserNotebook = "00_tour"
	// browserTimeout bounds the whole browser check (server start, every
	// cell at the tiny scale, export).
	browserTimeout = 12 * time.Minute
	// mathWait is how long MathJax may take to typeset the outputs after
	// the last cell has run.
	mathWait = time.Minute
)

// TestBrowser opens the tour notebook in the classic Jupyter notebook
// server in headless Chromium at the tiny scale, runs all its cells as a
// reader would (Cell > Run All), and checks what the front end shows: every
// figure rendered (image elements of non-zero natural size), no error
// output, the training progress lines, each table rendered once, math
// typeset by the local MathJax (no raw LaTeX). It moves the tour's lambda
// and gate sliders and checks that the regions are redrawn. Then it opens the HTML export
// from the disk and checks its math, figures and tables too. It leaves the executed notebook, its HTML export and a full-page
// PNG screenshot under build/browser/. nbconvert (TestNotebooks) never loads
// a notebook in a browser; this test does. Under CI it fails when Chromium
// or the notebook server is missing; elsewhere it skips.
func TestBrowser(t *testing.T) {
	skip, err := skipDecision(os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	if skip {
		t.Skipf("%s=1: browser check not run", envSkip)
	}
	var missing []string
	for _, f := range []string{chromiumPath, notebookServer, "/usr/bin/jupyter-nbconvert", mathJaxJS} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	missing = append(missing, missingTools(goBin(t))...)
	if len(missing) > 0 {
		msg := fmt.Sprintf("the browser check cannot run, missing: %s; install them with "+
			"scripts/install-notebook-tools.sh (Debian's chromium, jupyter-notebook and libjs-mathjax, GoNB)", strings.Join(missing, ", "))
		if isCI(os.LookupEnv) {
			t.Fatal(msg)
		}
		t.Skip(msg + " (a skip only outside CI)")
	}
	start := time.Now()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(root, "build", "browser")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The notebook runs from a copy directly under build/, so that GoNB's
	// first cell (${GONB_DIR}/..) still points at this checkout while the
	// browser's saves never touch notebooks/.
	src, err := os.ReadFile(browserNotebook + ".ipynb")
	if err != nil {
		t.Fatal(err)
	}
	copyName := "browser_" + browserNotebook + ".ipynb"
	copyPath := filepath.Join(root, "build", copyName)
	if err := os.WriteFile(copyPath, src, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	if dl, ok := t.Deadline(); ok {
		var c2 context.CancelFunc
		ctx, c2 = context.WithDeadline(ctx, dl.Add(-30*time.Second))
		defer c2()
	}
	base, token := startNotebookServer(t, ctx, root, filepath.Join(outDir, "out"))
	t.Logf("notebook server up after %.1fs", time.Since(start).Seconds())

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	url := base + "/notebooks/build/" + copyName + "?token=" + token
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	waitJS(t, bctx, "the notebook and its GoNB kernel to load", 3*time.Minute,
		`typeof Jupyter !== "undefined" && !!Jupyter.notebook && Jupyter.notebook._fully_loaded &&
		 !!Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected() &&
		 Jupyter.notebook.kernel_selector.current_selection === "gonb"`)
	t.Logf("notebook loaded after %.1fs", time.Since(start).Seconds())
	runStart := time.Now()
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[chromedp.Void](`Jupyter.notebook.set_autosave_interval(0); Jupyter.notebook.execute_all_cells(); true`)); err != nil {
		t.Fatalf("Run All: %v", err)
	}
	exerciseSliders(t, bctx)
	status := waitCells(t, bctx, browserTimeout)
	t.Logf("all %d code cells ran in %.1fs", status.Code, time.Since(runStart).Seconds())

	// MathJax typesets new outputs after the cells finish, and under load it
	// lags them: the page is read again until no raw LaTeX is left, for at
	// most mathWait; what is still raw then is reported.
	page := inspectPage(t, bctx)
	for deadline := time.Now().Add(mathWait); page.RawMath > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Second)
		page = inspectPage(t, bctx)
	}
	for _, p := range page.problems(status) {
		t.Error(p)
	}
	shot := filepath.Join(outDir, browserNotebook+".png")
	saveScreenshot(t, bctx, shot)
	exportHTML(t, bctx, copyPath, outDir)
	t.Logf("browser check of %s took %.1fs: %d images, %d tables, %d progress lines, %d typeset formulas; screenshot %s",
		browserNotebook, time.Since(start).Seconds(), page.Images, page.Tables, page.ProgressLines, page.Math, shot)
}

// startNotebookServer starts the classic notebook server on a free
// localhost port with a random token, serving the repository, with the
// notebooks at the tiny scale writing under out; it is stopped (with its
// kernels) when the test ends.
func startNotebookServer(t *testing.T, ctx context.Context, root, out string) (base, token string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	token = strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(os.Getpid())
	args := []string{"--no-browser", "--ip=127.0.0.1", "--port=" + strconv.Itoa(port), "--port-retries=0",
		"--NotebookApp.token=" + token, "--notebook-dir=" + root}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root")
	}
	cmd := exec.Command(notebookServer, args...)
	runtime := t.TempDir()
	cmd.Env = append(os.Environ(), "STCNN_NOTEBOOK_SCALE=tiny", EnvNotebookOut+"="+out,
		"JUPYTER_RUNTIME_DIR="+runtime, "PATH="+goBin(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
	log, err := os.Create(filepath.Join(root, "build", "browser", "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: on cleanup the server, its kernels and their
	// cell programs all go.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", notebookServer, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) // the server shuts its kernels down
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		log.Close()
	})
	base = "http://127.0.0.1:" + strconv.Itoa(port)
	for {
		select {
		case err := <-done:
			t.Fatalf("%s exited before answering: %v (log: build/browser/server.log)", notebookServer, err)
		case <-ctx.Done():
			t.Fatalf("%s did not answer on %s: %v (log: build/browser/server.log)", notebookServer, base, ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
		resp, err := http.Get(base + "/api/status?token=" + token)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, token
			}
		}
	}
}

// EnvNotebookOut is nbutil.EnvOut, repeated here so that the test does not
// depend on the notebooks' display package.
const EnvNotebookOut = "STCNN_NOTEBOOK_OUT"

// waitJS polls a JavaScript condition until it holds.
func waitJS(t *testing.T, ctx context.Context, what string, limit time.Duration, cond string) {
	deadline := time.Now().Add(limit)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("waited %v for %s (last error: %v)", limit, what, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// cellStatus is what the front end says about the code cells' execution.
type cellStatus struct {
	Code, Done, Running int
	Idle                bool
	Errors              int
}

const cellStatusJS = `(() => {
	const cells = Jupyter.notebook.get_cells().filter(c => c.cell_type === "code" && c.get_text().trim() !== "");
	return {
		Code: cells.length,
		Done: cells.filter(c => typeof c.input_prompt_number === "number").length,
		Running: cells.filter(c => c.input_prompt_number === "*").length,
		Idle: !Jupyter.notebook.kernel_busy && document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null,
		Errors: document.querySelectorAll("#notebook .output_error").length,
	};
})()`

// waitCells waits until the kernel is idle with no cell queued, or a cell
// shows an error (the kernel then drops the cells queued after it).
func waitCells(t *testing.T, ctx context.Context, limit time.Duration) cellStatus {
	deadline := time.Now().Add(limit)
	idle := 0
	for {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[cellStatus](cellStatusJS))
		if err != nil {
			t.Fatalf("reading the cells' state: %v", err)
		}
		if s.Running == 0 && s.Idle {
			idle++
		} else {
			idle = 0
		}
		if idle >= 3 || s.Errors > 0 {
			return s
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("cells still running after %v: %+v", limit, s)
		}
		time.Sleep(time.Second)
	}
}

// pageReport is what the rendered notebook shows.
type pageReport struct {
	Images, BrokenImages, ImageOutputs int
	ProgressLines, ProgressBars        int
	Math, RawMath                      int
	Tables, RawTables                  int
	ErrorTexts                         []string
}

const pageJS = `(() => {
	const imgs = [...document.querySelectorAll("#notebook .output_area img")];
	let imageOutputs = 0;
	for (const c of Jupyter.notebook.toJSON().cells) {
		for (const o of (c.outputs || [])) {
			const d = o.data || {};
			if (d["image/png"] || d["image/jpeg"] || (d["text/html"] && [].concat(d["text/html"]).join("").includes("<img"))) imageOutputs++;
		}
	}
	const errors = [];
	for (const e of document.querySelectorAll("#notebook .output_error")) errors.push(e.innerText.slice(0, 2000));
	for (const e of document.querySelectorAll("#notebook .output_stderr")) {
		const s = e.innerText;
		if (/^exit status \d+/m.test(s) || s.includes("panic:")) errors.push(s.slice(0, 2000));
	}
	const stdout = [...document.querySelectorAll("#notebook .output_stdout")].map(e => e.innerText).join("\n");
	const tables = document.querySelectorAll("#notebook .output_area table").length;
	const rawTables = (stdout.match(/^\|( --- \|)+$/gm) || []).length;
	const rendered = [...document.querySelectorAll("#notebook .text_cell_render")].map(e => e.innerText).join("\n");
	return {
		Images: imgs.length,
		BrokenImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)).length,
		ImageOutputs: imageOutputs,
		ProgressLines: (stdout.match(/^tour-(primal|dual) epoch \d+\/\d+ step \d+\/\d+: train objective/gm) || []).length,
		ProgressBars: document.querySelectorAll("#notebook .output_area progress").length,
		Math: document.querySelectorAll("#notebook .text_cell_render .MathJax, #notebook .text_cell_render mjx-container, #notebook .text_cell_render .MathJax_SVG").length,
		RawMath: (rendered.match(/\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$/g) || []).length,
		Tables: tables,
		RawTables: rawTables,
		ErrorTexts: errors,
	};
})()`

// inspectPage reads the rendered notebook.
func inspectPage(t *testing.T, ctx context.Context) pageReport {
	r, err := chromedp.Run(ctx, chromedp.Evaluate[pageReport](pageJS))
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	return r
}

// problems lists what is wrong with the page after a Run All.
func (r pageReport) problems(s cellStatus) []string {
	var p []string
	if s.Done != s.Code {
		p = append(p, fmt.Sprintf("%d of %d code cells ran (the rest show no execution count)", s.Done, s.Code))
	}
	for _, e := range r.ErrorTexts {
		p = append(p, "a cell shows an error:\n"+e)
	}
	if r.Images == 0 || r.Images < r.ImageOutputs {
		p = append(p, fmt.Sprintf("%d image elements rendered for %d image outputs", r.Images, r.ImageOutputs))
	}
	if r.BrokenImages > 0 {
		p = append(p, fmt.Sprintf("%d of %d images have zero natural size (not rendered)", r.BrokenImages, r.Images))
	}
	// Two training cells (primal, dual), one line per evaluation each.
	if r.ProgressLines < 2 || r.ProgressBars < 2 {
		p = append(p, fmt.Sprintf("progress: %d lines and %d live status bars, want at least 2 of each",
			r.ProgressLines, r.ProgressBars))
	}
	// nbutil.ShowTable: each table once, rendered, never its Markdown source.
	if r.Tables == 0 || r.RawTables > 0 {
		p = append(p, fmt.Sprintf("tables: %d rendered, %d shown as Markdown source text", r.Tables, r.RawTables))
	}
	if r.Math == 0 || r.RawMath > 0 {
		p = append(p, fmt.Sprintf("math: %d typeset formulas, %d left as raw LaTeX ($...\\cmd...$)", r.Math, r.RawMath))
	}
	return p
}

// saveScreenshot writes a full-page PNG of the notebook. The classic
// notebook scrolls inside #site, so the page is unrolled first.
func saveScreenshot(t *testing.T, ctx context.Context, path string) {
	const unroll = `(() => {
		for (const s of ["html", "body", "#site", "#notebook", "#ipython-main-app", "#notebook-container"]) {
			const e = document.querySelector(s);
			if (e) { e.style.height = "auto"; e.style.overflow = "visible"; e.style.position = "static"; }
		}
		return true;
	})()`
	err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](unroll), chromedp.Sleep(300*time.Millisecond))
	var png []byte
	if err == nil {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	}
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := writeFileAtomic(path, png); err != nil {
		t.Error(err)
	}
}

// exportHTML saves the executed notebook from the browser and exports it
// to HTML in outDir, next to a copy of the executed notebook.
func exportHTML(t *testing.T, ctx context.Context, copyPath, outDir string) {
	saved, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Jupyter.notebook.save_notebook().then(() => true)`,
		chromedp.EvalAwaitPromise))
	if err != nil || !saved {
		t.Errorf("saving the executed notebook from the browser: %v", err)
		return
	}
	b, err := os.ReadFile(copyPath)
	if err != nil {
		t.Error(err)
		return
	}
	var nb struct{ Cells []json.RawMessage }
	if err := json.Unmarshal(b, &nb); err != nil || len(nb.Cells) == 0 {
		t.Errorf("%s: the saved notebook does not parse: %v", copyPath, err)
		return
	}
	executed := filepath.Join(outDir, browserNotebook+".ipynb")
	if err := writeFileAtomic(executed, b); err != nil {
		t.Error(err)
		return
	}
	cmd := exec.CommandContext(ctx, "/usr/bin/jupyter-nbconvert", append([]string{"--to", "html", "--output-dir", outDir}, htmlExportFlags()...)...)
	cmd.Args = append(cmd.Args, executed)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("nbconvert --to html: %v\n%s", err, out)
		return
	}
	checkExport(t, ctx, strings.TrimSuffix(executed, ".ipynb")+".html")
}

// mathJaxJS is MathJax 2.7 from Debian's libjs-mathjax: the notebook server
// serves it, and the HTML exports load it from the disk instead of a CDN
// (scripts/notebooks.sh uses the same URL).
const mathJaxJS = "/usr/share/javascript/mathjax/MathJax.js"

// htmlExportFlags are the nbconvert flags of the HTML exports.
func htmlExportFlags() []string {
	return []string{"--HTMLExporter.mathjax_url=file://" + mathJaxJS + "?config=TeX-AMS_CHTML-full,Safe"}
}

// exportJS reads the HTML export once MathJax has typeset it.
const exportJS = `(() => {
	const imgs = [...document.querySelectorAll("img")];
	const text = document.body.innerText;
	return {
		Images: imgs.length,
		BrokenImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)).length,
		Math: document.querySelectorAll(".MathJax, .MathJax_CHTML, .MathJax_SVG").length,
		RawMath: (text.match(/\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$/g) || []).length,
		Tables: document.querySelectorAll("table").length,
		RawTables: (text.match(/^\|( --- \|)+$/gm) || []).length,
	};
})()`

// checkExport opens the HTML export from the disk, as a reader offline
// would, and checks that its math is typeset, its figures load and each
// table is rendered once.
func checkExport(t *testing.T, ctx context.Context, path string) {
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Errorf("opening the export %s: %v", path, err)
		return
	}
	waitJS(t, ctx, "MathJax to typeset the export (from "+mathJaxJS+")", time.Minute,
		`typeof MathJax !== "undefined" && !!MathJax.Hub && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0 &&
		 document.querySelectorAll(".MathJax, .MathJax_CHTML").length > 0`)
	r, err := chromedp.Run(ctx, chromedp.Evaluate[pageReport](exportJS))
	if err != nil {
		t.Errorf("reading the export: %v", err)
		return
	}
	t.Logf("HTML export %s: %d images, %d typeset formulas, %d tables", path, r.Images, r.Math, r.Tables)
	if r.Images == 0 || r.BrokenImages > 0 || r.Math == 0 || r.RawMath > 0 || r.Tables == 0 || r.RawTables > 0 {
		t.Errorf("the HTML export %s: %d images (%d not rendered), %d typeset formulas, %d raw LaTeX, %d tables, %d tables as Markdown source",
			path, r.Images, r.BrokenImages, r.Math, r.RawMath, r.Tables, r.RawTables)
	}
}

// writeFileAtomic writes b to path through a temporary file and a rename.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// exerciseSliders waits for the tour's interactive cell (section 8), sets
// lambda to 0.50 and the gate to 1 as a reader dragging the sliders would,
// checks that the drawing is redone for each, and presses Done, which lets
// the remaining cells run.
func exerciseSliders(t *testing.T, ctx context.Context) {
	defer func() {
		if t.Failed() {
			txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#notebook .cell")].slice(-4).map(c => c.innerText.slice(-1500)).join("\n-----\n")`))
			t.Logf("the last cells show:\n%s", txt)
			saveScreenshot(t, ctx, filepath.Join("..", "build", "browser", "sliders-failed.png"))
		}
	}()
	waitJS(t, ctx, "the lambda and gate sliders and their Done button (the front end answered the widgets)", 4*time.Minute,
		`!!document.querySelector("input[type=range][id^=stcnn_lambda_]") &&
		 !!document.querySelector("input[type=range][id^=stcnn_gate_]") &&
		 !!document.querySelector("button[id^=stcnn_done_]") &&
		 !!document.querySelector(".stcnn-regions img")`)
	set := func(prefix string, value int, want string) {
		js := fmt.Sprintf(`(() => { const s = document.querySelector("input[type=range][id^=%s]");
			s.value = %d; s.dispatchEvent(new Event("input")); s.dispatchEvent(new Event("change")); return true; })()`, prefix, value)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatalf("moving slider %s: %v", prefix, err)
		}
		waitJS(t, ctx, "the regions redrawn for "+want, time.Minute, fmt.Sprintf(
			`[...document.querySelectorAll(".stcnn-regions-caption")].some(e => e.innerText.includes(%q))`, want))
	}
	set("stcnn_lambda_", 50, "lambda = 0.50, gate 0:")
	set("stcnn_gate_", 1, "lambda = 0.50, gate 1:")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector("button[id^=stcnn_done_]").click(); return true; })()`)); err != nil {
		t.Fatalf("pressing Done: %v", err)
	}
	waitJS(t, ctx, "the interactive cell to end after Done", time.Minute,
		`[...document.querySelectorAll("#notebook .output_stdout")].some(e => e.innerText.includes("sliders closed at lambda = 0.50, gate 1"))`)
}
