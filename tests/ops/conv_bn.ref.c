/* conv_bn.ref.c — the reference of conv_bn.lua: see conv.ref.h */
#include "conv.ref.h"
