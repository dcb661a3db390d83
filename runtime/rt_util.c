/*
 * rt_util.c — errors, the clock and the progress line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "nncc_rt.h"

int
rt_fail(RtErr *e, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

double
rt_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The progress line is for a person watching a terminal.  Piped into a
 * file it would be hundreds of carriage returns, so off a TTY (and under
 * --quiet) it is not drawn at all.  p->last < 0 means nothing drawn yet. */
void
rt_progress_start(RtProgress *p, int epoch, int epochs, int nbatch, int batch,
                  int quiet)
{
	p->tty = isatty(STDERR_FILENO);
	p->quiet = quiet;
	p->epoch = epoch;
	p->epochs = epochs;
	p->nbatch = nbatch;
	p->batch = batch;
	p->t0 = rt_seconds();
	p->last = -1;
}

/* Redraws at most ten times a second, and always for the last batch so
 * the line ends on the true count. */
void
rt_progress_step(RtProgress *p, int i, float loss)
{
	double now, dt, rate, eta;

	if (!p->tty || p->quiet)
		return;
	now = rt_seconds();
	if (p->last >= 0 && now - p->last < 0.1 && i + 1 < p->nbatch)
		return;
	p->last = now;
	dt = now - p->t0;
	rate = dt > 0 ? (double)(i + 1) * p->batch / dt : 0;
	eta = i + 1 > 0 ? dt / (i + 1) * (p->nbatch - i - 1) : 0;
	fprintf(stderr, "\r  epoch %d/%d  batch %d/%d  loss %.4f  %.0f samples/s"
	        "  eta %.0fs\033[K", p->epoch + 1, p->epochs, i + 1, p->nbatch,
	        loss, rate, eta);
	fflush(stderr);
}

void
rt_progress_end(RtProgress *p)
{
	if (!p->tty || p->quiet || p->last < 0)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->last = -1;
}
