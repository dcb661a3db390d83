/* layernorm3d.ref.c — the reference of layernorm3d is layernorm.ref.c's. */
#include "layernorm.ref.c"
