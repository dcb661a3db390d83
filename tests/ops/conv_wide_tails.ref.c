/* conv_wide_tails.ref.c — the reference of conv_wide_tails.lua: see conv.ref.h */
#include "conv.ref.h"
