/* tests/unit/util/test_conf.c - unit tests of util/conf.c (the settings table).
 * Covers: the documented defaults; every default is in range, i.e. the text
 * mz_conf_dump() writes for the defaults loads back (through mz_conf_load_file) into
 * exactly the defaults; mz_conf_set() tables of accepted and rejected values for each
 * kind of setting (int, size with K/M/G, bool, log level, string) at their bounds, with
 * messages naming the key and rejected values leaving the setting unchanged;
 * mz_conf_set_kv(); mz_conf_load_file() on temporary files (comments, blank lines,
 * surrounding blanks, CRLF, a bad line reported as path:line, a missing file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/conf.h"

#define assert_case_int(name, got, want)                                         \
    do {                                                                         \
        char g_[600], w_[600];                                                   \
        snprintf(g_, sizeof g_, "%s => %lld", (name), (long long)(got));         \
        snprintf(w_, sizeof w_, "%s => %lld", (name), (long long)(want));        \
        assert_string_equal(g_, w_);                                             \
    } while (0)

/* A temporary directory per test, for config files. */
struct tmp {
    char dir[64];
    char path[128];
};

static int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof *t);

    if (!t)
        return -1;
    snprintf(t->dir, sizeof t->dir, "/tmp/mreza-conf-XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->path, sizeof t->path, "%s/mreza.conf", t->dir);
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmp *t = *state;

    unlink(t->path);
    rmdir(t->dir);
    free(t);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void assert_conf_equal(const struct mz_conf *a, const struct mz_conf *b)
{
    assert_string_equal(a->listen, b->listen);
    assert_string_equal(a->data_dir, b->data_dir);
    assert_int_equal(a->http_max_body, b->http_max_body);
    assert_int_equal(a->http_max_depth, b->http_max_depth);
    assert_int_equal(a->http_max_objects, b->http_max_objects);
    assert_int_equal(a->http_timeout, b->http_timeout);
    assert_int_equal(a->http_max_connections, b->http_max_connections);
    assert_int_equal(a->http_threads, b->http_threads);
    assert_int_equal(a->http_max_bodies_in_flight, b->http_max_bodies_in_flight);
    assert_int_equal(a->http_max_bodies_per_client, b->http_max_bodies_per_client);
    assert_int_equal(a->http_body_timeout, b->http_body_timeout);
    assert_int_equal(a->http_max_exports, b->http_max_exports);
    assert_int_equal(a->http_max_exports_per_client, b->http_max_exports_per_client);
    assert_int_equal(a->http_export_timeout, b->http_export_timeout);
    assert_int_equal(a->http_max_connections_per_client, b->http_max_connections_per_client);
    assert_int_equal(a->http_header_timeout, b->http_header_timeout);
    assert_string_equal(a->http_trusted_proxies, b->http_trusted_proxies);
    assert_int_equal(a->api_public_read, b->api_public_read);
    assert_int_equal(a->api_page_default, b->api_page_default);
    assert_int_equal(a->api_page_max, b->api_page_max);
    assert_int_equal(a->store_cache_mb, b->store_cache_mb);
    assert_string_equal(a->log_level, b->log_level);
}

/* A configuration in which every setting differs from its default. */
static void set_non_defaults(struct mz_conf *c)
{
    static const char *const kv[] = {
        "listen=0.0.0.0:1", "data=/nonexistent", "http.max_body=2K", "http.max_depth=3",
        "http.max_objects=7", "http.timeout=9", "http.max_connections=11",
        "http.threads=13", "http.max_bodies_in_flight=3K", "http.max_bodies_per_client=2K",
        "http.body_timeout=21", "http.max_exports=5", "http.max_exports_per_client=3",
        "http.export_timeout=27",
        "http.max_connections_per_client=6", "http.header_timeout=8",
        "http.trusted_proxies=10.0.0.1", "api.public_read=true", "api.page_default=17",
        "api.page_max=19", "store.cache_mb=23", "log.level=error",
    };
    struct mz_error err;

    mz_conf_defaults(c);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        assert_case_int(kv[i], mz_conf_set_kv(c, kv[i], &err), MZ_OK);
}

static void test_defaults_documented(void **state)
{
    struct mz_conf c;

    (void)state;
    mz_conf_defaults(&c);
    assert_string_equal(c.listen, "127.0.0.1:8470");
    assert_string_equal(c.data_dir, "./mreza-data");
    assert_int_equal(c.http_max_body, 256u << 20);
    assert_int_equal(c.http_max_depth, 64);
    assert_int_equal(c.http_max_objects, 1000000);
    assert_int_equal(c.http_timeout, 120);
    assert_int_equal(c.http_max_connections, 256);
    assert_int_equal(c.http_threads, 4);
    assert_int_equal(c.http_max_bodies_in_flight, 512u << 20);
    assert_int_equal(c.http_max_bodies_per_client, 256u << 20);
    assert_int_equal(c.http_body_timeout, 600);
    assert_int_equal(c.http_max_exports, 4);
    assert_int_equal(c.http_max_exports_per_client, 1);
    assert_int_equal(c.http_max_exports_per_org, 2);
    assert_int_equal(c.http_max_exports_public, 1);
    assert_int_equal(c.http_exports_reserve, 1);
    assert_int_equal(c.http_max_bodies_per_org, 256u << 20);
    assert_int_equal(c.http_bodies_reserve, 128u << 20);
    assert_int_equal(c.http_export_timeout, 900);
    assert_true(c.http_max_exports_per_client < c.http_max_exports); /* a share, not all */
    /* an organisation's share and the reserve leave room for every other client */
    assert_true(c.http_max_exports_per_org + c.http_exports_reserve < c.http_max_exports);
    assert_true(c.http_max_bodies_per_org + c.http_bodies_reserve < c.http_max_bodies_in_flight);
    assert_int_equal(c.http_max_connections_per_client, 32);
    assert_int_equal(c.http_header_timeout, 10);
    assert_string_equal(c.http_trusted_proxies, "");
    assert_true(c.http_max_bodies_in_flight >= c.http_max_body);
    assert_true(c.http_max_bodies_per_client >= c.http_max_body);
    assert_true(c.http_max_bodies_per_client < c.http_max_bodies_in_flight); /* a share, not all */
    assert_int_equal(c.api_public_read, 0);
    assert_int_equal(c.api_page_default, 100);
    assert_int_equal(c.api_page_max, 10000);
    assert_int_equal(c.store_cache_mb, 64);
    assert_string_equal(c.log_level, "info");
    assert_true(c.api_page_default <= c.api_page_max);
}

/* Every default runs: dump the defaults, load the dump over a configuration where
 * every setting differs, and get the defaults back. A default that were out of range
 * would have been left unset by mz_conf_defaults() and would fail to load. */
static void test_defaults_dump_reloads(void **state)
{
    struct tmp *t = *state;
    struct mz_conf def, c;
    struct mz_error err;
    FILE *f;

    mz_conf_defaults(&def);
    f = fopen(t->path, "w");
    assert_non_null(f);
    mz_conf_dump(&def, f);
    assert_int_equal(fclose(f), 0);

    set_non_defaults(&c);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_load_file(&c, t->path, &err), MZ_OK);
    assert_string_equal(err.msg, "");
    assert_conf_equal(&c, &def);
}

