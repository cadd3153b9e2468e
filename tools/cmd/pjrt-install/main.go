// Command pjrt-install installs a PJRT plugin for GoMLX's XLA backend with
// go-xla's own installer (github.com/gomlx/go-xla/installer, the version the
// project builds against), for images built without a GPU attached: go-xla's
// automatic installation only fetches the CUDA plugin when it sees a GPU,
// which `docker build` does not have.
//
//	pjrt-install -plugin cuda13 -path /usr/local/lib/go-xla   # CUDA 13 plugin + NVIDIA libraries (from JAX's wheels)
//	pjrt-install -plugin cuda12 -version 0.7.2 -path ...       # a pinned JAX version, CUDA 12
//	pjrt-install -plugin cpu -path /usr/local/lib/go-xla       # the CPU plugin version go-xla was tested with
//
// It needs the internet (pypi.org for CUDA, GitHub releases for the CPU
// plugin). The plugin then lands where go-xla and gomlx_backend look for it
// (/usr/local/lib/go-xla, with the NVIDIA libraries in its nvidia/ folder).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gomlx/go-xla/installer"
)

func main() {
	plugin := flag.String("plugin", "cuda13", "cuda13, cuda12 or cpu")
	version := flag.String("version", "latest", "JAX version of the CUDA plugin (cuda13/cuda12 only), or latest")
	path := flag.String("path", "/usr/local/lib/go-xla", "the go-xla plugin folder")
	flag.Parse()
	if err := install(*plugin, *version, *path); err != nil {
		fmt.Fprintln(os.Stderr, "pjrt-install:", err)
		os.Exit(1)
	}
}

func install(plugin, version, path string) error {
	switch plugin {
	case "cuda13", "cuda12":
		return installer.CudaInstall(plugin, version, path, false, installer.Verbose)
	case "cpu":
		if version != "latest" {
			return fmt.Errorf("-version is for the CUDA plugins; the CPU plugin is the one go-xla was tested with")
		}
		return installer.CPUAutoInstall(path, false, installer.Verbose)
	}
	return fmt.Errorf("unknown plugin %q, want cuda13, cuda12 or cpu", plugin)
}
