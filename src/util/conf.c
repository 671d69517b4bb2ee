/* util/conf.c - see conf.h. Add a setting by adding a field to struct mz_conf and a
 * row to conf_table; parsing, checks and the dump follow from the row. */
#include "util/conf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

enum conf_kind {
    CONF_STR,
    CONF_INT,
    CONF_SIZE, /* integer with optional K/M/G suffix */
    CONF_BOOL,
    CONF_LEVEL /* a log level name */
};

struct conf_row {
    const char *key;
    enum conf_kind kind;
    size_t offset;
    long long min, max;
    const char *def;
    const char *help;
};

#define OFF(f) offsetof(struct mz_conf, f)

static const struct conf_row conf_table[] = {
    {"listen", CONF_STR, OFF(listen), 0, 0, "127.0.0.1:8470",
     "address:port of the HTTP API (port 0 picks a free one)"},
    {"data", CONF_STR, OFF(data_dir), 0, 0, "./mreza-data", "directory of the store"},
    {"http.max_body", CONF_SIZE, OFF(http_max_body), 1024, 4LL << 30, "256M",
     "largest request body accepted (413 above)"},
    {"http.max_reply", CONF_SIZE, OFF(http_max_reply), 4096, 4LL << 30, "1G",
     "largest reply built in memory (a list, a match); a larger one is refused with a JSON error, never cut short. Exports are streamed in pieces of at most this size"},
    {"http.max_depth", CONF_INT, OFF(http_max_depth), 2, 1000, "64",
     "deepest JSON nesting accepted"},
    {"http.max_objects", CONF_INT, OFF(http_max_objects), 1, 10000000, "1000000",
     "most objects in one bundle"},
    {"ingest.max_future_skew", CONF_INT, OFF(ingest_max_future_skew), 0, 86400, "900",
     "seconds a version's modified (or created) may lie after the node's clock; a later one is refused (400)"},
    {"ingest.max_versions", CONF_INT, OFF(ingest_max_versions), 1, 1000000, "1000",
     "versions of one object a poster may read or submitted beyond which a new version is refused (409: post a new object)"},
    {"ingest.max_versions_per_org_id", CONF_INT, OFF(ingest_max_versions_per_org_id), 1, 1000000000, "2000",
     "versions of one id one organisation's reporters may hold, and as many its analysts and admins, its users' personal objects and withdrawn versions included, beyond which a new version is refused (409: post a new object)"},
    {"ingest.max_objects_per_org", CONF_INT, OFF(ingest_max_objects_per_org), 0, 1000000000, "0",
     "versions one organisation may hold in the store, its users' personal objects included; a write that would take it past them is refused whole (413). 0: no quota"},
    {"sync.max_objects_per_id", CONF_INT, OFF(sync_max_objects_per_id), 1, 64, "8",
     "objects of one id beyond which a peer's new object of it is skipped and logged (members' are not capped)"},
    {"taxii.status_keep", CONF_INT, OFF(taxii_status_keep), 0, 31LL * 86400, "172800",
     "seconds the status resource of a TAXII POST can be read (GET .../status/{id}/) by its poster; expired ones are deleted by the next POST. 0: not kept at all (the POST's reply is the only copy)"},
    {"taxii.status_max_details", CONF_INT, OFF(taxii_status_max_details), 0, 1000000, "1000",
     "entries of each list (successes, failures) of a TAXII status resource; the counts are always exact"},
    {"taxii.status_max_per_user", CONF_INT, OFF(taxii_status_max_per_user), 1, 1000000, "100",
     "status resources kept for one poster (a user or a peer): beyond, its oldest are dropped (TAXII 2.1 lets a server expire statuses; GET of a dropped one is 404)"},
    {"taxii.status_max_bytes_per_user", CONF_SIZE, OFF(taxii_status_max_bytes_per_user), 65536, 1LL << 32, "4M",
     "bytes of status resources kept for one poster: beyond, its oldest are dropped (its newest is always kept; a status's detail lists stop at 32 KiB)"},
    {"accounts.max_users_per_org", CONF_INT, OFF(accounts_max_users_per_org), 1, 1000000, "256",
     "users one organisation may have, disabled ones included: a user beyond is refused (409). Each user may hold a personal object of an id, so this bounds the objects one organisation adds to an id"},
    {"http.timeout", CONF_INT, OFF(http_timeout), 1, 86400, "120",
     "seconds a connection may stay silent while a request's body or reply is under way (headers: http.header_timeout)"},
    {"http.max_connections", CONF_INT, OFF(http_max_connections), 1, 100000, "256",
     "concurrent connections"},
    {"http.threads", CONF_INT, OFF(http_threads), 1, 256, "4", "HTTP worker threads"},
    {"http.max_bodies_in_flight", CONF_SIZE, OFF(http_max_bodies_in_flight), 1024, 64LL << 30, "512M",
     "request bodies held in memory at once, all clients together (503 above; at least http.max_body)"},
    {"http.max_bodies_per_client", CONF_SIZE, OFF(http_max_bodies_per_client), 1024, 64LL << 30, "256M",
     "request bodies one client address, and one user, may hold in memory at once (429 above; at least http.max_body)"},
    {"http.max_bodies_per_org", CONF_SIZE, OFF(http_max_bodies_per_org), 1024, 64LL << 30, "256M",
     "request bodies the users of one organisation (every unauthenticated client together: one) may hold in memory at once (429 above; at least http.max_body)"},
    {"http.bodies_reserve", CONF_SIZE, OFF(http_bodies_reserve), 0, 64LL << 30, "128M",
     "of http.max_bodies_in_flight, kept for clients holding nothing: a client whose address, user or organisation holds a body may take it only up to the rest (503; smaller than http.max_bodies_in_flight)"},
    {"http.body_timeout", CONF_INT, OFF(http_body_timeout), 1, 86400, "600",
     "seconds a request's body may take to arrive, from the end of its headers; then the connection is closed (logged: event=body_timeout)"},
    {"http.max_exports", CONF_INT, OFF(http_max_exports), 1, 1024, "4",
     "exports streamed at once, each on a store connection of its own (503 above)"},
    {"http.max_exports_per_client", CONF_INT, OFF(http_max_exports_per_client), 1, 1024, "1",
     "exports one client address, and one user, may have under way at once (429 above)"},
    {"http.max_exports_per_org", CONF_INT, OFF(http_max_exports_per_org), 1, 1024, "2",
     "exports the users of one organisation may have under way at once (429 above)"},
    {"http.max_exports_public", CONF_INT, OFF(http_max_exports_public), 1, 1024, "1",
     "exports every unauthenticated client (api.public_read) together may have under way at once (429 above)"},
    {"http.exports_reserve", CONF_INT, OFF(http_exports_reserve), 0, 1024, "1",
     "of http.max_exports, kept for clients holding nothing: a client whose address, user or organisation has an export under way may take them only up to the rest (503; smaller than http.max_exports)"},
    {"http.export_timeout", CONF_INT, OFF(http_export_timeout), 1, 86400, "900",
     "seconds an export may take to be sent, from its start; then the connection is closed without the bundle's end (logged: event=export_timeout)"},
    {"http.max_connections_per_client", CONF_INT, OFF(http_max_connections_per_client), 1, 100000, "32",
     "connections one client address may hold (an IPv6 client: its /64); through a trusted proxy, requests in flight (429)"},
    {"http.header_timeout", CONF_INT, OFF(http_header_timeout), 1, 3600, "10",
     "seconds a client has to send a request's headers, from connecting or from the end of its previous request"},
    {"http.trusted_proxies", CONF_STR, OFF(http_trusted_proxies), 0, 0, "",
     "reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client"},
    {"api.public_read", CONF_BOOL, OFF(api_public_read), 0, 1, "false",
     "serve TLP:CLEAR objects to unauthenticated clients"},
    {"api.page_default", CONF_INT, OFF(api_page_default), 1, 100000, "100",
     "objects per page when no limit is given"},
    {"api.page_max", CONF_INT, OFF(api_page_max), 1, 100000, "10000",
     "largest limit a client may ask for"},
    {"api.page_work", CONF_INT, OFF(api_page_work), 1, 100000000, "200000",
     "work one page of a list (REST or TAXII, and a push page's read) may do: rows read plus versions "
     "weighed for the model's choice; a page that spends it ends early with more and next"},
    {"taxii.page_default", CONF_INT, OFF(taxii_page_default), 1, 100000, "100",
     "objects (manifest records, versions) per TAXII page when the client gives no limit"},
    {"taxii.page_max", CONF_INT, OFF(taxii_page_max), 1, 100000, "10000",
     "most objects per TAXII page: a larger limit is lowered to it (TAXII 2.1 lets the server)"},
    {"taxii.public_url", CONF_STR, OFF(taxii_public_url), 0, 0, "",
     "the URL clients reach this node at (https://taxii.example.org; a trailing slash is dropped): discovery's api_roots are then absolute, <url>/taxii2/api/. Empty: /taxii2/api/"},
    {"store.cache_mb", CONF_INT, OFF(store_cache_mb), 1, 65536, "64",
     "SQLite page cache per connection, MiB"},
    {"campaign.window_hours", CONF_INT, OFF(campaign_window_hours), 1, 24 * 366, "168",
     "an observable reported by organisations of several countries within this many hours is a regional campaign"},
    {"campaign.min_countries", CONF_INT, OFF(campaign_min_countries), 2, 50, "2",
     "how many countries make a regional campaign"},
    {"match.regex_steps", CONF_INT, OFF(match_regex_steps), 100, 100000000, "1000000",
     "most backtracking steps one MATCHES regular expression may take at one start position of a value; a value that needs more is no match (logged: event=regex_limit)"},
    {"match.regex_heap", CONF_SIZE, OFF(match_regex_heap), 16 << 10, 1LL << 30, "4M",
     "most memory one MATCHES regular expression may use at one start position of a value; a value that needs more is no match (logged: event=regex_limit)"},
    {"match.regex_budget", CONF_INT, OFF(match_regex_budget), 1000, 1000000000000LL, "500000",
     "most steps all the patterns of one submitting user may take together on one value (MATCHES at every start position, LIKE, every value a test looks at); then the rest of that user's patterns are no match for that value (logged: event=match_budget, naming the user's organisation)"},
    {"match.regex_request_budget", CONF_INT, OFF(match_regex_request_budget), 1000, 1000000000000LL, "1000000000",
     "most steps all the patterns of one submitting user may take together in one POST /api/v1/match request; then the rest of that user's patterns are no match for the rest of the request (logged: event=match_budget)"},
    {"match.regex_org_budget", CONF_INT, OFF(match_regex_org_budget), 1000, 4000000000000LL, "2000000",
     "most steps all the patterns of one organisation, all its members' together, may take on one value; then the rest of that organisation's patterns are no match for that value (logged: event=match_budget)"},
    {"match.regex_org_request_budget", CONF_INT, OFF(match_regex_org_request_budget), 1000, 4000000000000LL, "4000000000",
     "most steps all the patterns of one organisation, all its members' together, may take in one POST /api/v1/match request; then the rest of that organisation's patterns are no match for the rest of the request (logged: event=match_budget)"},
    {"match.hit_budget", CONF_INT, OFF(match_hit_budget), 1, 1000000, "32",
     "most indicators of one submitting user that one value may be reported to match through the index (exact, parent domains, ranges); the rest of that user's are left out for that value (logged: event=match_budget, naming the user's organisation)"},
    {"match.hit_request_budget", CONF_INT, OFF(match_hit_request_budget), 1, 1000000000, "10000",
     "most hits of one submitting user's indicators through the index in one POST /api/v1/match request; the rest of that user's are left out for the rest of the request (logged: event=match_budget)"},
    {"match.hit_org_budget", CONF_INT, OFF(match_hit_org_budget), 1, 1000000, "128",
     "most indicators of one organisation, all its members' together, that one value may be reported to match through the index; the rest of that organisation's are left out for that value (logged: event=match_budget)"},
    {"match.hit_org_request_budget", CONF_INT, OFF(match_hit_org_request_budget), 1, 1000000000, "40000",
     "most hits of one organisation's indicators, all its members' together, through the index in one POST /api/v1/match request; the rest of that organisation's are left out for the rest of the request (logged: event=match_budget)"},
    {"match.report_min_prefix4", CONF_INT, OFF(match_report_min_prefix4), 0, 32, "16",
     "an IPv4 range shorter than this many bits is too wide to tell its owner of a hit: such a hit's sighting (mreza match --report) stays with the reporter's organisation"},
    {"match.report_min_prefix6", CONF_INT, OFF(match_report_min_prefix6), 0, 128, "48",
     "an IPv6 range shorter than this many bits is too wide to tell its owner of a hit: such a hit's sighting (mreza match --report) stays with the reporter's organisation"},
    {"match.report_max_space4", CONF_INT, OFF(match_report_max_space4), 0, 4294967296LL, "65536",
     "most IPv4 addresses one organisation's live range indicators (those not too wide by match.report_min_prefix4) may take in together; past it, a hit of any of its IPv4 ranges is too wide to tell it of: the sighting stays with the reporter's organisation. 0: no limit"},
    {"match.report_max_space6", CONF_INT, OFF(match_report_max_space6), 0, 1000000000000000000LL, "65536",
     "most IPv6 /64 networks one organisation's live range indicators (those not too wide by match.report_min_prefix6) may take in together; past it, a hit of any of its IPv6 ranges is too wide to tell it of: the sighting stays with the reporter's organisation. 0: no limit"},
    {"log.level", CONF_LEVEL, OFF(log_level), 0, 0, "info", "debug, info, warn, error or off"},
    {"tls.cert", CONF_STR, OFF(tls_cert), 0, 0, "",
     "PEM certificate chain of the node, its own first; with tls.key, serve speaks only HTTPS. Empty: plain HTTP (loopback, or behind a reverse proxy that terminates TLS). Re-read on SIGHUP"},
    {"tls.key", CONF_STR, OFF(tls_key), 0, 0, "",
     "PEM private key of tls.cert; serve refuses a key file that other users may read (make it 0600). Re-read on SIGHUP"},
    {"tls.client_ca", CONF_STR, OFF(tls_client_ca), 0, 0, "",
     "PEM CA certificates that clients' certificates are verified against (peers' mutual TLS; users need none). Re-read on SIGHUP"},
    {"tls.priorities", CONF_STR, OFF(tls_priorities), 0, 0, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
     "GnuTLS priority string of the TLS versions and ciphers served; serve refuses one that enables a version below TLS 1.2"},
    {"sync.interval", CONF_INT, OFF(sync_interval), 0, 604800, "300",
     "seconds between the pulls `mreza serve` runs of each peer that is not paused (a peer's own --interval overrides); 0: serve syncs nothing (mreza sync by hand or cron)"},
    {"sync.max_parallel", CONF_INT, OFF(sync_max_parallel), 1, 16, "2",
     "peers `mreza serve` syncs at once, each on its own thread and store connection"},
    {"sync.page_size", CONF_INT, OFF(sync_page_size), 1, 100000, "5000",
     "objects a sync asks of a peer per page (TAXII limit); when pages bring nothing new it is doubled, up to four times this"},
    {"sync.max_stale_pages", CONF_INT, OFF(sync_max_stale_pages), 1, 1000000, "50",
     "consecutive pages from a peer that bring no new version after which its run ends (no_progress)"},
    {"sync.max_empty_pages", CONF_INT, OFF(sync_max_empty_pages), 0, 1000000, "3",
     "consecutive empty pages that still say more: true a peer may send; one more ends its run (empty_pages)"},
    {"sync.max_pages_per_run", CONF_INT, OFF(sync_max_pages_per_run), 1, 100000000, "10000",
     "pages one sync run fetches from a peer at most; then the run ends (run_limit) and the next goes on from the bookmark"},
    {"sync.max_objects_per_run", CONF_INT, OFF(sync_max_objects_per_run), 1, 1000000000, "2000000",
     "objects one sync run takes from a peer at most (run_limit)"},
    {"sync.max_run_seconds", CONF_INT, OFF(sync_max_run_seconds), 1, 604800, "3600",
     "seconds one sync run with a peer may last (run_limit)"},
    {"sync.max_page_bytes", CONF_SIZE, OFF(sync_max_page_bytes), 1024, 4LL << 30, "64M",
     "largest response accepted from a peer; a larger one ends the run, without reading the rest (too_large)"},
    {"sync.max_page_values", CONF_INT, OFF(sync_max_page_values), 1000, 1000000000, "2000000",
     "JSON values (weighed: a string, ',' or ':' 1, '[' 2, '{' 4) a page from a peer may hold; a page with more is not parsed and ends the run (too_large). A page's parsed tree takes at most ~48 bytes a value plus the page's bytes"},
    {"sync.max_next_len", CONF_INT, OFF(sync_max_next_len), 16, 1048576, "4096",
     "longest TAXII next token accepted from a peer (bad_header)"},
    {"sync.retries", CONF_INT, OFF(sync_retries), 0, 100, "4",
     "times a request to a peer that failed in transport or answered 5xx or 429 is tried again before the run ends"},
    {"sync.backoff_ms", CONF_INT, OFF(sync_backoff_ms), 0, 3600000, "1000",
     "milliseconds waited before the first retry of a request to a peer, doubled at each retry (with 20 % jitter)"},
    {"sync.backoff_max", CONF_INT, OFF(sync_backoff_max), 0, 86400, "300",
     "longest wait, in seconds, before a retry (a peer's Retry-After included)"},
    {"sync.connect_timeout", CONF_INT, OFF(sync_connect_timeout), 1, 3600, "10",
     "seconds to connect to a peer (TLS handshake included)"},
    {"sync.request_timeout", CONF_INT, OFF(sync_request_timeout), 1, 86400, "300",
     "seconds one request to a peer may take in all (timeout)"},
    {"sync.low_speed_bytes", CONF_INT, OFF(sync_low_speed_bytes), 0, 1000000000, "1024",
     "bytes per second below which a response from a peer, for sync.low_speed_seconds, is cut (timeout). 0: no floor"},
    {"sync.low_speed_seconds", CONF_INT, OFF(sync_low_speed_seconds), 1, 86400, "30",
     "seconds a response may stay below sync.low_speed_bytes per second"},
};