/* Non-default values survive the same dump and load. */
static void test_dump_reloads_non_defaults(void **state)
{
    struct tmp *t = *state;
    struct mz_conf want, c;
    struct mz_error err;
    FILE *f;

    set_non_defaults(&want);
    f = fopen(t->path, "w");
    assert_non_null(f);
    mz_conf_dump(&want, f);
    assert_int_equal(fclose(f), 0);

    mz_conf_defaults(&c);
    assert_int_equal(mz_conf_load_file(&c, t->path, &err), MZ_OK);
    assert_conf_equal(&c, &want);
}

struct set_case {
    const char *key, *value;
};

/* Accepted values, at the bounds of each kind of setting; their effect on the fields
 * is checked in test_set_effects. */
static const struct set_case set_ok[] = {
    /* size: 1024 .. 4G, K/M/G suffixes in either case */
    {"http.max_body", "1024"},
    {"http.max_body", "1K"},
    {"http.max_body", "1k"},
    {"http.max_body", "64M"},
    {"http.max_body", "64m"},
    {"http.max_body", "4G"},
    {"http.max_body", "4g"},
    {"http.max_body", "4294967296"},
    /* int: 2 .. 1000 and the other ranges */
    {"http.max_depth", "2"},
    {"http.max_depth", "1000"},
    {"http.max_objects", "1"},
    {"http.max_objects", "10000000"},
    {"http.timeout", "1"},
    {"http.timeout", "86400"},
    {"http.max_connections", "100000"},
    {"http.threads", "1"},
    {"http.threads", "256"},
    {"api.page_default", "1"},
    {"api.page_default", "100000"},
    {"api.page_max", "100000"},
    {"store.cache_mb", "1"},
    {"store.cache_mb", "65536"},
    /* bool */
    {"api.public_read", "true"},
    {"api.public_read", "false"},
    {"api.public_read", "1"},
    {"api.public_read", "0"},
    {"api.public_read", "yes"},
    {"api.public_read", "no"},
    /* log level */
    {"log.level", "debug"},
    {"log.level", "info"},
    {"log.level", "warn"},
    {"log.level", "error"},
    {"log.level", "off"},
    /* strings */
    {"listen", "0.0.0.0:0"},
    {"listen", "[::1]:8470"},
    {"data", "/var/lib/mreza"},
};

