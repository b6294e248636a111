/* Every function of tandem.h, on small configs written here. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "json.h"
#include "tests.h"

static const char FLAGS[] =
    "{\"revision\": \"r1\", \"flags\": {"
    "\"dark-mode\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false},"
    "  \"defaultVariant\": \"off\","
    "  \"targeting\": {\"if\": [{\"==\": [{\"var\": \"country\"}, \"SE\"]}, \"on\", null]}},"
    "\"page-size\": {\"state\": \"ENABLED\", \"variants\": {\"small\": 10, \"big\": 50},"
    "  \"defaultVariant\": \"big\"},"
    "\"ratio\": {\"state\": \"ENABLED\", \"variants\": {\"a\": 0.25}, \"defaultVariant\": \"a\"},"
    "\"greeting\": {\"state\": \"ENABLED\", \"variants\": {\"hej\": \"Hej!\", \"hi\": \"Hi!\"},"
    "  \"defaultVariant\": \"hi\","
    "  \"targeting\": {\"if\": [{\"==\": [{\"var\": \"user.lang\"}, \"sv\"]}, \"hej\", null]}},"
    "\"theme\": {\"state\": \"ENABLED\", \"variants\": {\"blue\": {\"color\": \"#00f\"}},"
    "  \"defaultVariant\": \"blue\"},"
    "\"off\": {\"state\": \"DISABLED\", \"variants\": {\"on\": true}, \"defaultVariant\": \"on\"}"
    "}}";

/* An experiment on `checkout` (every unit assigned: no audience, no layer). */
static const char EXPERIMENT[] =
    "{\"revision\": \"e1\", \"flags\": {"
    "\"checkout\": {\"state\": \"ENABLED\", \"variants\": {\"control\": \"blue\", \"green\": "
    "\"green\"}, \"defaultVariant\": \"control\"}},"
    "\"experiments\": {\"checkout-test\": {\"flag\": \"checkout\", \"status\": \"running\","
    "  \"sticky\": true, \"allocation\": [[\"control\", 1], [\"green\", 1]]}}}";

static tandem_client *client_with(const char *config, size_t len) {
    tandem_client *client = NULL;
    OK(tandem_client_new(config, len, NULL, &client));
    return client;
}

static tandem_context *se_context(void) {
    tandem_context *ctx = NULL;
    OK(tandem_context_new(&ctx));
    OK(tandem_context_set_string(ctx, S("targetingKey"), S("user-1")));
    OK(tandem_context_set_string(ctx, S("country"), S("SE")));
    OK(tandem_context_set_json(ctx, S("user"), S("{\"lang\": \"sv\"}")));
    return ctx;
}

/* How many events of `type` a drained JSON array holds. */
static size_t count_events(tandem_client *client, const char *type) {
    char *json = NULL;
    size_t len = 0, n = 0;
    OK(tandem_client_drain_events(client, &json, &len));
    jvalue *events = json ? json_parse(json, len) : NULL;
    CHECK(events != NULL && events->type == J_ARRAY, "events are not a JSON array");
    for (size_t i = 0; events && i < events->count; i++) {
        const jvalue *t = json_get(events->items[i], "type");
        n += t && strcmp(t->string, type) == 0;
    }
    json_free(events);
    tandem_buf_free(json, len);
    return n;
}

