/* fmt/taxii.c - see taxii.h. The list's members are written in the order objects (or
 * versions), more, next, so that items go out as they come and `more` is decided
 * last; JSON members have no order. */
#include "fmt/taxii.h"

#include <string.h>

void taxii_list_begin(struct taxii_list *w, struct mz_buf *b, enum taxii_list_kind kind)
{
    w->b = b;
    w->kind = kind;
    w->n = 0;
    w->meta = NULL;
    w->n_meta = 0;
    mz_buf_putc(b, '{');
}

/* Before an item: the list's opening, or a comma. */
static enum mz_err item(struct taxii_list *w)
{
    if (w->n++)
        return mz_buf_putc(w->b, ',');
    return mz_buf_puts(w->b, w->kind == TAXII_VERSIONS ? "\"versions\":[" : "\"objects\":[");
}

enum mz_err taxii_list_object(struct taxii_list *w, const char *json, size_t len)
{
    enum mz_err rc = item(w);

    return rc ? rc : mz_buf_append(w->b, json, len);
}

enum mz_err taxii_list_meta(struct taxii_list *w, struct mz_buf *meta, const struct taxii_meta *m)
{
    w->meta = meta;
    mz_buf_puts(meta, w->n_meta++ ? ",{\"id\":" : "{\"id\":");
    mz_buf_json_str(meta, m->id);
    mz_buf_puts(meta, ",\"version\":");
    mz_buf_json_str(meta, m->version && m->version[0] ? m->version : m->date_added);
    mz_buf_puts(meta, ",\"owner\":");
    mz_buf_json_str(meta, m->owner ? m->owner : "");
    mz_buf_puts(meta, ",\"communities\":[");
    for (size_t i = 0; i < m->n_communities; i++) {
        if (i)
            mz_buf_putc(meta, ',');
        mz_buf_json_str(meta, m->communities[i]);
    }
    mz_buf_puts(meta, "],\"date_added\":");
    mz_buf_json_str(meta, m->date_added);
    mz_buf_putc(meta, '}');
    return mz_buf_status(meta);
}

enum mz_err taxii_list_manifest(struct taxii_list *w, const char *id, const char *date_added, const char *version,
                                const char *media_type)
{
    struct mz_buf *b = w->b;

    item(w);
    mz_buf_puts(b, "{\"id\":");
    mz_buf_json_str(b, id);
    mz_buf_puts(b, ",\"date_added\":");
    mz_buf_json_str(b, date_added);
    mz_buf_puts(b, ",\"version\":");
    mz_buf_json_str(b, version && version[0] ? version : date_added);
    mz_buf_puts(b, ",\"media_type\":");
    mz_buf_json_str(b, media_type ? media_type : TAXII_STIX_TYPE);
    return mz_buf_putc(b, '}');
}

enum mz_err taxii_list_version(struct taxii_list *w, const char *version)
{
    item(w);
    return mz_buf_json_str(w->b, version);
}

enum mz_err taxii_list_end(struct taxii_list *w, int more, const char *next)
{
    struct mz_buf *b = w->b;

    if (w->n)
        mz_buf_putc(b, ']');
    if (w->n && w->meta && w->n_meta) {
        enum mz_err rc = mz_buf_status(w->meta);
        if (rc && !b->err)
            b->err = rc; /* the envelope lost a piece: latched in it as any other */
        if (rc)
            return rc;
        mz_buf_puts(b, ",\"x_mreza_meta\":[");
        mz_buf_append(b, w->meta->data, w->meta->len);
        mz_buf_putc(b, ']');
    }
    if (more || w->n)
        mz_buf_printf(b, "%s\"more\":%s", w->n ? "," : "", more ? "true" : "false");
    if (more && next && next[0]) {
        mz_buf_puts(b, ",\"next\":");
        mz_buf_json_str(b, next);
    }
    mz_buf_puts(b, "}\n");
    return mz_buf_status(b);
}
