/* cli/cli_peer_dir.c - `mreza peer orgs PEER [--json]` and `mreza peer bind PEER ID`
 * without --name, `--all-from-directory` (issue 11, docs/federation.md sections 1 and
 * 6.4): a mreza peer's directory read live (fed_directory: the identity objects of
 * the organisations homed there), each with how it is bound here, and binding from
 * it (svc_directory_bind: the directory's name, country, sector and kind). cli_peer.c
 * dispatches here; `peer bind PEER ORG --name HANDLE` stays offline there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "domain/svc_directory.h"
#include "fed/fed.h"
#include "util/buf.h"

static const char *binding_text(const struct svc_dir_entry *e, char *buf, size_t cap)
{
    switch (e->state) {
    case SVC_DIR_BOUND_HERE:
        return "bound to this peer";
    case SVC_DIR_BOUND_OTHER:
        snprintf(buf, cap, "bound to %s (conflict)", e->other_peer);
        return buf;
    case SVC_DIR_LOCAL:
        return "local organisation (conflict)";
    case SVC_DIR_NOT_BOUND:
        break;
    }
    return "not bound";
}

static const char *binding_key(enum svc_dir_state s)
{
    return s == SVC_DIR_BOUND_HERE ? "bound" : s == SVC_DIR_BOUND_OTHER ? "bound_other"
                                           : s == SVC_DIR_LOCAL          ? "local"
                                                                         : "not_bound";
}

static void json_str_or_null(struct mz_buf *b, const char *key, const char *v)
{
    mz_buf_printf(b, ",\"%s\":", key);
    if (v && *v)
        mz_buf_json_str(b, v);
    else
        mz_buf_puts(b, "null");
}

static void print_json(const char *peer, const struct svc_dir_list *l)
{
    struct mz_buf b;

    mz_buf_init(&b, (size_t)64 << 20);
    mz_buf_puts(&b, "{\"peer\":");
    mz_buf_json_str(&b, peer);
    mz_buf_puts(&b, ",\"orgs\":[");
    for (size_t i = 0; i < l->n; i++) {
        const struct svc_dir_entry *e = &l->e[i];
        mz_buf_printf(&b, "%s{\"identity\":", i ? "," : "");
        mz_buf_json_str(&b, e->identity);
        json_str_or_null(&b, "handle", e->handle);
        json_str_or_null(&b, "name", e->full_name);
        json_str_or_null(&b, "country", e->country);
        json_str_or_null(&b, "sector", e->sector);
        json_str_or_null(&b, "kind", e->kind);
        json_str_or_null(&b, "version", e->version);
        mz_buf_printf(&b, ",\"binding\":\"%s\"", binding_key(e->state));
        json_str_or_null(&b, "org", e->here);
        json_str_or_null(&b, "bound_peer", e->other_peer);
        mz_buf_putc(&b, '}');
    }
    mz_buf_puts(&b, "]}\n");
    if (mz_buf_status(&b) == MZ_OK)
        fwrite(b.data, 1, b.len, stdout);
    mz_buf_free(&b);
}

static void print_table(const struct svc_dir_list *l)
{
    char buf[STORE_NODE_NAME_LEN + 32];

    printf("%-46s %-16s %-3s %-16s %-12s %-32s %s\n", "IDENTITY", "HANDLE", "CC", "KIND", "SECTOR", "NAME",
           "BINDING");
    for (size_t i = 0; i < l->n; i++) {
        const struct svc_dir_entry *e = &l->e[i];
        printf("%-46s %-16s %-3s %-16s %-12s %-32s %s%s%s%s\n", e->identity, e->handle[0] ? e->handle : "-",
               e->country[0] ? e->country : "-", e->kind, e->sector[0] ? e->sector : "-",
               e->full_name[0] ? e->full_name : "-", binding_text(e, buf, sizeof buf),
               e->here[0] && e->state != SVC_DIR_NOT_BOUND ? " (here: " : "",
               e->state != SVC_DIR_NOT_BOUND ? e->here : "", e->here[0] && e->state != SVC_DIR_NOT_BOUND ? ")" : "");
    }
    if (!l->n)
        printf("(the peer's directory lists no organisation)\n");
}

/* The peer's directory into l, or the failure printed (its code named). */
static int fetch(struct cli_args *a, struct store *st, const struct principal *c, const char *peer,
                 struct svc_dir_list *l)
{
    struct mz_error err;
    enum fed_code code;

    mz_error_clear(&err);
    code = fed_directory(st, c, peer, &a->conf, l, &err);
    if (code == FED_CONFIG)
        return cli_fail(&err);
    if (code != FED_OK)
        return cli_failf("peer %s: %s: %s", peer, fed_code_name(code), err.msg);
    return CLI_EXIT_OK;
}

int cli_peer_orgs(struct cli_args *a, struct store *st, const struct principal *c)
{
    struct svc_dir_list l;
    struct mz_error err;
    int rc;

    mz_error_clear(&err);
    memset(&l, 0, sizeof l);
    rc = fetch(a, st, c, a->pos[1], &l);
    if (!rc && svc_directory_status(st, c, a->pos[1], &l, &err))
        rc = cli_fail(&err);
    if (!rc && cli_flag(a, "json"))
        print_json(a->pos[1], &l);
    else if (!rc)
        print_table(&l);
    svc_dir_list_free(&l);
    return rc;
}

int cli_peer_bind_dir(struct cli_args *a, struct store *st, const struct principal *c)
{
    const char *peer = a->pos[1], *id = a->n_pos > 2 ? a->pos[2] : NULL;
    struct svc_dir_list l;
    struct mz_error err;
    size_t n = 0;
    int rc;

    mz_error_clear(&err);
    memset(&l, 0, sizeof l);
    rc = fetch(a, st, c, peer, &l);
    if (!rc && svc_directory_bind(st, c, peer, &l, id, NULL, &n, &err)) {
        char buf[STORE_NODE_NAME_LEN + 32];
        for (size_t i = 0; err.code == MZ_ECONFLICT && i < l.n; i++)
            if ((l.e[i].state == SVC_DIR_BOUND_OTHER || l.e[i].state == SVC_DIR_LOCAL) &&
                (!id || !strcasecmp(l.e[i].identity, id)))
                fprintf(stderr, "conflict: %s %s: %s\n", l.e[i].identity, l.e[i].full_name,
                        binding_text(&l.e[i], buf, sizeof buf));
        rc = cli_fail(&err);
    }
    for (size_t i = 0; !rc && i < l.n; i++) {
        const struct svc_dir_entry *e = &l.e[i];
        if (e->bound_now)
            printf("bound %s (%s, %s %s%s%s) to peer %s\n", e->here, e->identity,
                   e->country[0] ? e->country : "-", e->kind, e->full_name[0] ? ": " : "", e->full_name, peer);
    }
    if (!rc && !id)
        printf("bound %zu organisation%s of peer %s's directory\n", n, n == 1 ? "" : "s", peer);
    svc_dir_list_free(&l);
    return rc;
}
