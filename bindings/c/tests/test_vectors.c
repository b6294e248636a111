/* The shared vectors (testdata/), replayed through the C ABI exactly as
 * sdk-core/tests/evaluation_vectors.rs replays them through Rust. */
#define _GNU_SOURCE /* timegm */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "json.h"
#include "tests.h"

static jvalue *load_vectors(const char *name, char **text) {
    char path[1024];
    const char *dir = getenv("TANDEM_TESTDATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "testdata", name);
    size_t len;
    *text = read_file(path, &len);
    CHECK(*text != NULL, "cannot read %s (run from the repository root or set TANDEM_TESTDATA)",
          path);
    if (*text == NULL) return NULL;
    jvalue *v = json_parse(*text, len);
    CHECK(v != NULL, "%s does not parse", path);
    return v;
}

static int64_t parse_rfc3339_utc(const char *text) {
    struct tm tm = {0};
    int y, mo, d, h, mi, s;
    if (sscanf(text, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) != 6) return 0;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm) * 1000;
}

static int64_t fixed_clock(void *user_data) { return *(const int64_t *)user_data; }

static uint32_t type_code(const char *name) {
    static const char *names[] = {"boolean", "string", "integer", "float", "object", "any"};
    for (uint32_t i = 0; i < 6; i++) {
        if (strcmp(names[i], name) == 0) return i + 1;
    }
    return 0;
}

/* Compares a JSON text Tandem returned with an expected value of the vectors. */
static void check_json(const char *got, size_t got_len, const jvalue *expected, const char *what,
                       const char *name, size_t index) {
    jvalue *actual = json_parse(got, got_len);
    CHECK(actual != NULL, "%s request %zu: %s is not JSON", name, index, what);
    CHECK(json_equal(actual, expected), "%s request %zu: %s\n  got      %.*s\n  expected %.*s",
          name, index, what, (int)got_len, got, (int)expected->src_len, expected->src);
    json_free(actual);
}

void test_evaluation_vectors(void) {
    char *text;
    jvalue *vectors = load_vectors("evaluation.json", &text);
    if (vectors == NULL) return;
    int64_t now = parse_rfc3339_utc(json_get(vectors, "now")->string);
    CHECK(now == INT64_C(1796083200000), "now = %" PRId64, now);
    const jvalue *cases = json_get(vectors, "cases");
    size_t replayed = 0;
    for (size_t c = 0; c < cases->count; c++) {
        const jvalue *kase = cases->items[c];
        const char *name = json_get(kase, "name")->string;
        const jvalue *config = json_get(kase, "config");
        tandem_client_options options;
        OK(tandem_client_options_default(&options));
        options.clock = fixed_clock;
        options.clock_user_data = &now;
        tandem_client *client = NULL;
        OK(tandem_client_new(config->type == J_NULL ? NULL : config->src, config->src_len, &options,
                             &client));
        if (client == NULL) continue;
        const jvalue *requests = json_get(kase, "requests");
        for (size_t i = 0; i < requests->count; i++) {
            const jvalue *request = requests->items[i];
            const jvalue *context_json = json_get(request, "context");
            const jvalue *flag = json_get(request, "flag");
            const jvalue *dflt = json_get(request, "default");
            const jvalue *opts = json_get(request, "options");
            tandem_context *context = NULL;
            OK(tandem_context_from_json(context_json->src, context_json->src_len, &context));
            tandem_eval_options eval = {0};
            const jvalue *key = opts ? json_get(opts, "decisionKey") : NULL;
            const jvalue *eligible = opts ? json_get(opts, "eligible") : NULL;
            if (key) {
                eval.decision_key = key->string;
                eval.decision_key_len = key->string_len;
            }
            if (eligible) {
                eval.eligible_json = eligible->src;
                eval.eligible_json_len = eligible->src_len;
            }
            tandem_result *result = NULL;
            OK(tandem_client_evaluate(client, flag->string, flag->string_len, context,
                                      type_code(json_get(request, "type")->string), dflt->src,
                                      dflt->src_len, &eval, &result));
            char *details = NULL, *events = NULL;
            size_t details_len = 0, events_len = 0;
            OK(tandem_result_details_json(result, &details, &details_len));
            OK(tandem_client_drain_events(client, &events, &events_len));
            if (details) check_json(details, details_len, json_get(request, "expected"), "details",
                                    name, i);
            if (events) check_json(events, events_len, json_get(request, "events"), "events", name,
                                   i);
            tandem_buf_free(details, details_len);
            tandem_buf_free(events, events_len);
            tandem_result_free(result);
            tandem_context_free(context);
            replayed++;
        }
        tandem_client_free(client);
    }
    CHECK(replayed >= 90, "only %zu requests replayed", replayed);
    json_free(vectors);
    free(text);
}

