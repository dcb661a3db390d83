/* conv_residual.ref.c — the reference of conv_residual.lua: see conv.ref.h */
#include "conv.ref.h"
