/* conv_stride2_phases.ref.c — the reference of conv_stride2_phases.lua: see conv.ref.h */
#include "conv.ref.h"
