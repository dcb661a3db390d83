/* nll_smoothing_weights.ref.c — the reference of the loss tests: loss.ref.h. */
#include "loss.ref.h"
