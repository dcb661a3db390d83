/* maxpool_odd.ref.c — the reference of maxpool_odd.lua: see conv.ref.h */
#include "conv.ref.h"
