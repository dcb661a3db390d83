/* conv_dx_phases.ref.c — the reference of conv_dx_phases.lua: see conv.ref.h */
#include "conv.ref.h"