void test_bucketing_vectors(void) {
    char *text;
    jvalue *vectors = load_vectors("bucketing.json", &text);
    if (vectors == NULL) return;
    const jvalue *cases = json_get(vectors, "cases");
    size_t checked = 0;
    for (size_t i = 0; i < cases->count; i++) {
        const jvalue *c = cases->items[i];
        const jvalue *salt = json_get(c, "salt");
        const jvalue *unit = json_get(c, "unit_normalized");
        uint64_t hash = 0;
        uint32_t bucket = 0;
        double draw = -1;
        OK(tandem_bucketing_hash(salt->string, salt->string_len, unit->string, unit->string_len,
                                 &hash));
        char hex[17];
        snprintf(hex, sizeof hex, "%016" PRIx64, hash);
        CHECK(strcmp(hex, json_get(c, "hash")->string) == 0, "case %zu: hash %s", i, hex);
        OK(tandem_bucketing_bucket(salt->string, salt->string_len, unit->string, unit->string_len,
                                   &bucket));
        CHECK(bucket == (uint32_t)json_get(c, "bucket")->number, "case %zu: bucket %u", i, bucket);

        const jvalue *weights = json_get(c, "weights");
        uint32_t w[64];
        size_t n = weights->count < 64 ? weights->count : 64;
        for (size_t k = 0; k < n; k++) w[k] = (uint32_t)weights->items[k]->number;
        size_t index = 999;
        tandem_status st = tandem_bucketing_allocate(salt->string, salt->string_len, unit->string,
                                                     unit->string_len, w, n, &index);
        const jvalue *allocation = json_get(c, "allocation");
        if (allocation->type == J_NULL) {
            CHECK(st == TANDEM_STATUS_NOT_FOUND && index == 999, "case %zu: no arm expected", i);
        } else {
            CHECK(st == TANDEM_STATUS_OK && index == (size_t)allocation->number,
                  "case %zu: allocation %zu", i, index);
        }
        uint32_t threshold = tandem_bucketing_holdout_threshold(json_get(c, "percent")->number);
        CHECK(threshold == (uint32_t)json_get(c, "holdout_threshold")->number,
              "case %zu: threshold %u", i, threshold);
        CHECK((bucket < threshold) == json_get(c, "held_out")->boolean, "case %zu: held out", i);
        const jvalue *key = json_get(c, "decision_key");
        OK(tandem_bucketing_policy_draw(salt->string, salt->string_len, unit->string,
                                        unit->string_len, key->string, key->string_len, &draw));
        /* Exact: both sides are the same double (strtod is correctly rounded). */
        CHECK(draw == json_get(c, "draw")->number, "case %zu: draw %.17g", i, draw);
        double numerator = strtod(json_get(c, "draw_numerator")->string, NULL);
        CHECK(draw * 9007199254740992.0 == numerator, "case %zu: draw numerator", i);
        checked++;
    }
    CHECK(checked >= 1000, "only %zu bucketing cases", checked);
    json_free(vectors);
    free(text);
}

static void check_close(const jvalue *got, const jvalue *expected, const char *what, size_t i) {
    CHECK(got != NULL && expected != NULL, "case %zu: %s missing", i, what);
    if (got == NULL || expected == NULL) return;
    if (expected->type == J_ARRAY) {
        CHECK(got->type == J_ARRAY && got->count == expected->count, "case %zu: %s length", i,
              what);
        for (size_t k = 0; got->type == J_ARRAY && k < got->count && k < expected->count; k++) {
            CHECK(fabs(got->items[k]->number - expected->items[k]->number) <= 1e-9,
                  "case %zu: %s[%zu] %.17g vs %.17g", i, what, k, got->items[k]->number,
                  expected->items[k]->number);
        }
    } else {
        CHECK(fabs(got->number - expected->number) <= 1e-9, "case %zu: %s %.17g vs %.17g", i, what,
              got->number, expected->number);
    }
}

/* A client whose one flag `p` serves the bundle as its only variant. */
static tandem_client *policy_client(const jvalue *bundle) {
    const jvalue *id = json_get(bundle, "id");
    const jvalue *version = json_get(bundle, "version");
    char ref[256];
    /* The version is a JSON number or string; the reference spells it as text. */
    if (version->type == J_STRING) {
        snprintf(ref, sizeof ref, "%s@%s", id->string, version->string);
    } else {
        snprintf(ref, sizeof ref, "%s@%.*s", id->string, (int)version->src_len, version->src);
    }
    size_t cap = bundle->src_len + 1024;
    char *config = malloc(cap);
    int len = snprintf(config, cap,
                       "{\"flags\": {\"p\": {\"state\": \"ENABLED\", \"variants\": {\"personal\": "
                       "{\"$policy\": \"%s\"}}, \"defaultVariant\": \"personal\"}}, "
                       "\"policies\": {\"%s\": %.*s}}",
                       ref, ref, (int)bundle->src_len, bundle->src);
    tandem_client *client = NULL;
    OK(tandem_client_new(config, (size_t)len, NULL, &client));
    free(config);
    return client;
}

