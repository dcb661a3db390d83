/* conv_stride2.ref.c — the reference of conv_stride2.lua: see conv.ref.h */
#include "conv.ref.h"
