/*
 * ops.h — the op registry, one row per op.  Each row X(name) refers to
 * `const OpDef op_name`, defined in compiler/ops/<file>.c.  Includers define
 * X to expand the list (declarations in nncc.h, the table in ir.c).
 */
/* sources */
X(input) X(label) X(target) X(param)
/* linear algebra */
X(matmul) X(bias_add) X(bias_grad)
/* elementwise */
X(relu) X(relu_grad) X(sigmoid) X(sigmoid_grad) X(tanh) X(tanh_grad)
X(add) X(copy)
/* shape */
X(reshape)
/* losses */
X(softmax_ce) X(softmax_ce_grad) X(mse) X(mse_grad)
/* optimizer updates */
X(sgd_update) X(adam_update)
/* convolution and pooling (ops/conv.c, ops/pool.c) */
/* normalization and dropout (ops/norm.c, ops/dropout.c) */
/* more pointwise ops, softmax, mul, concat, embedding */
/* more losses (ops/loss.c) */
