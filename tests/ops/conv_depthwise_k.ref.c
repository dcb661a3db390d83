/* conv_depthwise_k.ref.c — the reference of conv_depthwise_k.lua: see conv.ref.h */
#include "conv.ref.h"