void test_typed_getters(void) {
    tandem_client *client = client_with(S(FLAGS));
    tandem_context *ctx = se_context();
    bool b = false;
    int64_t i = 0;
    double d = 0;
    tandem_result *r = NULL;
    const char *text;
    size_t len;

    OK(tandem_client_get_bool(client, S("dark-mode"), ctx, false, &b, NULL));
    CHECK(b, "dark-mode is on in SE");
    OK(tandem_client_get_bool(client, S("dark-mode"), ctx, false, &b, &r));
    CHECK(tandem_result_reason(r) == TANDEM_REASON_TARGETING_MATCH, "reason %u",
          tandem_result_reason(r));
    CHECK(tandem_result_error_code(r) == TANDEM_ERROR_CODE_NONE, "no error code");
    CHECK(tandem_result_variant(r, &text, &len) && text_is(text, len, "on"), "variant on");
    CHECK(tandem_result_value_json(r, &text, &len) && text_is(text, len, "true"), "value true");
    CHECK(tandem_result_flag_key(r, &text, &len) && text_is(text, len, "dark-mode"), "flag key");
    CHECK(!tandem_result_error_message(r, &text, &len), "no error message");
    CHECK(!tandem_result_experiment(r, &text, &len), "no experiment");
    CHECK(!tandem_result_string(r, &text, &len), "a boolean is not a string");
    tandem_result_free(r);

    OK(tandem_client_get_int(client, S("page-size"), ctx, 7, &i, NULL));
    CHECK(i == 50, "page-size %" PRId64, i);
    OK(tandem_client_get_double(client, S("ratio"), ctx, 1.0, &d, NULL));
    CHECK(d == 0.25, "ratio %g", d);
    OK(tandem_client_get_double(client, S("page-size"), ctx, 1.0, &d, NULL));
    CHECK(d == 50.0, "an integer is a number: %g", d);

    OK(tandem_client_get_string(client, S("greeting"), ctx, S("default"), &r));
    CHECK(tandem_result_string(r, &text, &len) && text_is(text, len, "Hej!"), "greeting");
    CHECK(tandem_result_value_json(r, &text, &len) && text_is(text, len, "\"Hej!\""), "JSON");
    tandem_result_free(r);

    /* Wrong types: the caller's default, ERROR / TYPE_MISMATCH, with a message. */
    OK(tandem_client_get_int(client, S("greeting"), ctx, 7, &i, &r));
    CHECK(i == 7, "the default on a type mismatch: %" PRId64, i);
    CHECK(tandem_result_reason(r) == TANDEM_REASON_ERROR, "reason ERROR");
    CHECK(tandem_result_error_code(r) == TANDEM_ERROR_CODE_TYPE_MISMATCH, "TYPE_MISMATCH");
    CHECK(tandem_result_error_message(r, &text, &len) && len > 0, "a message");
    CHECK(tandem_result_value_json(r, &text, &len) && text_is(text, len, "7"), "default JSON");
    tandem_result_free(r);
    OK(tandem_client_get_bool(client, S("ratio"), ctx, true, &b, NULL));
    CHECK(b, "the default on a type mismatch");
    OK(tandem_client_get_int(client, S("ratio"), ctx, 3, &i, NULL));
    CHECK(i == 3, "0.25 is no integer");
    OK(tandem_client_get_string(client, S("dark-mode"), ctx, S("fallback"), &r));
    CHECK(tandem_result_string(r, &text, &len) && text_is(text, len, "fallback"), "default");
    tandem_result_free(r);

    /* Missing and disabled flags. */
    OK(tandem_client_get_bool(client, S("nope"), ctx, true, &b, &r));
    CHECK(b && tandem_result_error_code(r) == TANDEM_ERROR_CODE_FLAG_NOT_FOUND, "not found");
    CHECK(tandem_result_flag_key(r, &text, &len) && text_is(text, len, "nope"), "missing key");
    tandem_result_free(r);
    OK(tandem_client_get_bool(client, S("off"), ctx, false, &b, &r));
    CHECK(!b && tandem_result_reason(r) == TANDEM_REASON_DISABLED, "disabled");
    tandem_result_free(r);

    /* The details call: objects and any JSON. */
    OK(tandem_client_evaluate(client, S("theme"), ctx, TANDEM_FLAG_TYPE_OBJECT, S("{}"), NULL, &r));
    CHECK(tandem_result_value_json(r, &text, &len) && text_is(text, len, "{\"color\":\"#00f\"}"),
          "theme %.*s", (int)len, text);
    char *details;
    OK(tandem_result_details_json(r, &details, &len));
    CHECK(strcmp(details,
                 "{\"key\":\"theme\",\"value\":{\"color\":\"#00f\"},\"variant\":\"blue\","
                 "\"reason\":\"STATIC\"}") == 0,
          "details %s", details);
    tandem_buf_free(details, len);
    tandem_result_free(r);
    tandem_context_free(ctx);
    tandem_client_free(client);
}

