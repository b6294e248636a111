/* See json.h. Recursive descent over RFC 8259; enough for the vectors, not a general parser
 * (no limits on nesting beyond what the vectors need). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *text;
    size_t len;
    size_t at;
} parser;

static void skip_space(parser *p) {
    while (p->at < p->len && strchr(" \t\r\n", p->text[p->at]) != NULL && p->text[p->at] != 0) {
        p->at++;
    }
}

static jvalue *parse_value(parser *p);

static void put_utf8(char *out, size_t *n, unsigned cp) {
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* Decodes the string at p->at (on the opening quote). */
static char *parse_string(parser *p, size_t *out_len) {
    if (p->at >= p->len || p->text[p->at] != '"') return NULL;
    p->at++;
    /* Decoded text is never longer than the escaped text. */
    size_t start = p->at, cap = 0;
    while (start + cap < p->len && p->text[start + cap] != '"') {
        cap += p->text[start + cap] == '\\' ? 2 : 1;
    }
    char *out = malloc(cap + 1);
    size_t n = 0;
    while (p->at < p->len && p->text[p->at] != '"') {
        char c = p->text[p->at++];
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (p->at >= p->len) break;
        char e = p->text[p->at++];
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (p->at + 4 > p->len || !hex4(p->text + p->at, &cp)) { free(out); return NULL; }
            p->at += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p->at + 6 <= p->len && p->text[p->at] == '\\' &&
                p->text[p->at + 1] == 'u') {
                unsigned lo;
                if (hex4(p->text + p->at + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    p->at += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
            }
            put_utf8(out, &n, cp);
            break;
        }
        default: free(out); return NULL;
        }
    }
    if (p->at >= p->len) { free(out); return NULL; }
    p->at++; /* closing quote */
    out[n] = 0;
    *out_len = n;
    return out;
}

static jvalue *new_value(jtype type, parser *p, size_t start) {
    jvalue *v = calloc(1, sizeof *v);
    v->type = type;
    v->src = p->text + start;
    return v;
}

static int push(jvalue *v, jvalue *item, char *key, size_t *cap) {
    if (v->count == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        v->items = realloc(v->items, *cap * sizeof *v->items);
        if (v->type == J_OBJECT) v->keys = realloc(v->keys, *cap * sizeof *v->keys);
    }
    v->items[v->count] = item;
    if (v->type == J_OBJECT) v->keys[v->count] = key;
    v->count++;
    return 1;
}

static jvalue *parse_value(parser *p) {
    skip_space(p);
    if (p->at >= p->len) return NULL;
    size_t start = p->at;
    char c = p->text[p->at];
    jvalue *v = NULL;
    if (c == '{' || c == '[') {
        int object = c == '{';
        v = new_value(object ? J_OBJECT : J_ARRAY, p, start);
        size_t cap = 0;
        p->at++;
        skip_space(p);
        if (p->at < p->len && p->text[p->at] == (object ? '}' : ']')) {
            p->at++;
        } else {
            for (;;) {
                char *key = NULL;
                if (object) {
                    size_t key_len;
                    skip_space(p);
                    key = parse_string(p, &key_len);
                    skip_space(p);
                    if (key == NULL || p->at >= p->len || p->text[p->at] != ':') {
                        free(key);
                        json_free(v);
                        return NULL;
                    }
                    p->at++;
                }
                jvalue *item = parse_value(p);
                if (item == NULL) { free(key); json_free(v); return NULL; }
                push(v, item, key, &cap);
                skip_space(p);
                if (p->at < p->len && p->text[p->at] == ',') { p->at++; continue; }
                if (p->at < p->len && p->text[p->at] == (object ? '}' : ']')) { p->at++; break; }
                json_free(v);
                return NULL;
            }
        }
    } else if (c == '"') {
        v = new_value(J_STRING, p, start);
        v->string = parse_string(p, &v->string_len);
        if (v->string == NULL) { json_free(v); return NULL; }
    } else if (p->len - p->at >= 4 && strncmp(p->text + p->at, "true", 4) == 0) {
        v = new_value(J_BOOL, p, start);
        v->boolean = true;
        p->at += 4;
    } else if (p->len - p->at >= 5 && strncmp(p->text + p->at, "false", 5) == 0) {
        v = new_value(J_BOOL, p, start);
        p->at += 5;
    } else if (p->len - p->at >= 4 && strncmp(p->text + p->at, "null", 4) == 0) {
        v = new_value(J_NULL, p, start);
        p->at += 4;
    } else {
        /* strtod needs a NUL-terminated copy: the number's characters only. */
        size_t end = p->at;
        while (end < p->len && strchr("+-0123456789.eE", p->text[end]) != NULL && p->text[end]) end++;
        if (end == p->at) return NULL;
        char buf[64];
        size_t n = end - p->at < sizeof buf - 1 ? end - p->at : sizeof buf - 1;
        memcpy(buf, p->text + p->at, n);
        buf[n] = 0;
        v = new_value(J_NUMBER, p, start);
        v->number = strtod(buf, NULL);
        p->at = end;
    }
    v->src_len = p->at - start;
    return v;
}

jvalue *json_parse(const char *text, size_t len) {
    parser p = {text, len, 0};
    jvalue *v = parse_value(&p);
    skip_space(&p);
    if (v != NULL && p.at != len) {
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(jvalue *v) {
    if (v == NULL) return;
    for (size_t i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

const jvalue *json_get(const jvalue *object, const char *key) {
    if (object == NULL || object->type != J_OBJECT) return NULL;
    for (size_t i = 0; i < object->count; i++) {
        if (strcmp(object->keys[i], key) == 0) return object->items[i];
    }
    return NULL;
}

bool json_equal(const jvalue *a, const jvalue *b) {
    if (a == NULL || b == NULL) return a == b;
    if (a->type != b->type) return false;
    switch (a->type) {
    case J_NULL: return true;
    case J_BOOL: return a->boolean == b->boolean;
    case J_NUMBER: return a->number == b->number;
    case J_STRING:
        return a->string_len == b->string_len && memcmp(a->string, b->string, a->string_len) == 0;
    case J_ARRAY:
        if (a->count != b->count) return false;
        for (size_t i = 0; i < a->count; i++) {
            if (!json_equal(a->items[i], b->items[i])) return false;
        }
        return true;
    case J_OBJECT:
        if (a->count != b->count) return false;
        for (size_t i = 0; i < a->count; i++) {
            if (!json_equal(a->items[i], json_get(b, a->keys[i]))) return false;
        }
        return true;
    }
    return false;
}

char *read_file(const char *path, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    size_t n = fread(text, 1, (size_t)size, f);
    fclose(f);
    text[n] = 0;
    *out_len = n;
    return text;
}
