/* concat_channels.ref.c — the reference is concat.ref.c's */
#include "concat.ref.c"
