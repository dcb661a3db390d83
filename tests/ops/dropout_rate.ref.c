/* dropout_rate.ref.c — the reference of dropout_rate is dropout.ref.c's. */
#include "dropout.ref.c"