void test_context(void) {
    tandem_client *client = client_with(S(FLAGS));
    tandem_context *ctx = NULL;
    bool b = true;
    OK(tandem_context_new(&ctx));
    CHECK(tandem_context_len(ctx) == 0, "empty");
    OK(tandem_context_set_string(ctx, S("country"), S("SE")));
    OK(tandem_context_set_int(ctx, S("age"), 30));
    OK(tandem_context_set_double(ctx, S("score"), 0.5));
    OK(tandem_context_set_bool(ctx, S("beta"), true));
    OK(tandem_context_set_json(ctx, S("user"), S("{\"lang\": \"sv\"}")));
    CHECK(tandem_context_len(ctx) == 5, "five attributes: %zu", tandem_context_len(ctx));
    OK(tandem_client_get_bool(client, S("dark-mode"), ctx, false, &b, NULL));
    CHECK(b, "SE");
    /* Reused and changed: the next evaluation sees the change. */
    OK(tandem_context_set_string(ctx, S("country"), S("NO")));
    CHECK(tandem_context_len(ctx) == 5, "replaced, not added");
    OK(tandem_client_get_bool(client, S("dark-mode"), ctx, false, &b, NULL));
    CHECK(!b, "NO");
    OK(tandem_context_remove(ctx, S("country")));
    OK(tandem_context_remove(ctx, S("country")));
    CHECK(tandem_context_len(ctx) == 4, "removed");
    OK(tandem_context_clear(ctx));
    CHECK(tandem_context_len(ctx) == 0, "cleared");

    /* Failures leave the context as it was and say why, on the handle and the thread. */
    CHECK(tandem_context_set_json(ctx, S("x"), S("{nope")) == TANDEM_STATUS_INVALID_JSON, "json");
    char message[256];
    CHECK(tandem_context_last_error(ctx, message, sizeof message) > 0, "a message on the handle");
    char deep[300];
    for (int k = 0; k < 100; k++) deep[k] = '[';
    for (int k = 0; k < 100; k++) deep[100 + k] = ']';
    CHECK(tandem_context_set_json(ctx, S("x"), deep, 200) == TANDEM_STATUS_LIMIT_EXCEEDED,
          "100 levels");
    CHECK(tandem_context_len(ctx) == 0, "unchanged");
    CHECK(tandem_context_set_string(ctx, S("bad"), "\xff\xfe", 2) == TANDEM_STATUS_INVALID_UTF8,
          "utf-8");
    tandem_context_free(ctx);

    ctx = NULL;
    OK(tandem_context_from_json(S("{\"country\": \"SE\", \"targetingKey\": \"u\"}"), &ctx));
    CHECK(tandem_context_len(ctx) == 2, "from JSON");
    tandem_context_free(ctx);
    ctx = NULL;
    CHECK(tandem_context_from_json(S("[1]"), &ctx) == TANDEM_STATUS_INVALID_CONTEXT && !ctx,
          "an array is no context, and nothing is written");
    CHECK(tandem_context_from_json(S("{"), &ctx) == TANDEM_STATUS_INVALID_JSON && !ctx, "json");
    tandem_client_free(client);
}

