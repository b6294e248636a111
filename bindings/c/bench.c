/* The C benchmark on the shared workloads (../shared/bench, read as $TANDEM_BENCH or
 * ../shared/bench from the repository root): what one call through the C ABI costs, boundary
 * included. Prints one line per measurement: the median and the fastest of 7 runs (on a shared
 * machine the fastest is the least disturbed); BENCHMARKS.md has the numbers
 * and the commands. It measures and asserts nothing about time.
 *
 *     cargo build --release -p tandem-ffi
 *     cc -O2 -I sdk-ffi/include bindings/c/bench.c -L target/release -ltandem_ffi -lpthread \
 *         -o target/release/tandem-c-bench
 *     LD_LIBRARY_PATH=target/release ./target/release/tandem-c-bench
 */
#define _POSIX_C_SOURCE 199309L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tandem.h"

#define S(literal) (literal), (sizeof(literal) - 1)
enum { RUNS = 7 };

static char *read_workload(const char *name, size_t *len) {
    const char *dir = getenv("TANDEM_BENCH");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/bench", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot read %s (set TANDEM_BENCH to the shared bench folder)\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    *len = fread(text, 1, (size_t)size, f);
    text[*len] = 0;
    fclose(f);
    return text;
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static tandem_client *load(const char *name) {
    size_t len;
    char *config = read_workload(name, &len);
    tandem_client *client = NULL;
    if (tandem_client_new(config, len, NULL, &client) != TANDEM_STATUS_OK) {
        fprintf(stderr, "%s does not load\n", name);
        exit(2);
    }
    free(config);
    return client;
}

typedef void (*op)(tandem_client *, tandem_context *);

static void targeted(tandem_client *c, tandem_context *ctx) {
    bool on;
    tandem_client_get_bool(c, S("w2-targeted"), ctx, false, &on, NULL);
}

static void static_flag(tandem_client *c, tandem_context *ctx) {
    bool on;
    tandem_client_get_bool(c, S("w1-static"), ctx, false, &on, NULL);
}

static void split(tandem_client *c, tandem_context *ctx) {
    tandem_result *r = NULL;
    const char *v;
    size_t n;
    tandem_client_get_string(c, S("w3-split"), ctx, S("a"), &r);
    tandem_result_string(r, &v, &n);
    tandem_result_free(r);
}

static void targeted_details(tandem_client *c, tandem_context *ctx) {
    bool on;
    tandem_result *r = NULL;
    tandem_client_get_bool(c, S("w2-targeted"), ctx, false, &on, &r);
    tandem_result_free(r);
}

static void evaluate_all(tandem_client *c, tandem_context *ctx) {
    tandem_outcomes *o = NULL;
    tandem_client_evaluate_all(c, ctx, &o);
    tandem_outcomes_free(o);
}

static void evaluate_all_and_read(tandem_client *c, tandem_context *ctx) {
    tandem_outcomes *o = NULL;
    tandem_read read;
    tandem_client_evaluate_all(c, ctx, &o);
    size_t n = tandem_outcomes_count(o);
    for (size_t i = 0; i < n; i++) tandem_outcomes_read_index(o, i, TANDEM_FLAG_TYPE_ANY, &read);
    tandem_outcomes_free(o);
}

/* ns per call: the median of RUNS runs of `iterations` calls; the fastest in *best. */
static double measure_runs(tandem_client *c, tandem_context *ctx, op f, long iterations,
                           double *best) {
    double runs[RUNS];
    for (long i = 0; i < iterations / 10; i++) f(c, ctx); /* warm-up */
    for (int r = 0; r < RUNS; r++) {
        double start = now_ns();
        for (long i = 0; i < iterations; i++) f(c, ctx);
        runs[r] = (now_ns() - start) / (double)iterations;
    }
    qsort(runs, RUNS, sizeof runs[0], by_value);
    *best = runs[0];
    return runs[RUNS / 2];
}

static void report(const char *what, tandem_client *c, tandem_context *ctx, op f,
                   long iterations) {
    double best;
    double median = measure_runs(c, ctx, f, iterations, &best);
    printf("  %-44s %9.1f ns median %9.1f ns best\n", what, median, best);
}

typedef struct {
    tandem_client *client;
    tandem_context *ctx;
    long iterations;
} worker;

static void *evaluate_loop(void *arg) {
    worker *w = arg;
    for (long i = 0; i < w->iterations; i++) targeted(w->client, w->ctx);
    return NULL;
}

typedef struct {
    tandem_client *client;
    const char *config;
    size_t len;
    atomic_int *stop;
    long updates;
} updater;

static void *update_loop(void *arg) {
    updater *u = arg;
    const struct timespec millisecond = {0, 1000000};
    while (!atomic_load(u->stop)) {
        tandem_client_update(u->client, u->config, u->len);
        u->updates++;
        nanosleep(&millisecond, NULL);
    }
    return NULL;
}

/* Wall time per evaluation of 2 threads evaluating the targeted flag, with or without a third
 * thread updating the config every millisecond. */
static double throughput(tandem_client *client, tandem_context *ctx, int with_updates,
                         long *updates) {
    size_t len;
    char *config = read_workload("w1-w3.flagd.json", &len);
    const long per_thread = 2000000;
    atomic_int stop = 0;
    updater up = {client, config, len, &stop, 0};
    pthread_t threads[3];
    worker w = {client, ctx, per_thread};
    double start = now_ns();
    if (with_updates) pthread_create(&threads[2], NULL, update_loop, &up);
    pthread_create(&threads[0], NULL, evaluate_loop, &w);
    pthread_create(&threads[1], NULL, evaluate_loop, &w);
    pthread_join(threads[0], NULL);
    pthread_join(threads[1], NULL);
    double elapsed = now_ns() - start;
    atomic_store(&stop, 1);
    if (with_updates) pthread_join(threads[2], NULL);
    *updates = up.updates;
    free(config);
    return elapsed / (double)(2 * per_thread);
}

int main(void) {
    size_t len;
    char *static_context = read_workload("static-context.json", &len);
    tandem_context *ctx = NULL;
    tandem_context_from_json(static_context, len, &ctx);
    free(static_context);
    tandem_client *w13 = load("w1-w3.flagd.json");
    tandem_client *w4 = load("w4-50-flags.flagd.json");
    printf("C ABI, prebuilt context handle (static-context.json), %d runs:\n", RUNS);
    report("get_bool   w1-static (no result)", w13, ctx, static_flag, 2000000);
    report("get_bool   w2-targeted (no result)", w13, ctx, targeted, 2000000);
    report("get_bool   w2-targeted + result handle", w13, ctx, targeted_details, 1000000);
    report("get_string w3-split (result, read, free)", w13, ctx, split, 1000000);
    report("evaluate_all w4 50 flags (+ free)", w4, ctx, evaluate_all, 100000);
    report("evaluate_all w4 + read all 50 (log on read)", w4, ctx, evaluate_all_and_read, 50000);
    long updates = 0;
    double alone = throughput(w13, ctx, 0, &updates);
    printf("  2 threads, w2-targeted, no updates          %8.1f ns/eval (wall)\n", alone);
    double busy = throughput(w13, ctx, 1, &updates);
    printf("  2 threads, w2-targeted, update every 1 ms   %8.1f ns/eval (wall), %ld updates\n",
           busy, updates);
    tandem_context_free(ctx);
    tandem_client_free(w4);
    tandem_client_free(w13);
    return 0;
}
