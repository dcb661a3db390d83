/* conv_direct.ref.c — the reference of conv_direct.lua: see conv.ref.h */
#include "conv.ref.h"
