/* cli/cli_peer.c - `mreza peer add|set|list|show|remove|secret|key|bind|unbind`
 * (issue 11 work package 4, docs/federation.md section 1): the other nodes this one
 * syncs with, managed by the node's operator at the console (principal_console).
 * Each subcommand is one svc_peer_* call (domain/svc_peer.c decides what is valid);
 * the option tables are here (cli.h). Keys are printed once, when made; the key this
 * node presents to a peer is read from a file or standard input and never printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/svc.h"
#include "rules/principal.h"
#include "util/timefmt.h"

#define ADD_OPTIONS_COMMON                                                                         \
    {.name = "kind", .kind = CLI_OPT_TEXT, .value = "mreza|taxii",                                 \
     .help = "mreza: another mreza node (default); taxii: any other TAXII 2.1 server"},             \
    {.name = "direction", .kind = CLI_OPT_TEXT, .value = "pull|push|both",                         \
     .help = "pull: this node GETs what the peer serves it (default); push: it POSTs; both"},      \
    {.name = "country", .kind = CLI_OPT_TEXT, .value = "CC", .help = "the peer's country (ISO 3166-1 alpha-2)"}, \
    {.name = "system-ca", .kind = CLI_OPT_FLAG, .group = 1,                                        \
     .help = "verify the peer's certificate by the system's CAs (the default)"},                   \
    {.name = "ca-file", .kind = CLI_OPT_TEXT, .value = "FILE", .group = 1,                         \
     .help = "verify the peer's certificate by the CA(s) in FILE"},                                \
    {.name = "pin", .kind = CLI_OPT_TEXT, .value = "sha256//…", .group = 1,                        \
     .help = "verify the peer by its key's pin (mreza tls pin on the peer); several: ';'"},        \
    {.name = "client-cert", .kind = CLI_OPT_TEXT, .value = "FILE",                                 \
     .help = "the certificate this node presents to the peer (with --client-key)"},                \
    {.name = "client-key", .kind = CLI_OPT_TEXT, .value = "FILE", .help = "its private key"},       \
    {.name = "allow-http", .kind = CLI_OPT_FLAG,                                                   \
     .help = "accept a plain http:// URL (test networks only: anyone on the path reads it)"},      \
    {.name = "auth", .kind = CLI_OPT_TEXT, .value = "bearer|basic",                                \
     .help = "how this node presents its key to the peer (default bearer)"},                       \
    {.name = "user", .kind = CLI_OPT_TEXT, .value = "NAME", .help = "the user name of Basic"},      \
    {.name = "interval", .kind = CLI_OPT_INT, .value = "SECONDS", .min = 0, .max = 7 * 86400,      \
     .help = "sync this peer every SECONDS (0: sync.interval)"},                                   \
    {.name = "collection", .kind = CLI_OPT_TEXT, .value = "ID=COMMUNITY", .flags = CLI_OPT_REPEAT, \
     .max_times = 64, .help = "taxii peers: pull the peer's collection ID into the local COMMUNITY"}, \
    {.name = "push-collection", .kind = CLI_OPT_TEXT, .value = "ID=COMMUNITY", .flags = CLI_OPT_REPEAT, \
     .max_times = 64, .help = "taxii peers: push the local COMMUNITY (or mreza-direct) as the peer may read it to its ID"}, \
    {.name = "identity", .kind = CLI_OPT_TEXT, .value = "IDENTITY",                                \
     .help = "mreza peers: the node's STIX identity; every sync checks the peer's API root names it"}, \
    {.name = "unmarked", .kind = CLI_OPT_TEXT, .value = "clear|green|default",                     \
     .help = "taxii peers: store unmarked objects as CLEAR or GREEN (default: AMBER+STRICT of the owner)"}, \
    {.name = "require-client-cert", .kind = CLI_OPT_FLAG, .group = 3,                              \
     .help = "the peer's key works here only over mutual TLS: a client certificate verified by tls.client_ca"}, \
    {.name = "client-pin", .kind = CLI_OPT_TEXT, .value = "sha256//…",                             \
     .help = "... whose key has this pin (mreza tls pin FILE; several: ';'; none: clear); implies --require-client-cert"}

const struct cli_option cli_peer_add_options[] = {
    {.name = "url", .kind = CLI_OPT_TEXT, .value = "URL", .flags = CLI_OPT_REQUIRED,
     .help = "the peer's TAXII API root, https://host:port/taxii2/api/"},
    ADD_OPTIONS_COMMON,
    {.name = "secret-file", .kind = CLI_OPT_TEXT, .value = "FILE",
     .help = "the key the peer gave this node, read from FILE (or later: mreza peer secret)"},
    {.name = "org", .kind = CLI_OPT_TEXT, .value = "ORG", .flags = CLI_OPT_REPEAT, .max_times = 64,
     .help = "bind this organisation (handle or identity id) to the peer; a taxii peer's first owns what it sends"},
    {.name = NULL},
};

const struct cli_option cli_peer_set_options[] = {
    {.name = "url", .kind = CLI_OPT_TEXT, .value = "URL", .help = "the peer's TAXII API root"},
    ADD_OPTIONS_COMMON,
    {.name = "no-require-client-cert", .kind = CLI_OPT_FLAG, .group = 3,
     .help = "the peer's key works without a client certificate again (drops --client-pin)"},
    {.name = "pause", .kind = CLI_OPT_FLAG, .group = 2, .help = "stop syncing with the peer until --resume"},
    {.name = "resume", .kind = CLI_OPT_FLAG, .group = 2, .help = "sync with the peer again"},
    {.name = NULL},
};

const struct cli_option cli_peer_list_options[] = {
    {.name = "json", .kind = CLI_OPT_FLAG, .help = "print JSON (the fields of GET /api/v1/peers)"},
    {.name = NULL},
};

const struct cli_option cli_peer_key_options[] = {
    {.name = "comment", .kind = CLI_OPT_TEXT, .value = "TEXT", .help = "issue: what the key is for"},
    {.name = "expires", .kind = CLI_OPT_TEXT, .value = "DATE|DURATION",
     .help = "issue, rotate: when the key stops working (2026-12-31, 90d, never)"},
    {.name = "grace", .kind = CLI_OPT_TEXT, .value = "DURATION",
     .help = "rotate: how long the old keys keep working (0 to 7d; default 0: revoked at once)"},
    {.name = NULL},
};

const struct cli_option cli_peer_bind_options[] = {
    {.name = "name", .kind = CLI_OPT_TEXT, .value = "HANDLE",
     .help = "an identity no organisation has yet: the handle of the remote organisation made for it"},
    {.name = NULL},
};

/* The text of FILE or of standard input ("-"), without its trailing white space, in
 * out (cap bytes). */
