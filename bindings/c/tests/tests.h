/* The C test suite: the same test names as the Python and Kotlin suites. */
#ifndef TANDEM_TESTS_H
#define TANDEM_TESTS_H

void test_evaluation_vectors(void);
void test_bucketing_vectors(void);
void test_policy_vectors(void);
void test_typed_getters(void);
void test_context(void);
void test_evaluate_all(void);
void test_precompute(void);
void test_track_and_events(void);
void test_sticky(void);
void test_clock_and_stats(void);
void test_errors(void);
void test_null_arguments(void);
void test_result_outlives_update(void);
void test_threads(void);

#endif
