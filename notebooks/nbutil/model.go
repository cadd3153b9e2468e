package nbutil

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/convexst/stcnn/datasets"
	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/training"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// Predict returns the trained network's outputs f(Y) for noisy images (see
// PredictNetwork), with the run's memory bound. ASGD runs are predicted at
// their averaged weights, as package training evaluates them.
func Predict(backend compute.Backend, res *training.Result, noisy *datasets.Images) (*datasets.Images, error) {
	if res == nil || res.Trainer == nil {
		return nil, fmt.Errorf("nbutil: Predict needs a training result with its trainer")
	}
	out, err := res.Predict(noisy)
	if err != nil {
		return nil, fmt.Errorf("nbutil: %w", err)
	}
	return out, nil
}

// PredictNetwork returns a network's outputs f(Y) for noisy images, by
// running its Predict graph (stcnn.Network.Predict) on store, in chunks
// whose hidden layer holds at most maxChunk values (<= 0:
// stcnn.DefaultMaxChunkElements).
func PredictNetwork(backend compute.Backend, net stcnn.Network, store *model.Store, maxChunk int,
	noisy *datasets.Images) (*datasets.Images, error) {
	d, err := stcnn.NewDenoiser(backend, store, net, maxChunk)
	if err != nil {
		return nil, fmt.Errorf("nbutil: %w", err)
	}
	out, err := d.Denoise(noisy)
	if err != nil {
		return nil, fmt.Errorf("nbutil: predicting with the %s network: %w", net.Kind(), err)
	}
	return out, nil
}

// VariableRows lists the variables of a store, sorted by path: path,
// shape, dtype, number of values, trainable.
func VariableRows(store *model.Store) [][]string {
	var rows [][]string
	for v := range store.IterVariables() {
		s := v.Shape()
		rows = append(rows, []string{v.Path(), fmt.Sprint(s.Dimensions), s.DType.String(),
			fmt.Sprint(s.Size()), fmt.Sprint(v.Trainable)})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
	return rows
}

// ShowVariables displays the table of VariableRows and the total number of
// trainable values.
func ShowVariables(store *model.Store) {
	rows := VariableRows(store)
	total := 0
	for v := range store.IterVariables() {
		if v.Trainable {
			total += v.Shape().Size()
		}
	}
	ShowTable([]string{"variable", "shape", "dtype", "values", "trainable"}, rows)
	fmt.Printf("trainable values: %d\n", total)
}

// LoadHistory reads the history.json that training.Run writes into its
// output folder.
func LoadHistory(dir string) (training.History, error) {
	var h training.History
	b, err := os.ReadFile(filepath.Join(dir, "history.json"))
	if err != nil {
		return h, fmt.Errorf("nbutil: %w (run the training cell first)", err)
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("nbutil: %s: %w", filepath.Join(dir, "history.json"), err)
	}
	return h, nil
}
