/* bn_relu.ref.c — bn.ref.c with ReLU after the batch norm */
#include "bn.ref.c"