/* Refused values (MZ_EINVAL), and unknown keys. */
static const struct set_case set_bad[] = {
    {"http.max_body", "1023"},
    {"http.max_body", "4294967297"},
    {"http.max_body", "4097M"},
    {"http.max_body", "5G"},
    {"http.max_body", "1T"},
    {"http.max_body", "12KB"},
    {"http.max_body", "K"},
    {"http.max_body", "-1K"},
    {"http.max_body", "-1"},
    {"http.max_body", "9999999999999999G"},
    {"http.max_body", ""},
    {"http.max_body", "abc"},
    {"http.max_depth", "1"},
    {"http.max_depth", "1001"},
    {"http.max_depth", "0"},
    {"http.max_depth", "-5"},
    {"http.max_depth", "64K"}, /* suffixes only for sizes */
    {"http.max_depth", "1.5"},
    {"http.max_depth", ""},
    {"http.max_depth", "ten"},
    {"http.max_depth", "99999999999999999999"},
    {"http.max_objects", "0"},
    {"http.max_objects", "10000001"},
    {"http.timeout", "0"},
    {"http.timeout", "86401"},
    {"http.max_connections", "0"},
    {"http.max_connections", "100001"},
    {"http.threads", "257"},
    {"http.threads", "0"},
    {"api.page_default", "0"},
    {"api.page_default", "100001"},
    {"api.page_max", "0"},
    {"api.page_max", "100001"},
    {"store.cache_mb", "0"},
    {"store.cache_mb", "65537"},
    {"api.public_read", "maybe"},
    {"api.public_read", "2"},
    {"api.public_read", ""},
    {"log.level", "verbose"},
    {"log.level", ""},
    {"http.max_bodyy", "1K"},
    {"http", "1"},
    {"nonsense", "x"},
};

static void test_set_accepts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof set_ok / sizeof set_ok[0]; i++) {
        struct mz_conf c;
        struct mz_error err;
        char name[256];
        snprintf(name, sizeof name, "%s='%s'", set_ok[i].key, set_ok[i].value);
        mz_conf_defaults(&c);
        assert_case_int(name, mz_conf_set(&c, set_ok[i].key, set_ok[i].value, &err), MZ_OK);
    }
}

