/* conv_pad1.ref.c — the reference of conv_pad1.lua: see conv.ref.h */
#include "conv.ref.h"
