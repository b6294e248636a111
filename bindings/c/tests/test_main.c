/* Runs every test, or those named on the command line; ends with `c: N passed, M failed`. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tests.h"

int harness_failures = 0;

static const struct {
    const char *name;
    void (*run)(void);
} TESTS[] = {
    {"evaluation_vectors", test_evaluation_vectors},
    {"bucketing_vectors", test_bucketing_vectors},
    {"policy_vectors", test_policy_vectors},
    {"typed_getters", test_typed_getters},
    {"context", test_context},
    {"evaluate_all", test_evaluate_all},
    {"precompute", test_precompute},
    {"track_and_events", test_track_and_events},
    {"sticky", test_sticky},
    {"clock_and_stats", test_clock_and_stats},
    {"errors", test_errors},
    {"null_arguments", test_null_arguments},
    {"result_outlives_update", test_result_outlives_update},
    {"threads", test_threads},
};

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    size_t count = sizeof TESTS / sizeof TESTS[0];
    for (int a = 1; a < argc; a++) {
        int known = 0;
        for (size_t i = 0; i < count; i++) known |= strcmp(argv[a], TESTS[i].name) == 0;
        if (!known) {
            fprintf(stderr, "unknown test %s\n", argv[a]);
            return 2;
        }
    }
    for (size_t i = 0; i < count; i++) {
        int selected = argc == 1;
        for (int a = 1; a < argc; a++) selected |= strcmp(argv[a], TESTS[i].name) == 0;
        if (!selected) continue;
        int before = harness_failures;
        TESTS[i].run();
        int ok = harness_failures == before;
        printf("test %s ... %s\n", TESTS[i].name, ok ? "ok" : "FAILED");
        fflush(stdout);
        ok ? passed++ : failed++;
    }
    printf("c: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
