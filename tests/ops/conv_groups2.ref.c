/* conv_groups2.ref.c — the reference of conv_groups2.lua: see conv.ref.h */
#include "conv.ref.h"
