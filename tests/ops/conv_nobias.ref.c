/* conv_nobias.ref.c — the reference of conv_nobias.lua: see conv.ref.h */
#include "conv.ref.h"