/* A refused value is MZ_EINVAL, names the key in the message and in err->field, and
 * leaves every setting as it was. */
static void test_set_rejects(void **state)
{
    struct mz_conf def;

    (void)state;
    mz_conf_defaults(&def);
    for (size_t i = 0; i < sizeof set_bad / sizeof set_bad[0]; i++) {
        struct mz_conf c;
        struct mz_error err;
        char name[256];
        snprintf(name, sizeof name, "%s='%s'", set_bad[i].key, set_bad[i].value);
        mz_conf_defaults(&c);
        mz_error_clear(&err);
        assert_case_int(name, mz_conf_set(&c, set_bad[i].key, set_bad[i].value, &err),
                        MZ_EINVAL);
        assert_int_equal(err.code, MZ_EINVAL);
        assert_string_equal(err.field, set_bad[i].key);
        assert_non_null(strstr(err.msg, set_bad[i].key));
        assert_conf_equal(&c, &def);
    }
}

static void test_set_effects(void **state)
{
    struct mz_conf c;
    struct mz_error err;

    (void)state;
    mz_conf_defaults(&c);
    assert_int_equal(mz_conf_set(&c, "http.max_body", "1K", &err), MZ_OK);
    assert_int_equal(c.http_max_body, 1024);
    assert_int_equal(mz_conf_set(&c, "http.max_body", "3m", &err), MZ_OK);
    assert_int_equal(c.http_max_body, 3u << 20);
    assert_int_equal(mz_conf_set(&c, "http.max_body", "4G", &err), MZ_OK);
    assert_int_equal(c.http_max_body, 4ULL << 30);
    assert_int_equal(mz_conf_set(&c, "http.max_body", "5000", &err), MZ_OK);
    assert_int_equal(c.http_max_body, 5000);
    assert_int_equal(mz_conf_set(&c, "http.max_depth", "1000", &err), MZ_OK);
    assert_int_equal(c.http_max_depth, 1000);
    assert_int_equal(mz_conf_set(&c, "http.threads", "8", &err), MZ_OK);
    assert_int_equal(c.http_threads, 8);
    assert_int_equal(mz_conf_set(&c, "api.public_read", "yes", &err), MZ_OK);
    assert_int_equal(c.api_public_read, 1);
    assert_int_equal(mz_conf_set(&c, "api.public_read", "0", &err), MZ_OK);
    assert_int_equal(c.api_public_read, 0);
    assert_int_equal(mz_conf_set(&c, "api.public_read", "1", &err), MZ_OK);
    assert_int_equal(c.api_public_read, 1);
    assert_int_equal(mz_conf_set(&c, "api.public_read", "false", &err), MZ_OK);
    assert_int_equal(c.api_public_read, 0);
    assert_int_equal(mz_conf_set(&c, "log.level", "debug", &err), MZ_OK);
    assert_string_equal(c.log_level, "debug");
    assert_int_equal(mz_conf_set(&c, "listen", "0.0.0.0:0", &err), MZ_OK);
    assert_string_equal(c.listen, "0.0.0.0:0");
    assert_int_equal(mz_conf_set(&c, "data", "/srv/mreza data", &err), MZ_OK);
    assert_string_equal(c.data_dir, "/srv/mreza data");
    assert_int_equal(mz_conf_set(&c, "store.cache_mb", "1", &err), MZ_OK);
    assert_int_equal(c.store_cache_mb, 1);
}

/* Strings hold at most MZ_CONF_STR_LEN - 1 bytes. */
static void test_set_string_length(void **state)
{
    struct mz_conf c;
    struct mz_error err;
    char longest[MZ_CONF_STR_LEN], too_long[MZ_CONF_STR_LEN + 1];

    (void)state;
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    memset(too_long, 'b', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    mz_conf_defaults(&c);
    assert_int_equal(mz_conf_set(&c, "data", longest, &err), MZ_OK);
    assert_string_equal(c.data_dir, longest);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_set(&c, "data", too_long, &err), MZ_EINVAL);
    assert_string_equal(err.field, "data");
    assert_non_null(strstr(err.msg, "data"));
    assert_string_equal(c.data_dir, longest);
}

