/* bn_relu_pool.ref.c — bn.ref.c with ReLU and 2x2 max pooling */
#include "bn.ref.c"
