/* bn_relu4d.ref.c — bn.ref.c with ReLU after the first batch norm */
#include "bn.ref.c"