static void test_unknown_key_message(void **state)
{
    struct mz_conf c;
    struct mz_error err;

    (void)state;
    mz_conf_defaults(&c);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_set(&c, "http.max_bodyy", "1K", &err), MZ_EINVAL);
    assert_string_equal(err.field, "http.max_bodyy");
    assert_non_null(strstr(err.msg, "'http.max_bodyy'"));
    assert_non_null(strstr(err.msg, "unknown"));
}

static void test_range_message(void **state)
{
    struct mz_conf c;
    struct mz_error err;

    (void)state;
    mz_conf_defaults(&c);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_set(&c, "http.threads", "257", &err), MZ_EINVAL);
    assert_string_equal(err.field, "http.threads");
    assert_non_null(strstr(err.msg, "http.threads"));
    assert_non_null(strstr(err.msg, "257"));
    assert_non_null(strstr(err.msg, "1 to 256"));
    assert_int_equal(c.http_threads, 4);
}

struct kv_case {
    const char *kv;
    enum mz_err want;
};

static const struct kv_case kv_cases[] = {
    {"http.threads=8", MZ_OK},
    {"log.level=warn", MZ_OK},
    {"data=/a=b", MZ_OK},        /* the first '=' splits */
    {"http.threads", MZ_EINVAL}, /* no '=' */
    {"=8", MZ_EINVAL},           /* no key */
    {"", MZ_EINVAL},
    {"http.threads=", MZ_EINVAL},
    {"http.threads=0", MZ_EINVAL},
    {"http.thread=8", MZ_EINVAL},
};

static void test_set_kv_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof kv_cases / sizeof kv_cases[0]; i++) {
        struct mz_conf c;
        struct mz_error err;
        mz_conf_defaults(&c);
        assert_case_int(kv_cases[i].kv, mz_conf_set_kv(&c, kv_cases[i].kv, &err),
                        kv_cases[i].want);
    }
}

static void test_set_kv_effects(void **state)
{
    struct mz_conf c;
    struct mz_error err;
    char long_key[300];

    (void)state;
    mz_conf_defaults(&c);
    assert_int_equal(mz_conf_set_kv(&c, "http.threads=8", &err), MZ_OK);
    assert_int_equal(c.http_threads, 8);
    assert_int_equal(mz_conf_set_kv(&c, "data=/a=b", &err), MZ_OK);
    assert_string_equal(c.data_dir, "/a=b");
    mz_error_clear(&err);
    assert_int_equal(mz_conf_set_kv(&c, "http.threads=0", &err), MZ_EINVAL);
    assert_string_equal(err.field, "http.threads");
    assert_int_equal(c.http_threads, 8);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_set_kv(&c, "http.threads", &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, "http.threads"));
    /* a key longer than any setting is refused without overflowing */
    memset(long_key, 'k', sizeof long_key);
    memcpy(long_key + sizeof long_key - 3, "=1", 3);
    assert_int_equal(mz_conf_set_kv(&c, long_key, &err), MZ_EINVAL);
    assert_int_equal(c.http_threads, 8);
}

