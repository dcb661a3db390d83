/*
 * model_glue.c — the generated mnist_mlp model, compiled with its main()
 * left out, plus the one thing the driver test needs that the public API
 * does not give: the RtState inside the (opaque) model struct, which
 * rt_train_main's RtModel.state callback must return.  The generated
 * main() has the same callback; this is its twin.
 *
 * Everything else in tests/trainer/test_trainer.c goes through the public
 * API of generated/mnist_mlp.h only.
 */
#define NNCC_NO_MAIN 1
#include "mnist_mlp.c"

RtState *test_model_state(void *m);

RtState *test_model_state(void *m)
{
	return &((mnist_mlp *)m)->state;
}
