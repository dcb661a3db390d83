/* conv_bn_planes.ref.c — the reference of conv_bn_planes.lua: see conv.ref.h */
#include "conv.ref.h"
