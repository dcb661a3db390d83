/*
 * report.c — nncc --report: the graph in schedule order, a node (a fused
 * kernel is one node, marked *) a line: its FLOPs, the bytes it moves (its
 * inputs read once and its output written: the traffic fusion saves), its
 * arena offset and size; then the totals.
 */
#include "nncc.h"

static const char *phase_name[] = {"forward", "backward", "update"};

void report(Ctx *c, FILE *f, const Ctx *u)
{
	const Recipe *r = &c->recipe;
	double total[3] = {0}, moved[3] = {0};
	long inplace = 0;
	int ninplace = 0;
	fprintf(f, "model %s: batch %d, %d nodes (%d scheduled)\n\n", r->name,
	        r->batch, c->nnodes, c->nsched);
	fprintf(f, "%-5s %-17s %-8s %-16s %10s %10s %10s %10s  %s\n", "node",
	        "op", "phase", "shape", "MFLOP", "MB moved", "offset", "bytes",
	        "line");
	for (int k = 0; k < c->nsched; k++) {
		Node *n = ir_node(c, c->sched[k]);
		double fl = n->op->flops ? n->op->flops(c, n) : 0;
		double mv = node_bytes(c, n);
		total[n->phase] += fl;
		moved[n->phase] += mv;
		if (plan_inplace(c, n)) {
			inplace += node_numel(c, n);
			ninplace++;
		}
		fprintf(f, "%%%-4d %-17s %-8s %-16s %10.3f %10.3f ", n->id,
		        ctx_sprintf(c, "%s%s", n->op->name,
		                    n->op->traits & OT_FUSED ? "*" : ""),
		        phase_name[n->phase], shape_str(c, &n->shape), fl / 1e6,
		        mv / 1e6);
		if (n->st == ST_ARENA)
			fprintf(f, "%10ld %10ld", n->off * 4, node_numel(c, n) * 4);
		else
			fprintf(f, "%10s %10s", "-", "-");
		fprintf(f, "  %d\n", n->pos.line);
	}
	fprintf(f, "\n(* a fused kernel)\n");
	fprintf(f, "FLOPs per step: forward %.3f M, backward %.3f M, update "
	           "%.3f M\n", total[0] / 1e6, total[1] / 1e6, total[2] / 1e6);
	fprintf(f, "bytes moved:    forward %.3f MB, backward %.3f MB, update "
	           "%.3f MB\n", moved[0] / 1e6, moved[1] / 1e6, moved[2] / 1e6);
	fprintf(f, "parameters:      %10ld bytes\n", c->nparam * 4);
	fprintf(f, "gradients:       %10ld bytes\n", c->ngrad * 4);
	fprintf(f, "optimizer state: %10ld bytes\n", c->nstate * 4);
	fprintf(f, "arena (peak):    %10ld bytes\n", c->narena * 4);
	fprintf(f, "naive sum:       %10ld bytes  (arena is %.1f%% of it)\n",
	        c->naive_arena * 4,
	        c->naive_arena ? 100.0 * c->narena / c->naive_arena : 0.0);
	fprintf(f, "in place:        %10ld bytes  (%d outputs over their input)\n",
	        inplace * 4, ninplace);
	if (u)   /* what fusion saved: the same model with every fusion off */
		fprintf(f, "unfused:         %10ld bytes arena, %ld bytes naive sum "
		           "(this arena is %.1f%% of that)\n", u->narena * 4,
		        u->naive_arena * 4,
		        u->naive_arena ? 100.0 * c->narena / u->naive_arena : 0.0);
}
