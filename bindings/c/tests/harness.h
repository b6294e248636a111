/* The C tests' harness: CHECK records a failure with its line and goes on, so one run reports
 * every failing check; each test is a function run by name. */
#ifndef TANDEM_TEST_HARNESS_H
#define TANDEM_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "tandem.h"

extern int harness_failures;

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            harness_failures++;                                                              \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fprintf(stderr, "\n");                                                           \
        }                                                                                    \
    } while (0)

/* A call that must succeed; prints Tandem's message when it does not. */
#define OK(call)                                                                             \
    do {                                                                                     \
        tandem_status ok_status_ = (call);                                                   \
        if (ok_status_ != TANDEM_STATUS_OK) {                                                \
            char ok_message_[512];                                                           \
            tandem_last_error(ok_message_, sizeof ok_message_);                              \
            harness_failures++;                                                              \
            fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__, #call,        \
                    tandem_status_name(ok_status_), ok_message_);                            \
        }                                                                                    \
    } while (0)

/* A string literal as the (pointer, length) pair the ABI takes. */
#define S(literal) (literal), (sizeof(literal) - 1)

/* Whether a (pointer, length) text equals a C string. */
static inline int text_is(const char *text, size_t len, const char *expected) {
    return text != NULL && len == strlen(expected) && memcmp(text, expected, len) == 0;
}

#endif
