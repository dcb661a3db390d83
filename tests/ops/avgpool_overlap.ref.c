/* avgpool_overlap.ref.c — the reference of avgpool_overlap.lua: see conv.ref.h */
#include "conv.ref.h"