void test_evaluate_all(void) {
    tandem_client *client = client_with(S(EXPERIMENT));
    OK(tandem_client_update(client, S(EXPERIMENT)));
    tandem_context *ctx = NULL;
    OK(tandem_context_new(&ctx));
    OK(tandem_context_set_string(ctx, S("targetingKey"), S("user-7")));
    tandem_outcomes *all = NULL;
    OK(tandem_client_evaluate_all(client, ctx, &all));
    CHECK(tandem_outcomes_count(all) == 1, "one flag");
    const char *key;
    size_t len;
    CHECK(tandem_outcomes_flag_key(all, 0, &key, &len) && text_is(key, len, "checkout"), "key");
    CHECK(!tandem_outcomes_flag_key(all, 1, &key, &len), "out of range");
    CHECK(count_events(client, "exposure") == 0, "evaluate-all logs nothing");

    /* The context can change or go: the outcomes hold their own copy. */
    OK(tandem_context_set_string(ctx, S("targetingKey"), S("someone-else")));
    tandem_context_free(ctx);

    tandem_read read;
    OK(tandem_outcomes_read(all, S("checkout"), TANDEM_FLAG_TYPE_STRING, &read));
    CHECK(read.reason == TANDEM_REASON_SPLIT && read.error_code == 0, "split: %u", read.reason);
    CHECK(read.value_json != NULL && read.variant != NULL, "a value and a variant");
    {
        /* The exposure names the unit the outcomes were evaluated for, not the context's
         * later value. */
        char *json = NULL;
        size_t json_len = 0;
        OK(tandem_client_drain_events(client, &json, &json_len));
        jvalue *events = json ? json_parse(json, json_len) : NULL;
        CHECK(events && events->count == 1 &&
                  strcmp(json_get(events->items[0], "unit")->string, "user-7") == 0,
              "the first read logs the exposure of user-7: %s", json);
        json_free(events);
        tandem_buf_free(json, json_len);
    }
    OK(tandem_outcomes_read_index(all, 0, TANDEM_FLAG_TYPE_STRING, &read));
    CHECK(read.reason == TANDEM_REASON_SPLIT, "by index");
    OK(tandem_outcomes_read(all, S("checkout"), TANDEM_FLAG_TYPE_STRING, &read));
    CHECK(count_events(client, "exposure") == 0, "later reads log nothing");

    /* A read of the wrong type serves the caller's default; the arm's failing exposure is the
     * same (unit, flag, experiment, arm) as the one logged, so the core deduplicates it. */
    tandem_stats stats;
    OK(tandem_client_stats(client, &stats));
    uint64_t deduplicated = stats.deduplicated;
    OK(tandem_outcomes_read(all, S("checkout"), TANDEM_FLAG_TYPE_BOOLEAN, &read));
    CHECK(read.reason == TANDEM_REASON_ERROR && read.error_code == TANDEM_ERROR_CODE_TYPE_MISMATCH
              && read.value_json == NULL && read.variant == NULL,
          "a wrong-type read serves the caller's default");
    OK(tandem_client_stats(client, &stats));
    CHECK(count_events(client, "exposure") == 0 && stats.deduplicated == deduplicated + 1,
          "deduplicated");

    OK(tandem_outcomes_read(all, S("missing"), TANDEM_FLAG_TYPE_STRING, &read));
    CHECK(read.reason == TANDEM_REASON_ERROR && read.error_code == TANDEM_ERROR_CODE_FLAG_NOT_FOUND,
          "an unknown key reads as FLAG_NOT_FOUND");
    tandem_read untouched = {.reason = 99};
    CHECK(tandem_outcomes_read_index(all, 5, TANDEM_FLAG_TYPE_STRING, &untouched) ==
                  TANDEM_STATUS_NOT_FOUND && untouched.reason == 99,
          "an index out of range, nothing written");
    CHECK(tandem_outcomes_read(all, S("checkout"), 42, &untouched) ==
              TANDEM_STATUS_INVALID_ARGUMENT,
          "an unknown type");

    /* A second evaluate-all logs again on its own first read (the core deduplicates the
     * exposure); the outcomes outlive the client. */
    tandem_context *again = NULL;
    OK(tandem_context_from_json(S("{\"targetingKey\": \"user-8\"}"), &again));
    tandem_outcomes *second = NULL;
    OK(tandem_client_evaluate_all(client, again, &second));
    tandem_context_free(again);
    tandem_client_free(client);
    OK(tandem_outcomes_read(second, S("checkout"), TANDEM_FLAG_TYPE_STRING, &read));
    CHECK(read.reason == TANDEM_REASON_SPLIT, "read after the client was freed");
    tandem_outcomes_free(second);
    tandem_outcomes_free(all);

    /* No config: every read is PROVIDER_NOT_READY. */
    tandem_client *empty = client_with(NULL, 0);
    tandem_context *blank = NULL;
    OK(tandem_context_new(&blank));
    OK(tandem_client_evaluate_all(empty, blank, &all));
    CHECK(tandem_outcomes_count(all) == 0, "no flags");
    OK(tandem_outcomes_read(all, S("checkout"), TANDEM_FLAG_TYPE_STRING, &read));
    CHECK(read.error_code == TANDEM_ERROR_CODE_PROVIDER_NOT_READY, "not ready");
    tandem_outcomes_free(all);
    tandem_context_free(blank);
    tandem_client_free(empty);
}

