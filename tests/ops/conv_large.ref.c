/* conv_large.ref.c — the reference of conv_large.lua: see conv.ref.h */
#include "conv.ref.h"
