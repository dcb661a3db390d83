/*
 * sched_harness.c — the C side of tests/reference/sched_ref.py: the
 * learning rates the runtime's schedules give (rt_lr, rt_plateau_step),
 * printed for torch.optim.lr_scheduler to check.
 *
 *   sched_harness < CASES
 *
 * Each line of CASES is one case, "NAME key=value …": sched (RT_SCHED_*),
 * epochs, nbatch, lr, every, gamma, warmup, warmup_start, min_lr, factor,
 * patience, threshold, cooldown set the RtRecipe; losses=v,v,… gives the
 * validation loss of each epoch (the plateau schedule steps on it).  For
 * every step k = epoch·nbatch + i it prints the lr the trainer's driver
 * would set, rt_lr at e = epoch + i/nbatch, and after each epoch's steps
 * calls rt_plateau_step with that epoch's loss, as the driver does:
 *
 *   NAME lr0 lr1 …                 (epochs·nbatch numbers, %.9g)
 *
 * Exit 0, or 1 with a message on stderr.
 *
 *   cc -std=c11 -Iruntime sched_harness.c build/libnncc_rt.a -lm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nncc_rt.h"

enum { MAXEPOCHS = 1000 };

/* Sets key k of the case from value v; -1 if k is unknown. */
static int set(RtRecipe *r, int *nbatch, double *loss, int *nloss,
               const char *k, char *v)
{
	if (!strcmp(k, "losses")) {
		for (char *t = strtok(v, ","); t && *nloss < MAXEPOCHS;
		     t = strtok(NULL, ","))
			loss[(*nloss)++] = strtod(t, NULL);
		return 0;
	}
	double x = strtod(v, NULL);
	if (!strcmp(k, "sched")) r->sched = (int)x;
	else if (!strcmp(k, "epochs")) r->epochs = (int)x;
	else if (!strcmp(k, "nbatch")) *nbatch = (int)x;
	else if (!strcmp(k, "lr")) r->lr = (float)x;
	else if (!strcmp(k, "every")) r->sched_every = (float)x;
	else if (!strcmp(k, "gamma")) r->sched_gamma = x;
	else if (!strcmp(k, "warmup")) r->warmup = (float)x;
	else if (!strcmp(k, "warmup_start")) r->warmup_start = (float)x;
	else if (!strcmp(k, "min_lr")) r->min_lr = (float)x;
	else if (!strcmp(k, "factor")) r->plateau_factor = (float)x;
	else if (!strcmp(k, "patience")) r->plateau_patience = (int)x;
	else if (!strcmp(k, "threshold")) r->plateau_threshold = (float)x;
	else if (!strcmp(k, "cooldown")) r->plateau_cooldown = (int)x;
	else return -1;
	return 0;
}

int main(void)
{
	static char line[1 << 16];
	static double loss[MAXEPOCHS];
	while (fgets(line, sizeof line, stdin)) {
		RtRecipe r;
		RtState s;
		int nbatch = 1, nloss = 0;
		memset(&r, 0, sizeof r);
		memset(&s, 0, sizeof s);
		char *save, *name = strtok_r(line, " \n", &save);
		if (!name)
			continue;
		for (char *kv; (kv = strtok_r(NULL, " \n", &save));) {
			char *eq = strchr(kv, '=');
			if (!eq || (*eq = 0, set(&r, &nbatch, loss, &nloss, kv,
			                         eq + 1) < 0)) {
				fprintf(stderr, "sched_harness: %s: bad key '%s'\n", name,
				        kv);
				return 1;
			}
		}
		if (r.epochs < 1 || r.epochs > MAXEPOCHS || nbatch < 1 ||
		    (r.sched == RT_SCHED_PLATEAU && nloss != r.epochs)) {
			fprintf(stderr, "sched_harness: %s: bad epochs, nbatch or "
			                "losses\n", name);
			return 1;
		}
		rt_plateau_reset(&r, &s);
		printf("%s", name);
		for (int e = 0; e < r.epochs; e++) {
			for (int i = 0; i < nbatch; i++)
				printf(" %.9g", (double)rt_lr(&r, &s, e + (double)i / nbatch));
			if (nloss)
				rt_plateau_step(&r, &s, loss[e]);
		}
		printf("\n");
	}
	return 0;
}