void test_precompute(void) {
    tandem_client *edge = client_with(S(EXPERIMENT));
    tandem_context *ctx = NULL;
    OK(tandem_context_from_json(S("{\"targetingKey\": \"user-3\"}"), &ctx));
    char *payload = NULL;
    size_t len = 0;
    OK(tandem_client_precompute(edge, ctx, NULL, &payload, &len));
    CHECK(payload != NULL && len > 0 && payload[len] == 0, "a NUL-terminated payload");
    CHECK(count_events(edge, "exposure") == 0, "precompute logs nothing");
    tandem_result *expected = NULL;
    OK(tandem_client_get_string(edge, S("checkout"), ctx, S("none"), &expected));

    tandem_client *device = NULL;
    OK(tandem_client_new_precomputed(payload, len, NULL, &device));
    tandem_context *nobody = NULL;
    OK(tandem_context_new(&nobody));
    tandem_result *served = NULL;
    OK(tandem_client_get_string(device, S("checkout"), nobody, S("none"), &served));
    const char *a, *b;
    size_t alen, blen;
    CHECK(tandem_result_string(expected, &a, &alen) && tandem_result_string(served, &b, &blen) &&
              alen == blen && memcmp(a, b, alen) == 0,
          "the device serves the edge's value");
    CHECK(tandem_result_reason(served) == TANDEM_REASON_SPLIT, "with its reason");
    CHECK(count_events(device, "exposure") == 1, "reading it logs the exposure on the device");
    OK(tandem_client_update_precomputed(device, payload, len));
    CHECK(tandem_client_update_precomputed(device, S("{\"v\": 2}")) != TANDEM_STATUS_OK,
          "a bad payload");
    tandem_result_free(served);
    tandem_result_free(expected);
    tandem_buf_free(payload, len);

    tandem_client *empty = client_with(NULL, 0);
    payload = NULL;
    CHECK(tandem_client_precompute(empty, ctx, NULL, &payload, &len) == TANDEM_STATUS_NOT_READY &&
              payload == NULL,
          "nothing to precompute");
    tandem_client_free(empty);
    tandem_context_free(nobody);
    tandem_context_free(ctx);
    tandem_client_free(device);
    tandem_client_free(edge);
}

void test_track_and_events(void) {
    tandem_client *client = client_with(S(FLAGS));
    double revenue = 12.5;
    OK(tandem_client_track(client, S("purchase"), S("user-1"), &revenue, S("{\"sku\": \"a1\"}")));
    OK(tandem_client_track(client, S("visit"), S("user-1"), NULL, NULL, 0));
    CHECK(tandem_client_track(client, S(""), S("user-1"), NULL, NULL, 0) ==
              TANDEM_STATUS_INVALID_ARGUMENT,
          "an empty name");
    CHECK(tandem_client_track(client, S("x"), S("u"), NULL, S("[1]")) ==
              TANDEM_STATUS_INVALID_ARGUMENT,
          "properties must be an object");
    CHECK(tandem_client_track(client, S("x"), S("u"), NULL, S("{")) == TANDEM_STATUS_INVALID_JSON,
          "properties must be JSON");
    char name[300];
    memset(name, 'n', sizeof name);
    CHECK(tandem_client_track(client, name, sizeof name, S("u"), NULL, NULL, 0) ==
              TANDEM_STATUS_LIMIT_EXCEEDED,
          "a 300-byte name");
    char *json = NULL;
    size_t len = 0;
    OK(tandem_client_drain_events(client, &json, &len));
    jvalue *events = json_parse(json, len);
    CHECK(events && events->count == 2, "two track events");
    if (events && events->count == 2) {
        CHECK(strcmp(json_get(events->items[0], "type")->string, "track") == 0, "track");
        CHECK(json_get(events->items[0], "value")->number == 12.5, "value");
        CHECK(strcmp(json_get(json_get(events->items[0], "properties"), "sku")->string, "a1") == 0,
              "properties");
    }
    json_free(events);
    tandem_buf_free(json, len);
    OK(tandem_client_drain_events(client, &json, &len));
    CHECK(text_is(json, len, "[]"), "drained");
    tandem_buf_free(json, len);
    tandem_client_free(client);
}

void test_sticky(void) {
    tandem_client *client = client_with(S(EXPERIMENT));
    tandem_context *ctx = NULL;
    OK(tandem_context_from_json(S("{\"targetingKey\": \"user-5\"}"), &ctx));
    tandem_result *r = NULL;
    OK(tandem_client_get_string(client, S("checkout"), ctx, S("none"), &r));
    tandem_result_free(r);
    tandem_stats stats;
    OK(tandem_client_stats(client, &stats));
    CHECK(stats.sticky_assignments == 1, "one sticky assignment");
    char *snapshot = NULL;
    size_t len = 0;
    OK(tandem_client_export_sticky(client, &snapshot, &len));

    tandem_client *restored = client_with(S(EXPERIMENT));
    size_t kept = 0;
    OK(tandem_client_import_sticky(restored, snapshot, len, &kept));
    CHECK(kept == 1, "kept %zu", kept);
    OK(tandem_client_import_sticky(restored, snapshot, len, NULL));
    kept = 77;
    CHECK(tandem_client_import_sticky(restored, S("{nope"), &kept) == TANDEM_STATUS_INVALID_JSON &&
              kept == 77,
          "a bad snapshot, nothing written");
    tandem_buf_free(snapshot, len);
    tandem_context_free(ctx);
    tandem_client_free(restored);
    tandem_client_free(client);
}