static int read_secret(const char *path, char *out, size_t cap)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    size_t n;

    if (!f)
        return cli_failf("cannot read %s", path);
    n = fread(out, 1, cap - 1, f);
    if (!feof(f) && n == cap - 1) {
        if (f != stdin)
            fclose(f);
        return cli_failf("the key in %s is longer than %zu bytes", path, cap - 2);
    }
    if (f != stdin)
        fclose(f);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
    if (!n)
        return cli_failf("%s holds no key", strcmp(path, "-") ? path : "standard input");
    return CLI_EXIT_OK;
}

static void conf_of(const struct cli_args *a, struct svc_peer_new *in)
{
    const char *iv = cli_opt(a, "interval");

    memset(in, 0, sizeof *in);
    in->url = cli_opt(a, "url");
    in->kind = cli_opt(a, "kind");
    in->direction = cli_opt(a, "direction");
    in->country = cli_opt(a, "country");
    in->system_ca = cli_flag(a, "system-ca");
    in->ca_file = cli_opt(a, "ca-file");
    in->pin = cli_opt(a, "pin");
    in->client_cert = cli_opt(a, "client-cert");
    in->client_key = cli_opt(a, "client-key");
    in->allow_http = cli_flag(a, "allow-http") ? 1 : -1;
    in->auth = cli_opt(a, "auth");
    in->user = cli_opt(a, "user");
    in->interval = iv ? strtol(iv, NULL, 10) : -1;
    in->paused = cli_flag(a, "pause") ? 1 : cli_flag(a, "resume") ? 0 : -1;
    in->unmarked = cli_opt(a, "unmarked");
    in->identity = cli_opt(a, "identity");
    in->client_cert_required = cli_flag(a, "require-client-cert")      ? SVC_PEER_CERT_REQUIRED
                               : cli_flag(a, "no-require-client-cert") ? SVC_PEER_CERT_OPTIONAL
                                                                       : 0;
    in->client_pin = cli_opt(a, "client-pin");
    /* the CLI runs one command: the pairs live until it ends */
    static const char *colls[64];
    for (int i = 0; i < a->n_opt; i++)
        if (!strcmp(a->opt[i].key, "collection") && in->n_collections < 64)
            colls[in->n_collections++] = a->opt[i].val;
    in->collections = colls;
    static const char *pcolls[64];
    for (int i = 0; i < a->n_opt; i++)
        if (!strcmp(a->opt[i].key, "push-collection") && in->n_push_collections < 64)
            pcolls[in->n_push_collections++] = a->opt[i].val;
    in->push_collections = pcolls;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static void print_row(const struct svc_peer_view *v)
{
    char lag[32];

    if (v->lag_seconds >= 0)
        snprintf(lag, sizeof lag, "%llds", (long long)v->lag_seconds);
    else
        snprintf(lag, sizeof lag, "-");
    printf("%-12s %-44s %-5s %-8s %-21s %-8s %-9lld %-8lld %s\n", v->node.name, v->node.url, v->node.direction,
           v->state, or_dash(v->node.last_success), lag, (long long)v->received,
           (long long)(v->refused_owner + v->refused_community + v->refused_tlp + v->refused_invalid +
                       v->refused_conflict + v->refused_cap),
           or_dash(v->node.last_error_code));
}

struct list_out {
    int json;
    size_t n;
};

static int list_one(void *ctx, const struct svc_peer_view *v)
{
    struct list_out *o = ctx;

    if (o->json) {
        struct mz_buf b;
        mz_buf_init(&b, (size_t)1 << 20);
        svc_peer_json(&b, v);
        printf("%s%.*s", o->n ? "," : "", (int)b.len, b.data);
        mz_buf_free(&b);
    } else {
        print_row(v);
    }
    o->n++;
    return 0;
}

static void show(const struct svc_peer_view *v)
{
    const struct store_node *n = &v->node;

    printf("name          %s\nurl           %s\nkind          %s\ndirection     %s\ncountry       %s\n", n->name, n->url,
           n->kind, n->direction, or_dash(n->country));
    if (n->identity[0])
        printf("identity      %s\n", n->identity);
    printf("verify        %s%s%s\n", n->verify, n->pin[0] ? " " : n->ca_file[0] ? " " : "",
           n->pin[0] ? n->pin : n->ca_file);
    printf("mutual tls    %s%s%s\n", n->require_client_cert ? "required" : "not required",
           n->client_pin[0] ? ", pinned " : "", n->client_pin);
    printf("plain http    %s\nclient cert   %s\nauth          %s%s%s\nsecret        %s\n",
           !strncmp(n->url, "http://", 7) ? "yes (--allow-http)" : "no", n->client_cert[0] ? n->client_cert : "none",
           n->auth, n->out_user[0] ? " as " : "", n->out_user, n->has_secret ? "set (never shown)" : "not set");
    printf("state         %s\nlast attempt  %s\nlast success  %s\n", v->state, or_dash(n->last_attempt),
           or_dash(n->last_success));
    if (n->last_error_code[0])
        printf("last error    %s: %s (%s, %s)\n", n->last_error_code, n->last_error, or_dash(n->last_error_coll),
               or_dash(n->last_error_at));
    else
        printf("last error    -\n");
    printf("next run      %s\n", n->next_run[0] ? n->next_run : "- (mreza serve schedules one; sync.interval)");
    printf("failures      %ld\nreceived      %lld\nduplicates    %lld\nrefused       owner %lld, community %lld, tlp "
           "%lld, invalid %lld, conflict %lld, cap %lld\nkeys          %lld active\n",
           n->failures, (long long)v->received, (long long)v->duplicates, (long long)v->refused_owner,
           (long long)v->refused_community, (long long)v->refused_tlp, (long long)v->refused_invalid,
           (long long)v->refused_conflict, (long long)v->refused_cap, (long long)v->keys_active);
    printf("orgs         ");
    for (size_t i = 0; i < v->n_orgs; i++)
        printf(" %s", v->orgs[i]);
    if (v->orgs_total > v->n_orgs)
        printf(" (and %zu more)", v->orgs_total - v->n_orgs);
    printf("%s\n", v->orgs_total ? "" : " none (mreza peer bind)");
    for (size_t i = 0; i < v->n_subs; i++)
        printf("subscription  %s %s%s%s after %s: %lld objects\n", v->subs[i].collection, v->subs[i].direction,
               v->subs[i].community[0] ? " into " : "", v->subs[i].community, or_dash(v->subs[i].added_after),
               (long long)v->subs[i].objects);
}

static int print_key(void *ctx, const struct svc_key_view *k)
{
    (void)ctx;
    printf("%-6lld %-8s %-10s %-21s %-21s %s\n", (long long)k->id, k->status, k->prefix, or_dash(k->created),
           or_dash(k->revoked), k->comment);
    return 0;
}

static int do_add(struct cli_args *a, struct store *st, const struct principal *c, struct mz_error *err)
{
    const char *orgs[64];
    char key[SVC_KEY_LEN], secret[SVC_PEER_SECRET_MAX + 2];
    struct svc_peer_new in;
    struct svc_peer_view *v;
    const char *url = cli_opt(a, "url"), *sf = cli_opt(a, "secret-file");
    int rc = CLI_EXIT_OK;

    if (!strncmp(url, "http://", 7) && !cli_flag(a, "allow-http"))
        return cli_usagef("%s is plain HTTP: anyone on the path reads and changes what the nodes share; use https://, "
                          "or --allow-http on a test network",
                          url);
    if (sf && (rc = read_secret(sf, secret, sizeof secret)))
        return rc;
    conf_of(a, &in);
    in.name = a->pos[1];
    for (int i = 0; i < a->n_opt; i++)
        if (!strcmp(a->opt[i].key, "org") && in.n_orgs < 64)
            orgs[in.n_orgs++] = a->opt[i].val;
    in.orgs = orgs;
    v = malloc(sizeof *v);
    if (!v)
        return cli_failf("out of memory");
    if (svc_peer_add(st, c, &in, v, key, err) || (sf && svc_peer_secret_set(st, c, in.name, secret, err))) {
        rc = cli_fail(err);
    } else {
        printf("peer %s added: %s; server verified by %s%s\n", v->node.name, v->node.direction,
               !strcmp(v->node.verify, "pin") ? "its pinned key" : !strcmp(v->node.verify, "ca") ? "the CA file" : "the system's CAs",
               !strncmp(v->node.url, "http://", 7) ? " (plain HTTP!)" : "");
        printf("key for %s to use when it calls this node (shown once, give it to %s's operator):\n%s\n",
               v->node.name, v->node.name, key);
    }
    memset(key, 0, sizeof key);
    memset(secret, 0, sizeof secret);
    free(v);
    return rc;
}

/* `peer key rotate NAME [--grace D] [--comment T] [--expires E]`: a new key for the
 * peer, printed once, in place of every key of it that still works. */
static int key_rotate(struct cli_args *a, struct store *st, const struct principal *c, const char *name,
                      struct mz_error *err)
{
    struct svc_key_opts o = {cli_opt(a, "comment"), cli_opt(a, "expires"), cli_opt(a, "grace")};
    struct svc_key_view k;
    char key[SVC_KEY_LEN];
    long n_old = 0;

    if (a->n_pos > 3)
        return cli_usagef("peer key rotate NAME takes no key id: it replaces every working key of the peer");
    if (svc_peer_key_rotate(st, c, name, &o, &k, key, &n_old, err))
        return cli_fail(err);
    printf("key %lld for peer %s (shown once, give it to %s's operator):\n%s\n", (long long)k.id, name, name, key);
    memset(key, 0, sizeof key);
    if (!n_old)
        printf("peer %s had no other working key\n", name);
    else if (!o.grace || !strcmp(o.grace, "0"))
        printf("its %ld old key%s revoked now\n", n_old, n_old == 1 ? " is" : "s are");
    else
        printf("its %ld old key%s work%s for %s more, then %s revoked\n", n_old, n_old == 1 ? "" : "s",
               n_old == 1 ? "s" : "", o.grace, n_old == 1 ? "is" : "are");
    return CLI_EXIT_OK;
}

static int do_key(struct cli_args *a, struct store *st, const struct principal *c, struct mz_error *err)
{
    const char *what = a->pos[1], *name = a->pos[2];
    struct svc_key_view k;

    if (!strcmp(what, "rotate"))
        return key_rotate(a, st, c, name, err);
    if (cli_flag(a, "grace"))
        return cli_usagef("--grace goes with `peer key rotate`");
    if (!strcmp(what, "issue")) {
        struct svc_key_opts o = {cli_opt(a, "comment"), cli_opt(a, "expires"), NULL};
        char key[SVC_KEY_LEN];
        if (a->n_pos > 3)
            return cli_usagef("peer key issue NAME takes no key id");
        if (svc_peer_key_issue(st, c, name, &o, &k, key, err))
            return cli_fail(err);
        printf("key %lld for peer %s (shown once, give it to %s's operator):\n%s\n", (long long)k.id, name, name, key);
        memset(key, 0, sizeof key);
        return CLI_EXIT_OK;
    }
    if (cli_flag(a, "comment") || cli_flag(a, "expires"))
        return cli_usagef("--comment and --expires go with `peer key issue` and `peer key rotate`");
    if (!strcmp(what, "list")) {
        if (a->n_pos > 3)
            return cli_usagef("peer key list NAME takes no key id");
        return svc_peer_key_list(st, c, name, print_key, NULL, err) ? cli_fail(err) : CLI_EXIT_OK;
    }
    if (!strcmp(what, "revoke")) {
        char *end = NULL;
        long long id = a->n_pos > 3 ? strtoll(a->pos[3], &end, 10) : 0;
        if (a->n_pos < 4 || !end || *end || id < 1)
            return cli_usagef("peer key revoke NAME KEY_ID (the id of mreza peer key list NAME)");
        if (svc_peer_key_revoke(st, c, name, id, &k, err))
            return cli_fail(err);
        printf("key %lld of peer %s is revoked\n", id, name);
        return CLI_EXIT_OK;
    }
    return cli_usagef("peer key issue|list|revoke|rotate NAME (not '%s')", what);
}

int cli_peer(struct cli_args *a)
{
    struct principal console;
    struct store *st = NULL;
    struct mz_error err;
    const char *sub = a->pos[0];
    int rc = CLI_EXIT_OK;

    mz_error_clear(&err);
    if (!strcmp(sub, "key") && strcmp(a->pos[1], "issue") && strcmp(a->pos[1], "list") && strcmp(a->pos[1], "revoke") &&
        strcmp(a->pos[1], "rotate"))
        return cli_usagef("peer key issue|list|revoke|rotate NAME (not '%s')", a->pos[1]);
    if (cli_open_store(a, &st, &err))
        return cli_fail(&err);
    principal_console(&console);
    if (!strcmp(sub, "add")) {
        rc = do_add(a, st, &console, &err);
    } else if (!strcmp(sub, "set")) {
        struct svc_peer_new in;
        struct svc_peer_view *v = malloc(sizeof *v);
        conf_of(a, &in);
        if (!v)
            rc = cli_failf("out of memory");
        else if (svc_peer_set(st, &console, a->pos[1], &in, v, &err))
            rc = cli_fail(&err);
        else
            printf("peer %s: %s, %s, %s\n", v->node.name, v->node.url, v->node.direction, v->state);
        free(v);
    } else if (!strcmp(sub, "list")) {
        struct list_out o = {cli_flag(a, "json"), 0};
        if (o.json)
            printf("{\"peers\":[");
        else
            printf("%-12s %-44s %-5s %-8s %-21s %-8s %-9s %-8s %s\n", "NAME", "URL", "DIR", "STATE", "LAST SUCCESS",
                   "LAG", "RECEIVED", "REFUSED", "LAST ERROR");
        if (svc_peer_list(st, &console, list_one, &o, &err))
            rc = cli_fail(&err);
        else if (o.json)
            printf("]}\n");
    } else if (!strcmp(sub, "show")) {
        struct svc_peer_view *v = malloc(sizeof *v);
        if (!v) {
            rc = cli_failf("out of memory");
        } else if (svc_peer_get(st, &console, a->pos[1], v, &err)) {
            rc = cli_fail(&err);
        } else if (cli_flag(a, "json")) {
            struct mz_buf b;
            mz_buf_init(&b, (size_t)1 << 20);
            svc_peer_json(&b, v);
            printf("%.*s\n", (int)b.len, b.data);
            mz_buf_free(&b);
        } else {
            show(v);
        }
        free(v);
    } else if (!strcmp(sub, "remove")) {
        if (svc_peer_remove(st, &console, a->pos[1], &err))
            rc = cli_fail(&err);
        else
            printf("peer %s removed: its keys and bookmarks are gone; what it sent stays, with its provenance\n",
                   a->pos[1]);
    } else if (!strcmp(sub, "secret")) {
        char secret[SVC_PEER_SECRET_MAX + 2];
        rc = read_secret(a->pos[2], secret, sizeof secret);
        if (!rc && svc_peer_secret_set(st, &console, a->pos[1], secret, &err))
            rc = cli_fail(&err);
        else if (!rc)
            printf("stored the key this node presents to peer %s (it is never shown)\n", a->pos[1]);
        memset(secret, 0, sizeof secret);
    } else if (!strcmp(sub, "key")) {
        rc = do_key(a, st, &console, &err);
    } else if (!strcmp(sub, "bind")) {
        struct store_org o;
        if (svc_peer_bind(st, &console, a->pos[1], a->pos[2], cli_opt(a, "name"), &o, &err))
            rc = cli_fail(&err);
        else
            printf("bound %s (%s) to peer %s\n", o.name, o.identity, a->pos[1]);
    } else if (!strcmp(sub, "unbind")) {
        if (svc_peer_unbind(st, &console, a->pos[1], a->pos[2], &err))
            rc = cli_fail(&err);
        else
            printf("unbound %s from peer %s: nothing more is received for it; its objects stay\n", a->pos[2],
                   a->pos[1]);
    }
    svc_store_close(st);
    return rc;
}
