// Package gomlxbackend chooses and configures the GoMLX compute backend that
// every other stcnn package runs on.
//
// The choice, in order:
//
//  1. GOMLX_BACKEND, when set, is honoured as GoMLX defines it
//     ("go", "go:parallelism=4", "xla:cuda", "xla:cpu", ...).
//  2. Otherwise XLA with CUDA when a CUDA PJRT plugin is installed,
//  3. else XLA on the CPU when a CPU PJRT plugin is installed,
//  4. else the embedded pure-Go backend with its default options.
//
// Plugins are looked up where go-xla looks for them (PJRT_PLUGIN_LIBRARY_PATH,
// /usr/local/lib/go-xla, ~/.local/lib/go-xla, the system library paths);
// nothing is downloaded unless Options.AllowDownload is set.
//
// The pure-Go backend runs with its own default parallelism (2 x GOMAXPROCS
// worker slots): in github.com/gomlx/compute v0.1.14 its executor starts
// extra goroutines only when a slot is free and always executes on the
// calling one, so an execution cannot wait for a slot (v0.1.0 waited, and
// hung on 2 cores; TestNoHang keeps it honest).
package gomlxbackend

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/go-xla/compute/xla"
	"github.com/gomlx/go-xla/pjrt"
)

// EnvVar is the environment variable GoMLX reads its backend configuration from.
const EnvVar = compute.ConfigEnvVar

// Choice describes a selected backend. It is plain data, so it can be logged
// and written to manifests.
type Choice struct {
	// Backend is "go" or "xla".
	Backend string `json:"backend"`
	// Options is the backend-specific configuration: Go backend options, or
	// the PJRT plugin name (and options) for XLA.
	Options string `json:"options"`
	// Device is "cpu" or "cuda".
	Device string `json:"device"`
	// PluginPath is the PJRT plugin file for XLA; empty for the Go backend.
	PluginPath string `json:"plugin_path,omitempty"`
	// Reason says why this backend was chosen.
	Reason string `json:"reason"`
}

// Config returns the GOMLX_BACKEND-style configuration string, e.g. "go:ops_sequential".
func (c Choice) Config() string {
	if c.Options == "" {
		return c.Backend
	}
	return c.Backend + ":" + c.Options
}

// String is a one-line description for logs and manifests.
func (c Choice) String() string {
	s := fmt.Sprintf("backend=%s device=%s", c.Config(), c.Device)
	if c.PluginPath != "" {
		s += " plugin=" + c.PluginPath
	}
	return s + " (" + c.Reason + ")"
}

// Options control Choose. The zero value reads the process environment and
// never downloads anything.
type Options struct {
	// LookupEnv replaces os.LookupEnv (tests).
	LookupEnv func(string) (string, bool)
	// Plugins replaces the PJRT plugin search: name -> path (tests).
	Plugins map[string]string
	// AllowDownload lets go-xla fetch missing PJRT plugins (needs internet).
	AllowDownload bool
}

// Choose decides which backend to use, without creating it.
func Choose(opts Options) (Choice, error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if v, ok := lookup(EnvVar); ok && strings.TrimSpace(v) != "" {
		return parse(strings.TrimSpace(v), opts)
	}
	plugins := opts.Plugins
	if plugins == nil {
		plugins = pjrt.AvailablePlugins()
	}
	if name, path := findPlugin(plugins, "cuda"); name != "" {
		return Choice{Backend: "xla", Options: name, Device: "cuda", PluginPath: path,
			Reason: "CUDA PJRT plugin found"}, nil
	}
	if name, path := findPlugin(plugins, "cpu"); name != "" {
		return Choice{Backend: "xla", Options: name, Device: "cpu", PluginPath: path,
			Reason: "CPU PJRT plugin found, no CUDA plugin"}, nil
	}
	return Choice{Backend: gobackend.BackendName, Device: "cpu",
		Reason: "no PJRT plugin installed: embedded pure-Go backend"}, nil
}