static int64_t counting_clock(void *user_data) {
    int64_t *calls = user_data;
    (*calls)++;
    return INT64_C(1796083200000) + *calls;
}

void test_clock_and_stats(void) {
    int64_t calls = 0;
    tandem_client_options options;
    OK(tandem_client_options_default(&options));
    options.clock = counting_clock;
    options.clock_user_data = &calls;
    options.events_capacity = 2;
    tandem_client *client = NULL;
    OK(tandem_client_new(S(FLAGS), &options, &client));
    /* Loading read the clock too (sticky assignments age by host time). */
    calls = 0;
    for (int k = 0; k < 3; k++) OK(tandem_client_track(client, S("e"), S("u"), NULL, NULL, 0));
    CHECK(calls == 3, "the host clock is read once per track: %" PRId64, calls);
    tandem_stats stats;
    OK(tandem_client_stats(client, &stats));
    CHECK(stats.queued == 2 && stats.dropped == 1, "capacity 2: %" PRIu64 " queued, %" PRIu64
          " dropped", stats.queued, stats.dropped);
    char *json;
    size_t len;
    OK(tandem_client_drain_events(client, &json, &len));
    jvalue *events = json_parse(json, len);
    CHECK(events && events->count == 2 &&
              json_get(events->items[1], "timestamp")->number == 1796083200003.0,
          "timestamps from the host clock");
    json_free(events);
    tandem_buf_free(json, len);
    uint64_t e1 = 0, e2 = 0;
    OK(tandem_entropy(&e1));
    OK(tandem_entropy(&e2));
    CHECK(e1 != e2, "two draws of 64 random bits differ");
    tandem_client_free(client);
}

void test_errors(void) {
    tandem_client *client = NULL;
    char message[512];
    CHECK(tandem_client_new(S("{\"flags\": "), NULL, &client) == TANDEM_STATUS_INVALID_JSON &&
              client == NULL,
          "bad JSON, nothing written");
    CHECK(tandem_client_new(S("{\"flags\": {\"f\": {\"state\": \"ENABLED\"}}, \"experiments\": 3}"),
                            NULL, &client) == TANDEM_STATUS_INVALID_CONFIG,
          "bad config");
    size_t n = tandem_last_error(message, sizeof message);
    CHECK(n > 0 && strstr(message, "experiments") != NULL, "a JSON path: %s", message);
    CHECK(tandem_last_error(NULL, 0) == n, "the length alone");
    char tiny[4];
    CHECK(tandem_last_error(tiny, sizeof tiny) == n && strlen(tiny) == 3, "cut to fit");

    client = client_with(S(FLAGS));
    CHECK(tandem_client_last_error(client, message, sizeof message) == 0 && message[0] == 0,
          "no failure yet");
    CHECK(tandem_client_update(client, S("[]")) == TANDEM_STATUS_INVALID_CONFIG, "an array");
    CHECK(tandem_client_last_error(client, message, sizeof message) > 0, "on the handle");
    tandem_context *ctx = se_context();
    bool b = false;
    OK(tandem_client_get_bool(client, S("dark-mode"), ctx, false, &b, NULL));
    CHECK(b, "the last good config keeps serving");
    CHECK(tandem_client_update(client, "\xff", 1) == TANDEM_STATUS_INVALID_UTF8, "utf-8");
    CHECK(tandem_client_get_bool(client, "\xc3", 1, ctx, false, &b, NULL) ==
              TANDEM_STATUS_INVALID_UTF8,
          "a key that is not UTF-8");
    tandem_result *r = NULL;
    CHECK(tandem_client_evaluate(client, S("theme"), ctx, 0, S("{}"), NULL, &r) ==
                  TANDEM_STATUS_INVALID_ARGUMENT && r == NULL,
          "type 0");
    CHECK(tandem_client_evaluate(client, S("theme"), ctx, TANDEM_FLAG_TYPE_OBJECT, S("{"), NULL,
                                 &r) == TANDEM_STATUS_INVALID_JSON,
          "a default that is not JSON");
    tandem_eval_options bad = {.eligible_json = "{", .eligible_json_len = 1};
    CHECK(tandem_client_evaluate(client, S("theme"), ctx, TANDEM_FLAG_TYPE_OBJECT, S("{}"), &bad,
                                 &r) == TANDEM_STATUS_INVALID_JSON,
          "eligible actions that are not JSON");
    CHECK(strcmp(tandem_status_name(TANDEM_STATUS_NOT_READY), "NOT_READY") == 0, "names");
    CHECK(strcmp(tandem_status_name(12345), "UNKNOWN") == 0, "unknown");

    /* No config: PROVIDER_NOT_READY until an update succeeds. */
    tandem_client *empty = client_with(NULL, 0);
    OK(tandem_client_get_bool(empty, S("dark-mode"), ctx, true, &b, &r));
    CHECK(b && tandem_result_error_code(r) == TANDEM_ERROR_CODE_PROVIDER_NOT_READY, "not ready");
    tandem_result_free(r);
    OK(tandem_client_update(empty, S(FLAGS)));
    OK(tandem_client_get_bool(empty, S("dark-mode"), ctx, false, &b, NULL));
    CHECK(b, "ready after the update");
    tandem_client_free(empty);
    tandem_context_free(ctx);
    tandem_client_free(client);
}

