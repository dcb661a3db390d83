/*
 * ops.h — the op registry, one row per op.  Each row X(name) refers to
 * `const OpDef op_name`, defined in compiler/ops/<file>.c.  Includers define
 * X to expand the list (declarations in nncc.h, the table in ir.c).
 */
/* sources */
X(input) X(label) X(target) X(param) X(block)
/* linear algebra */
X(matmul) X(matmul_sgd) X(bias_add) X(bias_grad)
/* elementwise */
X(relu) X(relu_grad) X(sigmoid) X(sigmoid_grad) X(tanh) X(tanh_grad)
X(add) X(copy)
/* shape */
X(reshape)
/* losses */
X(softmax_ce) X(softmax_ce_grad) X(mse) X(mse_grad)
/* optimizer updates */
X(sgd_update) X(adam_update) X(adagrad_update) X(rmsprop_update)
X(adabound_update) X(clip_scale)
/* convolution and pooling (ops/conv.c, ops/pool.c) */
X(conv2d) X(conv2d_dx) X(conv2d_dw) X(conv2d_dx_add)
X(maxpool) X(maxpool_grad) X(avgpool) X(avgpool_grad)
X(global_avgpool) X(global_avgpool_grad)
/* normalization and dropout (ops/norm.c, ops/dropout.c) */
X(bn_stats) X(bn_apply) X(bn_gamma_grad) X(bn_dx) X(bn_running)
X(bn_sums) X(bn_add_relu) X(bn_relu) X(bn_relu_sums) X(bn_pick) X(bn_relu_dx)
X(bn_relu_pool) X(bn_relu_pool_sums) X(bn_relu_pool_dx)
X(ln_stats) X(ln_apply) X(ln_gamma_grad) X(ln_dx) X(sum_rows) X(dropout)
/* more pointwise ops, softmax, mul, concat, embedding */
X(leaky_relu) X(leaky_relu_grad) X(gelu) X(gelu_grad) X(mul)
X(softmax) X(softmax_grad) X(log_softmax) X(log_softmax_grad)
X(concat) X(slice) X(embedding) X(embedding_grad)
/* more losses (ops/loss.c) */
X(l1) X(l1_grad) X(sigmoid_bce) X(sigmoid_bce_grad) X(nll) X(nll_grad)
/* the moving average of the weights (ops/ema.c) */
X(ema_update)
/* fused pairs made by the fusion pass (fuse.c) */
X(ew_act) X(gemm_epi)
