/* conv.ref.c — the reference of conv.lua: see conv.ref.h */
#include "conv.ref.h"