// parse interprets a GOMLX_BACKEND value.
func parse(v string, opts Options) (Choice, error) {
	name, rest, _ := strings.Cut(v, ":")
	switch name {
	case gobackend.BackendName:
		return Choice{Backend: name, Options: rest, Device: "cpu", Reason: EnvVar + "=" + v}, nil
	case xla.BackendName:
		plugin, _, _ := strings.Cut(rest, ",")
		if plugin == "" {
			plugin = "cpu"
		}
		c := Choice{Backend: name, Options: rest, Device: "cpu", Reason: EnvVar + "=" + v}
		if strings.Contains(plugin, "cuda") {
			c.Device = "cuda"
		}
		if strings.HasPrefix(plugin, "/") {
			c.PluginPath = plugin
		} else {
			plugins := opts.Plugins
			if plugins == nil {
				plugins = pjrt.AvailablePlugins()
			}
			if _, path := findPlugin(plugins, plugin); path != "" {
				c.PluginPath = path
			} else if !opts.AllowDownload {
				return Choice{}, fmt.Errorf("gomlxbackend: %s=%q asks for the XLA plugin %q, which is not installed (found: %s); install it (github.com/gomlx/go-xla installer) or set %s=go",
					EnvVar, v, plugin, pluginList(plugins), EnvVar)
			}
		}
		if c.Options == "" {
			c.Options = plugin
		}
		return c, nil
	default:
		return Choice{}, fmt.Errorf("gomlxbackend: %s=%q: unknown backend %q, want \"go\" or \"xla\" (e.g. go:ops_sequential, xla:cuda)", EnvVar, v, name)
	}
}

// findPlugin returns the plugin whose name is base or a versioned base ("cuda_v0.5.0").
func findPlugin(plugins map[string]string, base string) (name, path string) {
	names := make([]string, 0, len(plugins))
	for n := range plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == base || strings.HasPrefix(n, base+"_v") {
			return n, plugins[n]
		}
	}
	return "", ""
}

func pluginList(plugins map[string]string) string {
	if len(plugins) == 0 {
		return "none"
	}
	names := make([]string, 0, len(plugins))
	for n := range plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// New creates the backend described by c.
func New(c Choice, opts Options) (compute.Backend, error) {
	switch c.Backend {
	case gobackend.BackendName:
		return newGo(c.Options)
	case xla.BackendName:
		// go-xla auto-installs plugins on first use unless told not to.
		xla.EnableAutoInstall(opts.AllowDownload)
		b, err := xla.New(c.Options)
		if err != nil {
			return nil, fmt.Errorf("gomlxbackend: xla backend %q: %w", c.Options, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("gomlxbackend: unknown backend %q", c.Backend)
}

// newGo creates the pure-Go backend. The backend prints a line to standard
// output when its "parallelism" option is parsed, which would corrupt the
// output of commands, examples and notebooks; so that option is applied
// after creation, through the backend's worker pool, when that is possible.
func newGo(options string) (compute.Backend, error) {
	var rest []string
	parallelism := 0
	for _, part := range strings.Split(options, ",") {
		if v, ok := strings.CutPrefix(part, "parallelism="); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("gomlxbackend: go backend option %q: needs an integer", part)
			}
			parallelism = n
			continue
		}
		rest = append(rest, part)
	}
	b, err := gobackend.New(strings.Join(rest, ","))
	if err != nil {
		return nil, fmt.Errorf("gomlxbackend: go backend options %q: %w", options, err)
	}
	if parallelism == 0 {
		return b, nil
	}
	if setParallelism(b, parallelism) {
		return b, nil
	}
	// Fall back to the backend's own option parsing (and its message).
	b.Finalize()
	if b, err = gobackend.New(options); err != nil {
		return nil, fmt.Errorf("gomlxbackend: go backend options %q: %w", options, err)
	}
	return b, nil
}

// setParallelism calls b.Workers.SetMaxParallelism(n) on the Go backend,
// whose type lives in an internal package, by reflection.
func setParallelism(b compute.Backend, n int) bool {
	v := reflect.ValueOf(b)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return false
	}
	w := v.Elem().FieldByName("Workers")
	if !w.IsValid() {
		return false
	}
	m := w.MethodByName("SetMaxParallelism")
	if !m.IsValid() || m.Type().NumIn() != 1 || m.Type().In(0).Kind() != reflect.Int {
		return false
	}
	m.Call([]reflect.Value{reflect.ValueOf(n)})
	if d := w.MethodByName("MaxParallelism"); d.IsValid() {
		return d.Call(nil)[0].Int() == int64(n)
	}
	return true
}

// Default chooses (Choose with zero Options) and creates the backend.
func Default() (compute.Backend, Choice, error) {
	c, err := Choose(Options{})
	if err != nil {
		return nil, Choice{}, err
	}
	b, err := New(c, Options{})
	if err != nil {
		return nil, c, err
	}
	return b, c, nil
}
