/* engine/obsline.c - see obsline.h. */
#include "engine/obsline.h"

#include <stdlib.h>
#include <string.h>

int obsline_init(struct obsline *l, size_t cap)
{
    memset(l, 0, sizeof *l);
    l->scratch = malloc(cap);
    l->cap = cap;
    return l->scratch ? 0 : -1;
}

void obsline_free(struct obsline *l)
{
    free(l->scratch);
    l->scratch = NULL;
}

void obsline_reset(struct obsline *l)
{
    l->n = 0;
    l->used = 0;
}

/* Copy len bytes into the scratch space, NUL-terminated; returns the copy. */
static const char *keep(struct obsline *l, const char *s, size_t len)
{
    char *p = l->scratch + l->used;

    memcpy(p, s, len);
    p[len] = '\0';
    l->used += len + 1;
    return p;
}

int obsline_add(void *ctx, const struct logfmt_value *v)
{
    struct obsline *l = ctx;
    struct engine_value *o;

    if (l->n == ENGINE_MATCH_MAX_VALUES || l->used + v->field_len + v->value_len + 2 > l->cap)
        return 1;
    o = &l->vals[l->n++];
    o->field = keep(l, v->field, v->field_len);
    o->value = keep(l, v->value, v->value_len);
    o->len = v->value_len;
    o->kind_hint = v->kind_hint;
    return 0;
}
