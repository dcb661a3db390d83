/* maxpool_short.ref.c — the reference of maxpool_short.lua: see conv.ref.h */
#include "conv.ref.h"
