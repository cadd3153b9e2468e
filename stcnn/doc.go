// Package stcnn implements the two-layer soft-thresholding CNN denoiser of
// Xiong et al., "Convex Dual Theory Analysis of Two-Layer Convolutional Neural
// Networks With Soft-Thresholding" (IEEE TNNLS 2024), as GoMLX graphs.
//
// Notation follows the paper. Y is a batch of noisy images (N x H x W x C), X
// the clean ones. Patches (eq. 21, Fig. 6) turn every "same"-padded m x m
// convolution into a matrix product: the patch matrix has I = N*H*W rows and
// D = m*m*C columns, so a convolution with a filter u is Y u.
//
// Primal ST-CNN (eqs. 20-21), K filters u_k in R^D and second-layer weights
// v_k in R^C:
//
//	f(Y) = sum_k ST_l(Y u_k) v_k^T,   ST_l(a) = sign(a) max(|a| - l, 0)
//	p    = (1/N) ||f(Y) - X||_F^2 + beta sum_k (||u_k||^2 + ||v_k||^2)
//
// Dual ST-CNN (eqs. 22-24): P gate filters ubar_j are sampled once; for
// every patch i, g_ij = y_i . ubar_j, the mask is Q_ij = ST_l(g_ij)/g_ij where
// |g_ij| >= l and 0 elsewhere (eq. 23), and the sign region is
// s_ij = sign(g_ij) where |g_ij| >= l, else 0. The trainable variables are
// w_jc, w'_jc in R^D, one pair per gate j and output channel c:
//
//	f(Y)_c = sum_j Q_j (.) (Y (w'_jc - w_jc))
//	d      = (1/N) ||f(Y) - X||_F^2 + 2 beta sum_jc (||w_jc|| + ||w'_jc||)
//	         + rho (1/N) sum_ijc [relu(-s_ij y_i.w_jc) + relu(-s_ij y_i.w'_jc)]
//
// The last term is the hinge penalty that replaces the sign constraints of
// eq. 24 (the paper's Remark under Theorem 1). Masks depend only on the input
// and the fixed gates, so they are computed per batch inside the graph and
// never stored for a whole data set.
//
// Normalisation: both objectives sum the squared error over the pixels of an
// image and average over images (the PyTorch reference in shared/bench does
// the same), so beta and rho weigh against a per-image error.
//
// A primal network is rebuilt from a dual solution by eq. 47; because ST is
// not positively homogeneous the rebuilt primal need not attain the dual
// objective, and RebuildPrimal plus Evaluate measure the difference: for
// lambda > 0 the measured gap is real and large, and the paper's zero-gap
// claim fails.
//
// Every model is a Network: it creates its own variables (Init), names its
// task, its hidden width (which sizes the memory-bounding chunks,
// ChunkRanges) and its penalties, and builds its prediction, per-image
// terms and weight penalty as graphs. PrimalModel, DualModel and the ResNet
// denoiser of Fig. 19 (ResNetModel) regress images (squared error, PSNR);
// the classifier head of Fig. 18 (ClassifierHead), trained on a frozen
// denoiser's outputs, classifies them (cross-entropy against one-hot
// labels, OneHotTargets; accuracy). Trainer steps and evaluates any of them
// without asking which it is, and package training runs the one training
// loop.
//
// # The dual is a relaxation, not an equivalent
//
// With every gate available, any primal neuron (u, v) with one output
// channel is a dual unit: take the gate ubar = u, so that its mask gives
// Q (.) Y u = ST_l(Y u) exactly, and w' - w = v u (on w' when v > 0, on w
// otherwise). Its sign constraints s_i y_i . w = |v| |y_i . u| >= 0 hold,
// the outputs agree, and its penalty 2 beta |v| ||u|| is at most the
// primal's beta (||u||^2 + v^2) (equal when ||u|| = |v|). Hence
//
//	min over the full dual  <=  min over the primal,
//
// the full dual's optimum is a lower bound on the primal's. The converse,
// which the paper's zero-gap claim (Theorem 2) needs, fails for l > 0: a
// dual unit Q_j (.) Y w with w not parallel to its gate ubar_j is not an ST
// neuron (ST_l(Y w/a) a has threshold l a and the mask of w, not of
// ubar_j), so the dual's optimum can lie strictly below every primal
// network's, and the gap measured by MeasureGap is a property of the
// problem, not of the solver. With a finite sample of P gates the dual is
// not even a lower bound (the primal's directions are usually not among
// the gates). With several output channels and one group norm per channel
// (this package's colour dual) the dual penalty 2 beta ||u|| sum_c |v_c|
// can exceed beta (||u||^2 + ||v||^2), so that dual is not a relaxation of
// the colour primal either. TestRelaxation checks the identity
// dual - primal = sum_k [2 beta ||u_k|| sum_c |v_ck| - beta (||u_k||^2 + ||v_k||^2)]
// on real images.
package stcnn