void test_null_arguments(void) {
    tandem_client *client = client_with(S(FLAGS));
    tandem_context *ctx = se_context();
    tandem_client *c = NULL;
    tandem_context *x = NULL;
    tandem_result *r = NULL;
    tandem_outcomes *o = NULL;
    tandem_read read;
    tandem_stats stats;
    bool b;
    int64_t i;
    double d;
    char *buf;
    size_t len;
    uint64_t u64;
    uint32_t u32;
    const char *text;
    const tandem_status N = TANDEM_STATUS_NULL_ARGUMENT;
    CHECK(tandem_client_new(S(FLAGS), NULL, NULL) == N, "out_client");
    CHECK(tandem_client_new_precomputed(NULL, 0, NULL, &c) == N, "payload");
    CHECK(tandem_client_update(NULL, S(FLAGS)) == N, "update client");
    CHECK(tandem_client_update(client, NULL, 0) == N, "update config");
    CHECK(tandem_client_update_precomputed(client, NULL, 0) == N, "payload");
    CHECK(tandem_client_get_bool(NULL, S("f"), ctx, false, &b, NULL) == N, "client");
    CHECK(tandem_client_get_bool(client, NULL, 0, ctx, false, &b, NULL) == N, "flag");
    CHECK(tandem_client_get_bool(client, S("f"), NULL, false, &b, NULL) == N, "context");
    CHECK(tandem_client_get_bool(client, S("f"), ctx, false, NULL, NULL) == N, "out_value");
    CHECK(tandem_client_get_int(client, S("f"), ctx, 0, NULL, NULL) == N, "int out_value");
    CHECK(tandem_client_get_int(NULL, S("f"), ctx, 0, &i, NULL) == N, "int client");
    CHECK(tandem_client_get_double(client, S("f"), NULL, 0, &d, NULL) == N, "double ctx");
    CHECK(tandem_client_get_string(client, S("f"), ctx, NULL, 0, &r) == N, "string default");
    CHECK(tandem_client_get_string(client, S("f"), ctx, S("d"), NULL) == N, "string out");
    CHECK(tandem_client_evaluate(client, S("f"), ctx, 1, NULL, 0, NULL, &r) == N, "default");
    CHECK(tandem_client_evaluate(client, S("f"), ctx, 1, S("true"), NULL, NULL) == N, "out");
    CHECK(tandem_client_evaluate_all(client, NULL, &o) == N, "evaluate_all ctx");
    CHECK(tandem_client_evaluate_all(NULL, ctx, &o) == N, "evaluate_all client");
    CHECK(tandem_client_precompute(client, ctx, NULL, NULL, &len) == N, "precompute out");
    CHECK(tandem_client_track(client, NULL, 0, S("u"), NULL, NULL, 0) == N, "track name");
    CHECK(tandem_client_track(client, S("n"), NULL, 0, NULL, NULL, 0) == N, "track unit");
    CHECK(tandem_client_drain_events(client, NULL, &len) == N, "drain out");
    CHECK(tandem_client_drain_events(NULL, &buf, &len) == N, "drain client");
    CHECK(tandem_client_stats(client, NULL) == N, "stats out");
    CHECK(tandem_client_stats(NULL, &stats) == N, "stats client");
    CHECK(tandem_client_export_sticky(client, &buf, NULL) == N, "export out");
    CHECK(tandem_client_import_sticky(client, NULL, 0, NULL) == N, "import json");
    CHECK(tandem_client_options_default(NULL) == N, "options");
    CHECK(tandem_entropy(NULL) == N, "entropy");
    CHECK(tandem_context_new(NULL) == N, "context out");
    CHECK(tandem_context_from_json(NULL, 0, &x) == N, "context json");
    CHECK(tandem_context_set_string(NULL, S("a"), S("b")) == N, "set_string ctx");
    CHECK(tandem_context_set_string(ctx, S("a"), NULL, 0) == N, "set_string value");
    CHECK(tandem_context_set_int(ctx, NULL, 0, 1) == N, "set_int name");
    CHECK(tandem_context_set_double(NULL, S("a"), 1) == N, "set_double ctx");
    CHECK(tandem_context_set_bool(NULL, S("a"), true) == N, "set_bool ctx");
    CHECK(tandem_context_set_json(ctx, S("a"), NULL, 0) == N, "set_json value");
    CHECK(tandem_context_remove(NULL, S("a")) == N, "remove");
    CHECK(tandem_context_clear(NULL) == N, "clear");
    CHECK(tandem_context_len(NULL) == 0, "len");
    CHECK(tandem_result_details_json(NULL, &buf, &len) == N, "details");
    CHECK(tandem_result_reason(NULL) == 0 && tandem_result_error_code(NULL) == 0, "codes");
    CHECK(!tandem_result_value_json(NULL, &text, &len), "value");
    CHECK(!tandem_result_variant(NULL, &text, &len), "variant");
    CHECK(tandem_outcomes_count(NULL) == 0, "count");
    CHECK(!tandem_outcomes_flag_key(NULL, 0, &text, &len), "flag key");
    CHECK(tandem_outcomes_read(NULL, S("f"), 1, &read) == N, "read");
    CHECK(tandem_outcomes_read_index(NULL, 0, 1, &read) == N, "read index");
    CHECK(tandem_bucketing_hash(NULL, 0, S("u"), &u64) == N, "hash salt");
    CHECK(tandem_bucketing_bucket(S("s"), S("u"), NULL) == N, "bucket out");
    CHECK(tandem_bucketing_allocate(S("s"), S("u"), NULL, 2, &len) == N, "weights");
    CHECK(tandem_bucketing_policy_draw(S("s"), S("u"), NULL, 0, &d) == N, "draw key");
    CHECK(tandem_client_last_error(NULL, NULL, 0) == 0, "last error of NULL");
    CHECK(tandem_context_last_error(NULL, NULL, 0) == 0, "context last error of NULL");
    (void)u32;
    /* Nothing was written anywhere. */
    CHECK(c == NULL && x == NULL && r == NULL && o == NULL, "out-parameters untouched");
    tandem_client_free(NULL);
    tandem_context_free(NULL);
    tandem_result_free(NULL);
    tandem_outcomes_free(NULL);
    tandem_buf_free(NULL, 0);
    tandem_context_free(ctx);
    tandem_client_free(client);
}