#define N_ROWS (sizeof conf_table / sizeof conf_table[0])

static const struct conf_row *conf_find(const char *key)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (strcmp(conf_table[i].key, key) == 0)
            return &conf_table[i];
    return NULL;
}

static int parse_number(const char *v, enum conf_kind kind, long long *out)
{
    char *end;
    long long n;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || end == v)
        return -1;
    if (kind == CONF_SIZE && *end) {
        long long mult = 1;
        switch (*end) {
        case 'k': case 'K': mult = 1LL << 10; break;
        case 'm': case 'M': mult = 1LL << 20; break;
        case 'g': case 'G': mult = 1LL << 30; break;
        default: return -1;
        }
        if (n > LLONG_MAX / mult || n < 0)
            return -1;
        n *= mult;
        end++;
    }
    if (*end)
        return -1;
    *out = n;
    return 0;
}

int mz_conf_parse_int(const char *text, long long *out)
{
    return parse_number(text, CONF_INT, out);
}

int mz_conf_parse_size(const char *text, long long *out)
{
    return parse_number(text, CONF_SIZE, out);
}

enum mz_err mz_conf_set(struct mz_conf *c, const char *key, const char *value,
                        struct mz_error *err)
{
    const struct conf_row *r = conf_find(key);
    char *field;
    long long n;

