package stcnn

import (
	"errors"
	"fmt"

	"github.com/convexst/stcnn/datasets"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Denoiser computes a trained network's outputs f(Y) as images, e.g. to
// feed a frozen denoiser's outputs to a ClassifierHead (for a classifier
// they are its logits, 1 x 1 images with one channel per class).
type Denoiser struct {
	net      Network
	maxChunk int
	exec     *model.Exec
}

// NewDenoiser prepares the executable of net.Predict on the variables in
// store. maxChunkElements bounds the hidden layer of one execution as in
// NewTrainer (<= 0: DefaultMaxChunkElements).
func NewDenoiser(backend compute.Backend, store *model.Store, net Network, maxChunkElements int) (*Denoiser, error) {
	if net == nil {
		return nil, errors.New("stcnn: NewDenoiser: nil network")
	}
	if maxChunkElements <= 0 {
		maxChunkElements = DefaultMaxChunkElements
	}
	exec, err := model.NewExec(backend, store, func(_ *model.Scope, noisy *Node) *Node {
		readVariablesAtEachCall(store, noisy.Graph())
		return ConvertDType(net.Predict(store, noisy), dtypes.Float32)
	})
	if err != nil {
		return nil, err
	}
	return &Denoiser{net: net, maxChunk: maxChunkElements, exec: exec}, nil
}

// Denoise returns f(Y) for every image of noisy, with noisy's labels.
func (d *Denoiser) Denoise(noisy *datasets.Images) (*datasets.Images, error) {
	if noisy == nil || noisy.N == 0 {
		return nil, errors.New("stcnn: Denoise: no images")
	}
	in, _ := d.net.Channels()
	if noisy.C != in {
		return nil, fmt.Errorf("stcnn: Denoise: images have %d channels but the %s network was configured for %d", noisy.C, d.net.Kind(), in)
	}
	out := &datasets.Images{N: noisy.N}
	if noisy.Labels != nil {
		out.Labels = append([]uint8(nil), noisy.Labels...)
	}
	for _, ch := range ChunkRanges(noisy.N, noisy.H*noisy.W, d.net.HiddenWidth(), d.maxChunk) {
		part, err := noisy.Slice(ch[0], ch[1])
		if err != nil {
			return nil, err
		}
		res, err := d.exec.Exec(ImagesTensor(part, d.net.DType()))
		if err != nil {
			return nil, fmt.Errorf("stcnn: Denoise: %w", err)
		}
		px, err := tensors.CopyFlatData[float32](res[0])
		if err != nil {
			return nil, err
		}
		// The output's size is the network's: the inputs' for a denoiser, 1 x 1 for a classifier.
		dims := res[0].Shape().Dimensions
		out.H, out.W, out.C = dims[1], dims[2], dims[3]
		if out.Pixels == nil {
			out.Pixels = make([]float32, 0, noisy.N*out.H*out.W*out.C)
		}
		out.Pixels = append(out.Pixels, px...)
	}
	return out, nil
}
