/* maxpool.ref.c — the reference of maxpool.lua: see conv.ref.h */
#include "conv.ref.h"
