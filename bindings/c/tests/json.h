/*
 * A small JSON reader for the C tests: parses the shared vectors (the files in testdata/) into a
 * tree, keeps each value's source text (to hand configs and contexts to Tandem as they are),
 * and compares two values structurally (numbers by value, objects by key set).
 */
#ifndef TANDEM_TEST_JSON_H
#define TANDEM_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } jtype;

typedef struct jvalue jvalue;
struct jvalue {
    jtype type;
    bool boolean;
    double number;
    char *string;        /* decoded UTF-8, NUL-terminated; strings and object keys */
    size_t string_len;
    jvalue **items;      /* array items or object values */
    char **keys;         /* object keys (decoded) */
    size_t count;
    const char *src;     /* the value's text in the parsed document */
    size_t src_len;
};

/* Parses `len` bytes of `text` (which must outlive the tree); NULL on a syntax error. */
jvalue *json_parse(const char *text, size_t len);
void json_free(jvalue *v);
/* The member `key` of an object, or NULL. */
const jvalue *json_get(const jvalue *object, const char *key);
/* Structural equality: numbers compared as doubles, objects regardless of key order. */
bool json_equal(const jvalue *a, const jvalue *b);
/* Reads a whole file into a NUL-terminated buffer (free it); NULL on failure. */
char *read_file(const char *path, size_t *out_len);

#endif
