/* Several threads evaluate on one client while another updates its config every millisecond;
 * afterwards the events add up: every distinct unit exposed exactly once, nothing dropped. */
#define _POSIX_C_SOURCE 199309L /* nanosleep */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "json.h"
#include "tests.h"

enum { EVALUATORS = 4, UNITS_PER_THREAD = 1500 };

static const char CONFIG_A[] =
    "{\"revision\": \"a\", \"flags\": {\"checkout\": {\"state\": \"ENABLED\", \"variants\": "
    "{\"control\": \"blue\", \"green\": \"green\"}, \"defaultVariant\": \"control\"}},"
    "\"experiments\": {\"checkout-test\": {\"flag\": \"checkout\", \"status\": \"running\","
    "\"allocation\": [[\"control\", 1], [\"green\", 1]]}}}";
static const char CONFIG_B[] =
    "{\"revision\": \"b\", \"flags\": {\"checkout\": {\"state\": \"ENABLED\", \"variants\": "
    "{\"control\": \"blue\", \"green\": \"green\"}, \"defaultVariant\": \"control\"}},"
    "\"experiments\": {\"checkout-test\": {\"flag\": \"checkout\", \"status\": \"running\","
    "\"allocation\": [[\"control\", 1], [\"green\", 1]]}}}";

typedef struct {
    tandem_client *client;
    int thread;
    int bad; /* evaluations that were not a SPLIT to blue or green */
    atomic_int *running;
} evaluator;

static void *evaluate_units(void *arg) {
    evaluator *e = arg;
    tandem_context *ctx = NULL;
    if (tandem_context_new(&ctx) != TANDEM_STATUS_OK) {
        e->bad = UNITS_PER_THREAD;
        atomic_fetch_sub(e->running, 1);
        return NULL;
    }
    for (int i = 0; i < UNITS_PER_THREAD; i++) {
        char unit[64];
        int len = snprintf(unit, sizeof unit, "t%d-u%d", e->thread, i);
        tandem_context_set_string(ctx, S("targetingKey"), unit, (size_t)len);
        tandem_result *r = NULL;
        const char *value;
        size_t value_len;
        if (tandem_client_get_string(e->client, S("checkout"), ctx, S("none"), &r) !=
                TANDEM_STATUS_OK ||
            tandem_result_reason(r) != TANDEM_REASON_SPLIT ||
            !tandem_result_string(r, &value, &value_len) ||
            !(text_is(value, value_len, "blue") || text_is(value, value_len, "green"))) {
            e->bad++;
        }
        tandem_result_free(r);
    }
    tandem_context_free(ctx);
    atomic_fetch_sub(e->running, 1);
    return NULL;
}

typedef struct {
    tandem_client *client;
    atomic_int *running;
    int updates;
    int failed;
} updater;

static void *update_config(void *arg) {
    updater *u = arg;
    const struct timespec millisecond = {0, 1000000};
    do {
        const char *config = u->updates % 2 ? CONFIG_A : CONFIG_B;
        size_t len = u->updates % 2 ? sizeof CONFIG_A - 1 : sizeof CONFIG_B - 1;
        u->failed += tandem_client_update(u->client, config, len) != TANDEM_STATUS_OK;
        u->updates++;
        nanosleep(&millisecond, NULL);
    } while (atomic_load(u->running) > 0);
    return NULL;
}

void test_threads(void) {
    tandem_client_options options;
    OK(tandem_client_options_default(&options));
    options.events_capacity = 100000;
    options.exposure_dedup_capacity = 100000;
    tandem_client *client = NULL;
    OK(tandem_client_new(S(CONFIG_A), &options, &client));
    if (client == NULL) return;
    atomic_int running = EVALUATORS;
    pthread_t threads[EVALUATORS + 1];
    evaluator evaluators[EVALUATORS];
    updater up = {client, &running, 0, 0};
    pthread_create(&threads[EVALUATORS], NULL, update_config, &up);
    for (int t = 0; t < EVALUATORS; t++) {
        evaluators[t] = (evaluator){client, t, 0, &running};
        pthread_create(&threads[t], NULL, evaluate_units, &evaluators[t]);
    }
    for (int t = 0; t <= EVALUATORS; t++) pthread_join(threads[t], NULL);
    for (int t = 0; t < EVALUATORS; t++) {
        CHECK(evaluators[t].bad == 0, "thread %d: %d bad evaluations", t, evaluators[t].bad);
    }
    CHECK(up.updates >= 1 && up.failed == 0, "%d updates, %d failed", up.updates, up.failed);

    char *json = NULL;
    size_t len = 0;
    OK(tandem_client_drain_events(client, &json, &len));
    jvalue *events = json ? json_parse(json, len) : NULL;
    size_t exposures = 0, revisions_ok = 0;
    for (size_t i = 0; events && i < events->count; i++) {
        const jvalue *type = json_get(events->items[i], "type");
        const jvalue *revision = json_get(events->items[i], "revision");
        exposures += type && strcmp(type->string, "exposure") == 0;
        revisions_ok += revision && (strcmp(revision->string, "a") == 0 ||
                                     strcmp(revision->string, "b") == 0);
    }
    CHECK(exposures == EVALUATORS * UNITS_PER_THREAD, "%zu exposures", exposures);
    CHECK(revisions_ok == exposures, "every exposure names one of the two revisions");
    tandem_stats stats;
    OK(tandem_client_stats(client, &stats));
    CHECK(stats.dropped == 0 && stats.deduplicated == 0 && stats.queued == 0,
          "%" PRIu64 " dropped, %" PRIu64 " deduplicated, %" PRIu64 " queued", stats.dropped,
          stats.deduplicated, stats.queued);
    json_free(events);
    tandem_buf_free(json, len);
    tandem_client_free(client);
}
