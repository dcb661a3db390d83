/* log_softmax.ref.c — the reference is softmax.ref.c's */
#include "softmax.ref.c"
