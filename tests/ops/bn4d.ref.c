/* bn4d.ref.c — the reference of bn4d is bn.ref.c's. */
#include "bn.ref.c"
