/* maxpool_wide.ref.c — the reference of maxpool_wide.lua: see conv.ref.h */
#include "conv.ref.h"
