/*
 * layers.h — the layers of the Lua vocabulary, one row each: X(name) refers
 * to `const LayerDef layer_name` in compiler/ops/<file>.c.
 */
X(linear)
/* convolution and pooling */
/* normalization and dropout */
/* configured pointwise ops, reshape, embedding */