static void test_load_file(void **state)
{
    struct tmp *t = *state;
    struct mz_conf c, def;
    struct mz_error err;

    write_file(t->path,
               "# mreza test configuration\n"
               "\n"
               "   \n"
               "  # an indented comment\n"
               "http.threads = 8\n"
               "\thttp.max_body=2M\t\n"
               "log.level   =   debug\r\n"
               "listen = 0.0.0.0:9000\n"
               "api.public_read = yes\n"
               "data = /srv/mreza with spaces\n"
               "http.threads = 12\n" /* later lines win */
               "# the end, without a final newline\n"
               "store.cache_mb = 5");
    mz_conf_defaults(&c);
    mz_conf_defaults(&def);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_load_file(&c, t->path, &err), MZ_OK);
    assert_int_equal(c.http_threads, 12);
    assert_int_equal(c.http_max_body, 2u << 20);
    assert_string_equal(c.log_level, "debug");
    assert_string_equal(c.listen, "0.0.0.0:9000");
    assert_int_equal(c.api_public_read, 1);
    assert_string_equal(c.data_dir, "/srv/mreza with spaces");
    assert_int_equal(c.store_cache_mb, 5);
    /* untouched settings keep their defaults */
    assert_int_equal(c.http_max_depth, def.http_max_depth);
    assert_int_equal(c.api_page_max, def.api_page_max);
}

static void test_load_empty_file(void **state)
{
    struct tmp *t = *state;
    struct mz_conf c, def;
    struct mz_error err;

    write_file(t->path, "");
    mz_conf_defaults(&c);
    mz_conf_defaults(&def);
    assert_int_equal(mz_conf_load_file(&c, t->path, &err), MZ_OK);
    assert_conf_equal(&c, &def);
}

/* A line without '=' is reported as path:line (conf.h: "err->field holds
 * "path:line" on a bad line"). */
static void test_load_bad_syntax_line(void **state)
{
    struct tmp *t = *state;
    struct mz_conf c;
    struct mz_error err;
    char where[200];

    write_file(t->path, "# comment\nhttp.threads = 8\njust some words\nhttp.threads = 9\n");
    snprintf(where, sizeof where, "%s:3", t->path);
    mz_conf_defaults(&c);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_load_file(&c, t->path, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, where));
    assert_string_equal(err.field, where);
}

/* A line with a bad value is reported as path:line, and the message still names
 * the key. */
static void test_load_bad_value_line(void **state)
{
    struct tmp *t = *state;
    struct mz_conf c;
    struct mz_error err;
    char where[200];

    write_file(t->path, "\n\n# c\nhttp.threads = 0\n");
    snprintf(where, sizeof where, "%s:4", t->path);
    mz_conf_defaults(&c);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_load_file(&c, t->path, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, where));
    assert_non_null(strstr(err.msg, "http.threads"));
    assert_string_equal(err.field, where);
}

static void test_load_unknown_key_line(void **state)
{
    struct tmp *t = *state;
    struct mz_conf c;
    struct mz_error err;
    char where[200];

    write_file(t->path, "http.threads = 8\nhttp.thread = 8\n");
    snprintf(where, sizeof where, "%s:2", t->path);
    mz_conf_defaults(&c);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_load_file(&c, t->path, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, where));
    assert_non_null(strstr(err.msg, "http.thread"));
    assert_string_equal(err.field, where);
}

static void test_load_missing_file(void **state)
{
    struct tmp *t = *state;
    struct mz_conf c, def;
    struct mz_error err;

    mz_conf_defaults(&c);
    mz_conf_defaults(&def);
    mz_error_clear(&err);
    assert_int_equal(mz_conf_load_file(&c, t->path, &err), MZ_EIO);
    assert_non_null(strstr(err.msg, t->path));
    assert_conf_equal(&c, &def);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_documented),
        cmocka_unit_test_setup_teardown(test_defaults_dump_reloads, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_dump_reloads_non_defaults, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_set_accepts),
        cmocka_unit_test(test_set_rejects),
        cmocka_unit_test(test_set_effects),
        cmocka_unit_test(test_set_string_length),
        cmocka_unit_test(test_unknown_key_message),
        cmocka_unit_test(test_range_message),
        cmocka_unit_test(test_set_kv_table),
        cmocka_unit_test(test_set_kv_effects),
        cmocka_unit_test_setup_teardown(test_load_file, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_empty_file, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_syntax_line, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_value_line, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_unknown_key_line, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_missing_file, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