    if (!r)
        return mz_error_set(err, MZ_EINVAL, key, "unknown setting '%s' (see `mreza config defaults`)", key);
    field = (char *)c + r->offset;
    switch (r->kind) {
    case CONF_STR:
        if (strlen(value) >= MZ_CONF_STR_LEN)
            return mz_error_set(err, MZ_EINVAL, key, "%s: value longer than %d bytes", key, MZ_CONF_STR_LEN - 1);
        memcpy(field, value, strlen(value) + 1); /* length checked above */
        return MZ_OK;
    case CONF_LEVEL:
        if (mz_log_level_parse(value) < 0)
            return mz_error_set(err, MZ_EINVAL, key, "%s: '%s' is not one of debug, info, warn, error, off", key, value);
        snprintf(field, 16, "%s", value);
        return MZ_OK;
    case CONF_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes"))
            *(long *)(void *)field = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no"))
            *(long *)(void *)field = 0;
        else
            return mz_error_set(err, MZ_EINVAL, key, "%s: '%s' is not true or false", key, value);
        return MZ_OK;
    case CONF_INT:
    case CONF_SIZE:
        if (parse_number(value, r->kind, &n) || n < r->min || n > r->max)
            return mz_error_set(err, MZ_EINVAL, key, "%s: '%s' is not a number from %lld to %lld%s",
                                key, value, r->min, r->max, r->kind == CONF_SIZE ? " (K/M/G suffixes allowed)" : "");
        if (r->kind == CONF_SIZE)
            *(size_t *)(void *)field = (size_t)n;
        else
            *(long *)(void *)field = (long)n;
        return MZ_OK;
    }
    return MZ_EINVAL;
}

