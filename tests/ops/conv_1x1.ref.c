/* conv_1x1.ref.c — the reference of conv_1x1.lua: see conv.ref.h */
#include "conv.ref.h"
