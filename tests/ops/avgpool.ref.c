/* avgpool.ref.c — the reference of avgpool.lua: see conv.ref.h */
#include "conv.ref.h"
