/* global_avgpool.ref.c — the reference of global_avgpool.lua: see conv.ref.h */
#include "conv.ref.h"