void mz_conf_defaults(struct mz_conf *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_ROWS; i++) {
        enum mz_err rc = mz_conf_set(c, conf_table[i].key, conf_table[i].def, NULL);
        (void)rc; /* defaults are in range by construction; tests check it */
    }
}

enum mz_err mz_conf_set_kv(struct mz_conf *c, const char *kv, struct mz_error *err)
{
    char key[128];
    const char *eq = strchr(kv, '=');
    size_t klen;

    if (!eq || eq == kv)
        return mz_error_set(err, MZ_EINVAL, "", "expected key=value, got '%s'", kv);
    klen = (size_t)(eq - kv);
    if (klen >= sizeof key)
        return mz_error_set(err, MZ_EINVAL, "", "setting name too long in '%s'", kv);
    memcpy(key, kv, klen);
    key[klen] = '\0';
    return mz_conf_set(c, key, eq + 1, err);
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

enum mz_err mz_conf_load_file(struct mz_conf *c, const char *path, struct mz_error *err)
{
    char line[1024];
    int lineno = 0;
    enum mz_err rc = MZ_OK;
    FILE *f = fopen(path, "r");

    if (!f)
        return mz_error_set(err, MZ_EIO, path, "cannot read config file %s: %s", path, strerror(errno));
    while (!rc && fgets(line, sizeof line, f)) {
        char *s = trim(line), *eq, *key, *val;
        lineno++;
        if (!*s || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            rc = mz_error_set(err, MZ_EINVAL, "", "%.100s:%d: expected 'key = value'", path, lineno);
            break;
        }
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        rc = mz_conf_set(c, key, val, err);
        if (rc && err) {
            char msg[MZ_ERR_MSG_LEN];
            snprintf(msg, sizeof msg, "%.100s:%d: %.140s", path, lineno, err->msg);
            memcpy(err->msg, msg, sizeof msg);
        }
    }
    if (rc && err)
        snprintf(err->field, sizeof err->field, "%.100s:%d", path, lineno);
    fclose(f);
    return rc;
}

void mz_conf_dump(const struct mz_conf *c, FILE *out)
{
    for (size_t i = 0; i < N_ROWS; i++) {
        const struct conf_row *r = &conf_table[i];
        const char *field = (const char *)c + r->offset;
        fprintf(out, "# %s (default %s)\n", r->help, r->def);
        switch (r->kind) {
        case CONF_STR:
        case CONF_LEVEL:
            fprintf(out, "%s = %s\n", r->key, field);
            break;
        case CONF_BOOL:
            fprintf(out, "%s = %s\n", r->key, *(const long *)(const void *)field ? "true" : "false");
            break;
        case CONF_INT:
            fprintf(out, "%s = %ld\n", r->key, *(const long *)(const void *)field);
            break;
        case CONF_SIZE:
            fprintf(out, "%s = %zu\n", r->key, *(const size_t *)(const void *)field);
            break;
        }
    }
}