/* Evaluates `p` for a context and options; the parsed details (free them). */
static jvalue *decide(tandem_client *client, const jvalue *context_json, const jvalue *key,
                      const jvalue *eligible) {
    tandem_context *context = NULL;
    OK(tandem_context_from_json(context_json->src, context_json->src_len, &context));
    tandem_eval_options options = {0};
    if (key) {
        options.decision_key = key->string;
        options.decision_key_len = key->string_len;
    }
    if (eligible && eligible->type != J_NULL) {
        options.eligible_json = eligible->src;
        options.eligible_json_len = eligible->src_len;
    }
    tandem_result *result = NULL;
    OK(tandem_client_evaluate(client, S("p"), context, TANDEM_FLAG_TYPE_ANY, S("null"), &options,
                              &result));
    char *json = NULL;
    size_t len = 0;
    OK(tandem_result_details_json(result, &json, &len));
    jvalue *details = json ? json_parse(json, len) : NULL;
    /* The tree's source pointers are not used after this: the buffer can go. */
    tandem_buf_free(json, len);
    tandem_result_free(result);
    tandem_context_free(context);
    return details;
}

void test_policy_vectors(void) {
    char *text;
    jvalue *vectors = load_vectors("policies.json", &text);
    if (vectors == NULL) return;
    const jvalue *bundles = json_get(vectors, "bundles");
    tandem_client *clients[16] = {0};
    for (size_t b = 0; b < bundles->count && b < 16; b++) {
        clients[b] = policy_client(bundles->items[b]);
    }
    const jvalue *cases = json_get(vectors, "cases");
    size_t checked = 0;
    for (size_t i = 0; i < cases->count; i++) {
        const jvalue *c = cases->items[i];
        tandem_client *client = NULL;
        for (size_t b = 0; b < bundles->count && b < 16; b++) {
            if (strcmp(bundles->keys[b], json_get(c, "bundle")->string) == 0) client = clients[b];
        }
        CHECK(client != NULL, "case %zu: no client for its bundle", i);
        if (client == NULL) continue;
        jvalue *details =
            decide(client, json_get(c, "context"), json_get(c, "decision_key"), json_get(c, "eligible"));
        const jvalue *decision = json_get(details, "decision");
        CHECK(decision != NULL, "case %zu: no decision", i);
        if (decision != NULL) {
            CHECK(json_equal(json_get(decision, "action"), json_get(c, "action")), "case %zu: action",
                  i);
            CHECK(json_get(decision, "actionIndex")->number == json_get(c, "action_index")->number,
                  "case %zu: action index", i);
            CHECK(json_equal(json_get(decision, "unit"), json_get(c, "unit")), "case %zu: unit", i);
            CHECK(json_get(decision, "draw")->number == json_get(c, "draw")->number,
                  "case %zu: draw", i);
            check_close(json_get(decision, "probabilities"), json_get(c, "probabilities"),
                        "probabilities", i);
            check_close(json_get(decision, "scores"), json_get(c, "scores"), "scores", i);
            check_close(json_get(decision, "propensity"), json_get(c, "propensity"), "propensity",
                        i);
            check_close(json_get(decision, "optimalityGap"), json_get(c, "optimality_gap"),
                        "optimality gap", i);
        }
        json_free(details);
        checked++;
    }
    const jvalue *unit_errors = json_get(vectors, "unit_errors");
    for (size_t i = 0; i < unit_errors->count; i++) {
        const jvalue *c = unit_errors->items[i];
        tandem_client *client = NULL;
        for (size_t b = 0; b < bundles->count && b < 16; b++) {
            if (strcmp(bundles->keys[b], json_get(c, "bundle")->string) == 0) client = clients[b];
        }
        if (client == NULL) continue;
        jvalue *details = decide(client, json_get(c, "context"), NULL, NULL);
        CHECK(json_equal(json_get(details, "errorCode"), json_get(c, "error")),
              "unit error %zu: error code", i);
        CHECK(json_get(details, "decision") == NULL, "unit error %zu: a decision", i);
        json_free(details);
        checked++;
    }
    CHECK(checked >= 160, "only %zu policy cases", checked);
    for (size_t b = 0; b < 16; b++) tandem_client_free(clients[b]);
    json_free(vectors);
    free(text);
}
