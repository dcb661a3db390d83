/* maxpool_overlap.ref.c — the reference of maxpool_overlap.lua: see conv.ref.h */
#include "conv.ref.h"