void test_result_outlives_update(void) {
    tandem_client *client = client_with(S(FLAGS));
    tandem_context *ctx = se_context();
    tandem_result *r = NULL;
    OK(tandem_client_get_string(client, S("greeting"), ctx, S("none"), &r));
    /* A new config (the greeting changes), then the client goes: the result's strings belong
     * to the snapshot it holds, so they stay as they were. */
    static const char NEXT[] =
        "{\"flags\": {\"greeting\": {\"state\": \"ENABLED\", \"variants\": {\"yo\": \"Yo!\"},"
        " \"defaultVariant\": \"yo\"}}}";
    OK(tandem_client_update(client, S(NEXT)));
    tandem_result *now = NULL;
    OK(tandem_client_get_string(client, S("greeting"), ctx, S("none"), &now));
    const char *text;
    size_t len;
    CHECK(tandem_result_string(now, &text, &len) && text_is(text, len, "Yo!"), "the new config");
    tandem_client_free(client);
    CHECK(tandem_result_string(r, &text, &len) && text_is(text, len, "Hej!"), "the old value");
    CHECK(tandem_result_variant(r, &text, &len) && text_is(text, len, "hej"), "the old variant");
    char *details;
    OK(tandem_result_details_json(r, &details, &len));
    CHECK(strstr(details, "\"Hej!\"") != NULL, "details %s", details);
    tandem_buf_free(details, len);
    tandem_result_free(now);
    tandem_result_free(r);
    tandem_context_free(ctx);
}
