/* conv_depthwise_wide.ref.c — the reference of conv_depthwise_wide.lua: see conv.ref.h */
#include "conv.ref.h"
