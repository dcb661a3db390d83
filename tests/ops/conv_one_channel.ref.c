/* conv_one_channel.ref.c — the reference of conv_one_channel.lua: see conv.ref.h */
#include "conv.ref.h"
