/* conv_dilation2.ref.c — the reference of conv_dilation2.lua: see conv.ref.h */
#include "conv.ref.h"
