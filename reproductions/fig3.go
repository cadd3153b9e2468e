package reproductions

import (
	"fmt"

	"github.com/convexst/stcnn/stcnn"
	"github.com/convexst/stcnn/stcnn/initializers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/plot"
)

// Fig3Settings records the configuration drawn.
type Fig3Settings struct {
	Primal stcnn.Config `json:"primal"`
	Dual   stcnn.Config `json:"dual"`
	Image  [3]int       `json:"image_hwc"`
	Why    string       `json:"why"`
}

// fig3Shape is one tensor of the drawn networks.
type fig3Shape struct {
	Network, Stage, Tensor string
	Dims                   []int
}

// runFig3 initialises both networks of stcnn.DefaultConfig for MNIST,
// executes their building blocks on one 28x28 image, and draws the two
// structures annotated with the shapes the graph reports.
func runFig3(env Env) (*Result, error) {
	dir, err := env.Dir("3")
	if err != nil {
		return nil, err
	}
	const h, w = 28, 28
	pcfg, dcfg := stcnn.DefaultConfig(stcnn.Primal, 1), stcnn.DefaultConfig(stcnn.Dual, 1)
	pnet, err := stcnn.NewPrimal(pcfg)
	if err != nil {
		return nil, err
	}
	dnet, err := stcnn.NewDual(dcfg)
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if err := pnet.Init(store, initializers.KaimingUniform(), 1); err != nil {
		return nil, err
	}
	if err := dnet.Init(store, initializers.Normal(0.01), 1); err != nil {
		return nil, err
	}
	var vals []any
	for _, path := range [][2]string{{stcnn.PrimalScope, "u"}, {stcnn.PrimalScope, "v"}, {stcnn.DualScope, "gates"}, {stcnn.DualScope, "w"}, {stcnn.DualScope, "w_prime"}} {
		scope := pnet.Scope(store)
		if path[0] == stcnn.DualScope {
			scope = dnet.Scope(store)
		}
		v := scope.GetVariable(path[1])
		if v == nil {
			return nil, fmt.Errorf("reproductions: fig. 3: variable %s/%s missing", path[0], path[1])
		}
		t, err := v.Value()
		if err != nil {
			return nil, err
		}
		vals = append(vals, t)
	}
	img32 := make([]float32, h*w)
	for i, v := range diagRandom(3, h*w, 1) {
		img32[i] = float32(0.5 + 0.2*v)
	}
	img := tensors.FromFlatDataAndDimensions(img32, 1, h, w, 1)
	var shapes []fig3Shape
	rec := func(network, stage, tensor string, n *graph.Node) *graph.Node {
		shapes = append(shapes, fig3Shape{network, stage, tensor, n.Shape().Dimensions})
		return n
	}
	fn := func(in []*graph.Node) []*graph.Node {
		y, u, v, gates, wd, wp := in[0], in[1], in[2], in[3], in[4], in[5]
		rec("both", "input", "Y", y)
		patches := rec("both", "patch matrix (eq. 21)", "Patches(Y)", stcnn.Patches(y, pcfg.M))
		rec("primal", "filters", "U", u)
		pre := rec("primal", "convolutions Y*U_k", "Patches(Y) U^T", graph.Dot(patches, graph.Transpose(u, 0, 1)).Product())
		rec("primal", "soft-thresholding", "ST(Y*U)", stcnn.SoftThreshold(pre, pcfg.Lambda))
		rec("primal", "1x1 convolution", "v", v)
		out := rec("primal", "output", "f(Y)", stcnn.PrimalForward(y, u, v, pcfg.M, pcfg.Lambda, stcnn.ActivationST))
		rec("dual", "fixed gates", "gates ubar", gates)
		q, s := stcnn.GatePatterns(patches, gates, dcfg.Lambda)
		rec("dual", "masks (eq. 23)", "Q", q)
		rec("dual", "sign regions", "s", s)
		rec("dual", "dual weights", "w", wd)
		rec("dual", "dual weights", "w'", wp)
		dout := rec("dual", "output", "sum_j Q_j Y(w'_j - w_j)", stcnn.DualForward(patches, q, wd, wp))
		return []*graph.Node{graph.ReduceAllSum(out), graph.ReduceAllSum(dout)}
	}
	if _, err := execGraph(env, fn, append([]any{img}, vals...)...); err != nil {
		return nil, err
	}
	dims := map[string][]int{}
	rows := make([][]string, len(shapes))
	for i, s := range shapes {
		dims[s.Tensor] = s.Dims
		rows[i] = []string{s.Network, s.Stage, s.Tensor, fmt.Sprint(s.Dims)}
	}
	if err := writeTextCSV(dir, "fig3_shapes.csv", []string{"network", "stage", "tensor", "shape"}, rows); err != nil {
		return nil, err
	}
	d, k, p, c := pcfg.PatchSize(), pcfg.K, dcfg.P, pcfg.Outputs()
	i := dims["Patches(Y)"][0]
	sh := func(name string) string {
		v := dims[name]
		s := ""
		for j, x := range v {
			if j > 0 {
				s += "x"
			}
			s += fmt.Sprint(x)
		}
		return s
	}

	var a diagDiagram
	a.box(0.2, 2, 1.8, 4, diagGrey, fmt.Sprintf("noisy image Y\n%dx%dx%d", h, w, pcfg.Channels))
	a.arrow(1.8, 3, 2.4, 3, "")
	a.box(2.4, 2, 4.2, 4, diagBlue, fmt.Sprintf("patch matrix\nI x D = %s\n(m=%d, D=m*m*C)", sh("Patches(Y)"), pcfg.M))
	a.arrow(4.2, 3, 4.8, 3, "")
	a.box(4.8, 2, 6.6, 4, diagOrange, fmt.Sprintf("K=%d filters U\n%s\nY U^T: %dx%d", k, sh("U"), i, k))
	a.arrow(6.6, 3, 7.2, 3, "")
	a.box(7.2, 2, 8.6, 4, diagGreen, fmt.Sprintf("ST, lambda=%g\nelementwise\n%dx%d", pcfg.Lambda, i, k))
	a.arrow(8.6, 3, 9.2, 3, "")
	a.box(9.2, 2, 10.8, 4, diagOrange, fmt.Sprintf("1x1 conv v\n%s", sh("v")))
	a.arrow(10.8, 3, 11.4, 3, "")
	a.box(11.4, 2, 12.8, 4, diagGrey, fmt.Sprintf("output\n%s", sh("f(Y)")))
	a.text(6.5, 0.9, fmt.Sprintf("objective (eq. 21): ||f(Y) - X||^2 + beta sum_k (||U_k||^2 + v_k^2), beta = %g; trainable: %d values", pcfg.Beta, k*d+c*k), 9.5)

	var b diagDiagram
	b.box(0.2, 3, 1.8, 5, diagGrey, fmt.Sprintf("noisy image Y\n%dx%dx%d", h, w, dcfg.Channels))
	b.arrow(1.8, 4, 2.4, 4, "")
	b.box(2.4, 3, 4.2, 5, diagBlue, fmt.Sprintf("patch matrix\nI x D = %s", sh("Patches(Y)")))
	b.arrow(4.2, 4.5, 4.8, 5.5, "")
	b.box(4.8, 4.6, 6.8, 6.6, diagGrey, fmt.Sprintf("P=%d fixed gates\nubar: %s\n~ N(0, %g^2)", p, sh("gates ubar"), dcfg.GateStd))
	b.arrow(6.8, 5.6, 7.4, 5.6, "")
	b.box(7.4, 4.6, 9.8, 6.6, diagGreen, fmt.Sprintf("masks Q = ST(g)/g: %s\nsigns s in {-1,0,1}: %s\n(S1, S2, S3 of eq. 23)", sh("Q"), sh("s")))
	b.arrow(4.2, 3.5, 4.8, 2.5, "")
	b.box(4.8, 1.4, 6.8, 3.4, diagOrange, fmt.Sprintf("dual weights\nw: %s\nw': %s", sh("w"), sh("w'")))
	b.arrow(6.8, 2.4, 7.4, 2.4, "")
	b.box(7.4, 1.4, 9.8, 3.4, diagOrange, fmt.Sprintf("Y(w'_j - w_j)\n%dx%d\nhinge on s(.)Yw, s(.)Yw'", i, p*c))
	b.arrow(9.8, 5.6, 10.4, 4.3, "")
	b.arrow(9.8, 2.4, 10.4, 3.7, "")
	b.box(10.4, 3, 12.8, 5, diagGrey, fmt.Sprintf("sum_j Q_j (.) Y(w'_j-w_j)\noutput %s (C x I)", sh("sum_j Q_j Y(w'_j - w_j)")))
	b.text(6.5, 0.6, fmt.Sprintf("objective (eq. 22): ||out - X||^2 + 2 beta sum_j (||w_j|| + ||w'_j||) + rho hinge, rho = %g; trainable: %d values", dcfg.Rho, 2*p*d*c), 9.5)

	pa := diagramPlot(fmt.Sprintf("(a) primal ST-CNN (stcnn.DefaultConfig, MNIST: K=%d, m=%d, lambda=%g)", k, pcfg.M, pcfg.Lambda), &a, 13, 5)
	pb := diagramPlot(fmt.Sprintf("(b) dual ST-CNN (P=%d gates, m=%d, lambda=%g)", p, dcfg.M, dcfg.Lambda), &b, 13, 7)
	figFiles, err := SavePanels(dir, "fig3", [][]*plot.Plot{{pa}, {pb}}, 12, 7.5, 5)
	if err != nil {
		return nil, err
	}
	files := append([]string{"fig3_shapes.csv"}, figFiles...)
	metrics := map[string]float64{"D": float64(d), "K": float64(k), "P": float64(p), "I_per_image": float64(i),
		"primal_trainable": float64(k*d + c*k), "dual_trainable": float64(2 * p * d * c)}
	summary := fmt.Sprintf("Drawn from stcnn.DefaultConfig (MNIST, executed on one 28x28 image): patch matrix %s (D = %d); primal U %s, hidden %dx%d, v %s, output %s; dual gates %s, masks Q and signs s %s, w and w' %s each, output %s. Trainable values: primal %d, dual %d.",
		sh("Patches(Y)"), d, sh("U"), i, k, sh("v"), sh("f(Y)"), sh("gates ubar"), sh("Q"), sh("w"), sh("sum_j Q_j Y(w'_j - w_j)"), k*d+c*k, 2*p*d*c)
	set := Fig3Settings{Primal: pcfg, Dual: dcfg, Image: [3]int{h, w, 1},
		Why: "the sizes are those of the project's MNIST configuration; the paper's Fig. 3 draws no sizes"}
	return &Result{Files: files, Summary: summary, Agrees: "n/a", Metrics: metrics, Data: shapes, Settings: set}, nil
}

// ---- Fig. 4 ----
