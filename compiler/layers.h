/*
 * layers.h — the layers of the Lua vocabulary, one row each: X(name) refers
 * to `const LayerDef layer_name` in compiler/ops/<file>.c.
 */
X(linear)
/* convolution and pooling */
X(conv2d) X(maxpool) X(avgpool)
/* normalization and dropout */
X(batchnorm) X(layernorm) X(dropout)
/* configured pointwise ops, reshape, embedding */
X(leaky_relu) X(reshape) X(embedding)
