/*
 * compose-parts.c: the actions of the fetcher and summer machines and the
 * worker thread.  Built, with their generated machines, into a library of
 * their own (libcompose-parts), as a protocol handler shipped separately
 * would be; test-compose links it beside the hub.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "machines/compose_fetch.h"
#include "machines/compose_sum.h"

/* ---- the worker thread -------------------------------------------------- */

void compose_ctx_init(struct compose_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    pthread_mutex_init(&ctx->mu, NULL);
    pthread_cond_init(&ctx->cv, NULL);
}

void compose_ctx_close(struct compose_ctx *ctx)
{
    pthread_mutex_lock(&ctx->mu);
    ctx->closing = true;
    pthread_cond_signal(&ctx->cv);
    pthread_mutex_unlock(&ctx->mu);
}

/* Squares numbers until closed; what is left when closed is dropped (its
 * owners see broken futures). */
void *compose_worker(void *arg)
{
    struct compose_ctx *ctx = arg;

    pthread_mutex_lock(&ctx->mu);
    for (;;) {
        while (ctx->njobs == 0 && !ctx->closing)
            pthread_cond_wait(&ctx->cv, &ctx->mu);
        if (ctx->njobs == 0)
            break;
        struct compose_job job = ctx->jobs[--ctx->njobs];
        ctx->worker_jobs++;
        pthread_mutex_unlock(&ctx->mu);
        long *sq = malloc(sizeof *sq);
        *sq = job.n * job.n;
        if (rotor_promise_resolve(job.reply, sq, free) != 0)
            abort();
        rotor_promise_free(job.reply);
        pthread_mutex_lock(&ctx->mu);
    }
    pthread_mutex_unlock(&ctx->mu);
    return NULL;
}

/* ---- fetcher ------------------------------------------------------------ */

void fetcher_create(struct fetcher *self, rotor_scope *s,
                    const rotor_event *ev)
{
    const struct fetch_seed *seed = rotor_event_data(ev);
    struct compose_ctx *ctx = fetcher_context(s);
    struct rotor_future *f;
    struct rotor_promise *p;

    self->n = seed->n;
    self->to_hub = seed->to_hub;
    if (rotor_future_new(s, fetcher_fu_square, &f, &p) < 0)
        abort();
    pthread_mutex_lock(&ctx->mu);
    ctx->jobs[ctx->njobs++] = (struct compose_job){ self->n, p };
    pthread_cond_signal(&ctx->cv);
    pthread_mutex_unlock(&ctx->mu);
}

void fetcher_destroy(struct fetcher *self, rotor_scope *s,
                     const rotor_event *ev)
{
    /* Unresolved if we end early: the hub sees a broken future. */
    rotor_promise_free(self->to_hub);
    fetcher_context(s)->fetchers_done++;
}

/* Passes the worker's value on: ownership moves from our future to the
 * hub's, without a copy. */
void fetcher_pass(struct fetcher *self, rotor_scope *s, const rotor_event *ev)
{
    long *sq = rotor_future_take(rotor_event_future(ev));

    if (!sq || rotor_promise_resolve(self->to_hub, sq, free) != 0)
        abort();
}

/* ---- summer ------------------------------------------------------------- */

void summer_create(struct summer *self, rotor_scope *s, const rotor_event *ev)
{
    self->total_promise = rotor_event_data(ev);
}

void summer_destroy(struct summer *self, rotor_scope *s,
                    const rotor_event *ev)
{
    rotor_promise_free(self->total_promise);
    summer_context(s)->summers_done++;
}

void summer_add(struct summer *self, rotor_scope *s, const rotor_event *ev)
{
    long *v = rotor_event_data(ev);

    self->total += *v;
    self->added++;
    free(v);
}

void summer_finish(struct summer *self, rotor_scope *s, const rotor_event *ev)
{
    long *total = malloc(sizeof *total);

    *total = self->total;
    if (rotor_promise_resolve(self->total_promise, total, free) != 0)
        abort();
}
