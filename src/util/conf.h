/* util/conf.h - node configuration: one table of settings (Redis static_configs).
 * The table drives the config file parser (`key = value` lines, # comments), the
 * `--set key=value` flags, range checks whose message names the key, and
 * `mreza config defaults` (which docs/config.md mirrors). Precedence: defaults <
 * file < flags. struct mz_conf is passed down explicitly; no module reads a global. */
#ifndef MZ_CONF_H
#define MZ_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

#define MZ_CONF_STR_LEN 512

struct mz_conf {
    char listen[MZ_CONF_STR_LEN];    /* host:port the API listens on */
    char data_dir[MZ_CONF_STR_LEN];  /* directory holding the store */
    size_t http_max_body;            /* bytes */
    size_t http_max_reply;           /* bytes of one reply built in memory */
    long http_max_depth;             /* JSON nesting */
    long http_max_objects;           /* objects per bundle */
    long ingest_max_future_skew;     /* seconds a version's modified may lie ahead of the clock */
    long ingest_max_versions;        /* versions per object (docs/model.md R6.5) */
    long ingest_max_objects_per_org; /* rows one organisation may hold; 0: no quota */
    long ingest_max_versions_per_org_id; /* rows of one id one organisation may hold (R6.5) */
    long sync_max_objects_per_id;    /* objects of one id from peers (R6.5; issue 11's sync) */
    long taxii_status_keep;          /* seconds a TAXII POST's status resource is kept */
    long taxii_status_max_details;   /* entries of each list of a TAXII status resource */
    long taxii_status_max_per_user;  /* status rows kept for one poster (oldest dropped) */
    long taxii_status_max_bytes_per_user; /* and their bytes */
    long accounts_max_users_per_org; /* users of one organisation (R6.5: its objects of an id) */
    long http_timeout;               /* seconds of connection inactivity */
    long http_max_connections;
    long http_threads;
    size_t http_max_bodies_in_flight; /* bytes of request bodies held at once */
    size_t http_max_bodies_per_client; /* ... by one client address, and by one user */
    size_t http_max_bodies_per_org;  /* ... by one organisation's users */
    size_t http_bodies_reserve;      /* ... kept for clients holding nothing */
    long http_body_timeout;          /* seconds for a request's body to arrive */
    long http_max_exports;           /* streaming exports at once */
    long http_max_exports_per_client; /* ... by one client address, and by one user */
    long http_max_exports_per_org;   /* ... by one organisation's users */
    long http_max_exports_public;    /* ... by every unauthenticated client together */
    long http_exports_reserve;       /* ... kept for clients holding nothing */
    long http_export_timeout;        /* seconds for an export to be sent */
    long http_max_connections_per_client;
    long http_header_timeout;        /* seconds to send a request's headers */
    char http_trusted_proxies[MZ_CONF_STR_LEN]; /* "addr[/n],..." or "" */
    long api_public_read;            /* bool: unauthenticated TLP:CLEAR reads */
    long api_page_default;
    long api_page_max;
    long api_page_work;              /* rows + versions weighed per page (svc_query.work) */
    long taxii_page_default;         /* TAXII page size without a limit */
    long taxii_page_max;             /* a larger TAXII limit is lowered to it */
    char taxii_public_url[MZ_CONF_STR_LEN]; /* "https://host[:port]" or "" */
    long store_cache_mb;
    long campaign_window_hours;      /* reports this close together make a campaign */
    long campaign_min_countries;
    long match_regex_steps;          /* PCRE2 match (and depth) limit of one MATCHES attempt */
    size_t match_regex_heap;         /* PCRE2 heap limit of one MATCHES attempt, bytes */
    long match_regex_budget;         /* steps of one submitting user's patterns on one value */
    long match_regex_request_budget; /* steps of one submitting user's patterns in one API request */
    long match_regex_org_budget;     /* steps of one organisation's patterns (all its members') per value */
    long match_regex_org_request_budget; /* ... per API request */
    long match_hit_budget;           /* index hits of one submitter's indicators on one value */
    long match_hit_request_budget;   /* index hits of one submitter's indicators in one API request */
    long match_report_min_prefix4;   /* IPv4 ranges shorter than this: sightings stay home */
    long match_report_min_prefix6;   /* IPv6 ranges shorter than this: sightings stay home */
    long match_report_max_space4;   /* an owner's IPv4 ranges over this many addresses: sightings stay home */
    long match_report_max_space6;   /* the same in IPv6 /64 networks */
    long match_hit_org_budget;       /* index hits of one organisation (all its members) per value */
    long match_hit_org_request_budget; /* ... per request */
    char log_level[16];
    char tls_cert[MZ_CONF_STR_LEN];       /* PEM chain; "" = plain HTTP */
    char tls_key[MZ_CONF_STR_LEN];        /* PEM private key, mode 0600 */
    char tls_client_ca[MZ_CONF_STR_LEN];  /* PEM CAs for client certificates, or "" */
    char tls_priorities[MZ_CONF_STR_LEN]; /* GnuTLS priority string, TLS 1.2 and later only */
    /* the TAXII sync client (issue 11, docs/federation.md 10.5-10.6; fed/fed.h) */
    long sync_page_size;             /* objects asked per page (limit) */
    long sync_max_stale_pages;       /* consecutive pages with nothing new: no_progress */
    long sync_max_empty_pages;       /* consecutive empty pages with more: true: empty_pages */
    long sync_max_pages_per_run;     /* run_limit */
    long sync_max_objects_per_run;   /* run_limit */
    long sync_max_run_seconds;       /* run_limit */
    size_t sync_max_page_bytes;      /* bytes of one response: too_large */
    long sync_max_page_values;       /* weighed JSON values of one response: too_large */
    long sync_max_next_len;          /* bytes of a next token: bad_header */
    long sync_retries;               /* transport errors, 5xx and 429 retried this often */
    long sync_backoff_ms;            /* first wait before a retry, doubled each time */
    long sync_backoff_max;           /* seconds: the longest wait before a retry */
    long sync_connect_timeout;       /* seconds */
    long sync_request_timeout;       /* seconds for one whole request */
    long sync_low_speed_bytes;       /* bytes per second below which ... */
    long sync_low_speed_seconds;     /* ... for this long a request is cut: timeout */
    long sync_interval;              /* seconds between a peer's scheduled pulls in serve; 0: off */
    long sync_max_parallel;          /* peers synced at once by serve's scheduler */
};

/* Fill c with the documented defaults. */
void mz_conf_defaults(struct mz_conf *c);
/* Set one key from text. Errors name the key and the accepted range. */
enum mz_err mz_conf_set(struct mz_conf *c, const char *key, const char *value,
                        struct mz_error *err);
/* Apply "key=value". */
enum mz_err mz_conf_set_kv(struct mz_conf *c, const char *kv, struct mz_error *err);
/* Read a config file; err->field holds "path:line" on a bad line. */
enum mz_err mz_conf_load_file(struct mz_conf *c, const char *path, struct mz_error *err);
/* Read text as a whole number (mz_conf_parse_int) or as a size with an optional K,
 * M or G suffix, powers of 1024 (mz_conf_parse_size): 0 with *out set, or -1. The
 * CLI's option tables read numbers with these, so a flag reads as a setting does. */
int mz_conf_parse_int(const char *text, long long *out);
int mz_conf_parse_size(const char *text, long long *out);
/* Write every setting with its value and description, in config-file syntax. */
void mz_conf_dump(const struct mz_conf *c, FILE *out);

#endif
