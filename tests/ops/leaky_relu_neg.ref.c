/* leaky_relu_neg.ref.c — the reference is leaky_relu.ref.c's */
#include "leaky_relu.ref.c"
