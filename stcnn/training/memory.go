package training

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/convexst/stcnn/stcnn"
)

// MemoryEstimate is the estimated working set of a run, in bytes, by its
// dominant parts. It is an estimate of the order of magnitude, made to
// refuse sizes no machine can hold before anything is allocated.
type MemoryEstimate struct {
	// Variables are the weights, gates, optimiser state (at most three
	// tensors per weight) and two gradient buffers per weight.
	Variables float64
	// Activations are the largest intermediates of one graph execution: a
	// chunk of images times pixels times the hidden width (K, or P times
	// the output channels), counted eight times (both dual branches, their
	// masks and gradients), plus the image patches.
	Activations float64
	// Images are the data set's splits as loaded (float32) and the noisy and
	// clean subsets of the run.
	Images float64
}

// Total is the sum of the parts.
func (e MemoryEstimate) Total() float64 { return e.Variables + e.Activations + e.Images }

// datasetShape returns the image size and the split sizes of a data set.
func datasetShape(name string) (h, w, trainN, testN int, ok bool) {
	switch name {
	case MNIST:
		return 28, 28, 60000, 10000, true
	case CIFAR10:
		return 32, 32, 50000, 10000, true
	}
	return 0, 0, 0, 0, false
}

// EstimateMemory estimates the working set of a run of c from K or P, m,
// the channels, the batch, chunk and subset sizes and the image size.
func (c Config) EstimateMemory() MemoryEstimate {
	m := c.Model
	b := float64(m.GoMLXDType().Size())
	d, out := float64(m.PatchSize()), float64(m.Outputs())
	var fixed, trainable, width float64
	if r := c.ResNet; r != nil {
		m = stcnn.Config{Channels: r.Channels, DType: r.DType}
		b = float64(m.GoMLXDType().Size())
		mm, wd, ch := float64(r.M*r.M), float64(r.Width), float64(r.Channels)
		d = mm * max(wd, ch)
		trainable = mm*ch*wd + float64(2*r.Blocks)*mm*wd*wd + wd*ch
		width = d
	} else if h := c.Classifier; h != nil {
		// Its images are given, not loaded: only its variables W, b are estimated.
		b = float64(stcnn.Config{DType: h.Head.DType}.GoMLXDType().Size())
		if head, err := h.New(); err == nil {
			trainable = float64((head.Features() + 1) * h.Head.Classes)
		}
	} else if m.Model == stcnn.Dual {
		p := float64(m.P)
		fixed, trainable, width = p*d, 2*p*out*d, p*out
	} else {
		k := float64(m.K)
		trainable, width = k*d+out*k, k
	}
	var e MemoryEstimate
	e.Variables = b * (fixed + 6*trainable)
	h, w, trainN, testN, ok := datasetShape(c.Dataset)
	if !ok {
		return e
	}
	pixels := float64(h * w)
	maxChunk := float64(c.MaxChunkElements)
	if maxChunk <= 0 {
		maxChunk = stcnn.DefaultMaxChunkElements
	}
	// stcnn.Trainer chunks a batch (or an evaluated set) so that one
	// execution holds at most maxChunk hidden values, but never less than
	// one image.
	perExec := max(1, float64(int(maxChunk/(pixels*width))))
	perExec = min(perExec, float64(max(c.BatchSize, c.TrainSize, c.TestSize)))
	e.Activations = b * perExec * pixels * (8*width + 2*d)
	ch := float64(m.Channels)
	e.Images = 4 * pixels * ch * (float64(trainN+testN) + 2*float64(c.TrainSize+c.TestSize))
	return e
}

// fallbackMemory is the machine memory assumed where /proc/meminfo cannot
// be read (not Linux): only working sets beyond 1 TiB are refused there.
const fallbackMemory = 1 << 40

// machineMemory returns the machine's memory in bytes and where it was read.
var machineMemory = sync.OnceValues(func() (float64, string) {
	if n, ok := readMemTotal("/proc/meminfo"); ok {
		return n, "MemTotal in /proc/meminfo"
	}
	return fallbackMemory, "assumed: /proc/meminfo is not readable"
})

// readMemTotal returns the MemTotal line of a /proc/meminfo file in bytes.
func readMemTotal(path string) (float64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			fields := strings.Fields(rest)
			if len(fields) != 2 || fields[1] != "kB" {
				return 0, false
			}
			kb, err := strconv.ParseUint(fields[0], 10, 64)
			return float64(kb) * 1024, err == nil && kb > 0
		}
	}
	return 0, false
}

// checkMemory refuses a configuration whose working set exceeds the
// machine's memory, giving the estimate and the settings that drive it.
func (c Config) checkMemory() error {
	return c.checkMemoryAgainst(machineMemory())
}

func (c Config) checkMemoryAgainst(have float64, source string) error {
	e := c.EstimateMemory()
	if e.Total() <= have {
		return nil
	}
	size := `"model.K"`
	if c.Model.Model == stcnn.Dual {
		size = `"model.P"`
	}
	fix := size + ` or "model.m"`
	switch {
	case e.Activations >= e.Variables && e.Activations >= e.Images:
		fix = size + `, "batch_size" or "max_chunk_elements"`
	case e.Images >= e.Variables:
		fix = `"train_size" or "test_size"`
	}
	return fmt.Errorf("training: config: a run of this size needs about %s of memory (variables and optimiser state %s, "+
		"activations of one graph execution %s, images %s) but this machine has %s (%s); reduce %s",
		formatBytes(e.Total()), formatBytes(e.Variables), formatBytes(e.Activations), formatBytes(e.Images),
		formatBytes(have), source, fix)
}

// formatBytes writes a byte count with a decimal unit, e.g. "216 GB".
func formatBytes(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	i := 0
	for n >= 999.5 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if n < 9.95 {
		return fmt.Sprintf("%.1f %s", n, units[i])
	}
	return fmt.Sprintf("%.0f %s", n, units[i])
}
