/* mul_self.ref.c — the reference is mul.ref.c's */
#include "mul.ref.c"
