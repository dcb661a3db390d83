/* conv_depthwise.ref.c — the reference of conv_depthwise.lua: see conv.ref.h */
#include "conv.ref.h"
