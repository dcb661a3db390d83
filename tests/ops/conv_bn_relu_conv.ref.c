/* conv_bn_relu_conv.ref.c — the reference of conv_bn_relu_conv.lua: see conv.ref.h */
#include "conv.ref.h"
