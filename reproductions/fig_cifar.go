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

func init() {
	register(Figure{ID: "2", Title: "Two-layer CNN with ReLU vs soft-thresholding on CIFAR-10",
		Claim: "soft-thresholding works as the activation of a two-layer denoising CNN on CIFAR-10: " +
			"its objective falls and its PSNR rises like the ReLU network's; its activations are symmetric about zero",
		Run: cifarFig2})
	register(Figure{ID: "13", Title: "CIFAR-10 objective under four optimisers and four initialisations",
		Claim: "the primal network does not reach the optimum from zero initialisation under any optimiser; " +
			"the dual reaches the same value (0.018) for every optimiser and initialisation",
		Run: cifarFig13})
	register(Figure{ID: "14", Title: "CIFAR-10 PSNR under four optimisers, N(0, 0.001^2) initialisation",
		Claim: "the dual reaches the highest and most stable PSNR under every optimiser; the primal matches it " +
			"only with Adam (lower with SGDM and AdaGrad, unstable with RMSProp)",
		Run: cifarFig14})
	register(Figure{ID: "15", Title: "Denoised CIFAR-10 images during SGDM training (epochs 8, 16, 28)",
		Claim: "with SGDM and N(0, 0.001^2) initialisation the intermediate and final images differ greatly from the noise-free ones",
		Run:   cifarFig15})
	register(Figure{ID: "16", Title: "CIFAR-10 duality gap at sigma 0.25, 0.5, 0.75",
		Claim: "primal and dual objectives are very close on training and test data at all three noise levels (zero duality gap)",
		Run:   cifarFig16})
	register(Figure{ID: "table2", Title: "Table II: PSNR of denoising CIFAR-10 by the primal and dual networks",
		Claim: "primal and dual reach very close PSNR (23.4 / 19.5 / 17.4 dB at sigma 0.25 / 0.5 / 0.75)",
		Run:   cifarTable2})
	register(Figure{ID: "17", Title: "Denoised CIFAR-10 images at sigma 0.5, primal and dual",
		Claim: "the primal and dual networks give visually the same denoised images",
		Run:   cifarFig17})
}

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
