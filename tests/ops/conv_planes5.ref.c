/* conv_planes5.ref.c — the reference of conv_planes5.lua: see conv.ref.h */
#include "conv.ref.h"
