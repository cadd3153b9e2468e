package reproductions

// The CIFAR-10 figures of the paper: Fig. 2 (ReLU vs soft-thresholding),
// Fig. 13 (objective vs optimiser and initialisation), Fig. 14 (PSNR vs
// optimiser), Fig. 15 (denoised images during SGDM training), Fig. 16 (the
// duality gap at three noise levels), Table II (PSNR at three noise levels)
// and Fig. 17 (denoised images at sigma 0.5). Shared settings are in cifar.go.

import (
	"fmt"

	"github.com/convexst/stcnn/stcnn/training"
)

// cifarFigSettings is what every CIFAR figure records in its manifest: the
// scale's settings, every run configuration, and the choices specific to
// the figure.
type cifarFigSettings struct {
	Settings cifarSettings     `json:"cifar_settings"`
	Runs     []training.Config `json:"runs"`
	Choices  []string          `json:"choices"`
}

// cifarFigure is a CIFAR-10 figure being made: the settings of its scale,
// its folder, the runs it trains and the choices they make (for its
// manifest), and the images they share.
type cifarFigure struct {
	cifarSettings
	env     Env
	id      string
	dir     string
	runs    []training.Config
	choices []string
	data    *training.Data
}

// newCifarFigure starts CIFAR-10 figure id at env's scale.
func newCifarFigure(env Env, id string) (*cifarFigure, error) {
	dir, err := env.Dir(id)
	if err != nil {
		return nil, err
	}
	return &cifarFigure{cifarSettings: cifarSettingsFor(env.Scale), env: env, id: id, dir: dir}, nil
}

// train records cfg in the figure's manifest and trains it on the images
// that all runs of the figure share (Env.trainShared).
func (fig *cifarFigure) train(cfg training.Config) (*training.Result, error) {
	fig.runs = append(fig.runs, cfg)
	return fig.env.trainShared(cfg, &fig.data)
}

// sigmaChoice is the manifest's choice of the noise level, which the
// paper's caption of the figure does not state.
func (fig *cifarFigure) sigmaChoice() string {
	return fmt.Sprintf("sigma %.2f (not stated for Fig. %s)", fig.Sigma, fig.id)
}

// record is the figure's manifest record: its settings, its runs, the
// choices of its runs and then the figure's own choices.
func (fig *cifarFigure) record(choices ...string) cifarFigSettings {
	return cifarFigSettings{Settings: fig.cifarSettings, Runs: fig.runs,
		Choices: append(append([]string(nil), fig.choices...), choices...)}
}

// cifarObjectiveNote states the normalisation of every objective reported.
const cifarObjectiveNote = "objectives sum the squared error over the 3072 values of an image and average over images " +
	"(plus beta-weighted weight penalty, and rho-weighted hinge for the dual); divided by 3072 they compare with a per-pixel MSE"
