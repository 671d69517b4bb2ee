/* tests/unit/fmt/test_taxii.c - unit tests of fmt/taxii.c (TAXII 2.1 lists as JSON).
 * Covers: an empty page with no more is {} (empty lists left out); an empty page with
 * more keeps more and next; an envelope of objects written as stored, with more
 * false (no next) or more true and next; a manifest record's members and its media
 * type's default, a version falling back to date_added; the versions list; JSON
 * escaping of strings; every output parses as JSON (jansson); a list that outgrows its
 * buffer's cap is latched and returned (MZ_ETOOBIG), never cut short silently;
 * x_mreza_meta (a peer's envelope): one entry per object in order, after objects,
 * absent when no entry was written, its overflow latched in the envelope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fmt/taxii.h"

/* Write a list and return its text (static buffer; valid until the next call). */
static const char *text(struct mz_buf *b)
{
    static char out[4096];

    assert_true(b->len < sizeof out);
    memcpy(out, b->data, b->len);
    out[b->len] = '\0';
    return out;
}

static json_t *parse(struct mz_buf *b)
{
    json_error_t e;
    json_t *j = json_loads(text(b), 0, &e);

    if (!j)
        fail_msg("not JSON (%s): %s", e.text, text(b));
    return j;
}

static void test_empty(void **state)
{
    struct mz_buf b;
    struct taxii_list w;

    (void)state;
    for (int k = TAXII_ENVELOPE; k <= TAXII_VERSIONS; k++) {
        mz_buf_init(&b, 1 << 16);
        taxii_list_begin(&w, &b, (enum taxii_list_kind)k);
        assert_int_equal(taxii_list_end(&w, 0, ""), MZ_OK);
        assert_string_equal(text(&b), "{}\n");
        mz_buf_free(&b);
    }
    /* an empty page that has more (rows the reader may not see filled it) */
    mz_buf_init(&b, 1 << 16);
    taxii_list_begin(&w, &b, TAXII_ENVELOPE);
    assert_int_equal(taxii_list_end(&w, 1, "abc"), MZ_OK);
    assert_string_equal(text(&b), "{\"more\":true,\"next\":\"abc\"}\n");
    mz_buf_free(&b);
}

static void test_envelope(void **state)
{
    static const char o1[] = "{\"type\":\"indicator\",\"id\":\"indicator--1\"}";
    static const char o2[] = "{\"type\":\"malware\",\"id\":\"malware--2\"}";
    struct mz_buf b;
    struct taxii_list w;
    json_t *j;

    (void)state;
    mz_buf_init(&b, 1 << 16);
    taxii_list_begin(&w, &b, TAXII_ENVELOPE);
    assert_int_equal(taxii_list_object(&w, o1, strlen(o1)), MZ_OK);
    assert_int_equal(taxii_list_object(&w, o2, strlen(o2)), MZ_OK);
    assert_int_equal(taxii_list_end(&w, 0, NULL), MZ_OK);
    assert_string_equal(text(&b), "{\"objects\":[" "{\"type\":\"indicator\",\"id\":\"indicator--1\"},"
                                  "{\"type\":\"malware\",\"id\":\"malware--2\"}],\"more\":false}\n");
    j = parse(&b);
    assert_int_equal(json_array_size(json_object_get(j, "objects")), 2);
    assert_null(json_object_get(j, "next"));
    json_decref(j);
    mz_buf_reset(&b);
    taxii_list_begin(&w, &b, TAXII_ENVELOPE);
    assert_int_equal(taxii_list_object(&w, o1, strlen(o1)), MZ_OK);
    assert_int_equal(taxii_list_end(&w, 1, "tok"), MZ_OK);
    j = parse(&b);
    assert_true(json_is_true(json_object_get(j, "more")));
    assert_string_equal(json_string_value(json_object_get(j, "next")), "tok");
    json_decref(j);
    mz_buf_free(&b);
}

static void test_manifest(void **state)
{
    struct mz_buf b;
    struct taxii_list w;
    json_t *j, *r;

    (void)state;
    mz_buf_init(&b, 1 << 16);
    taxii_list_begin(&w, &b, TAXII_MANIFEST);
    taxii_list_manifest(&w, "indicator--1", "2026-01-01T00:00:00.000001Z", "2025-01-01T00:00:00.000Z", NULL);
    /* an object without modified or created: its version is its date_added */
    taxii_list_manifest(&w, "ipv4-addr--2", "2026-01-01T00:00:00.000002Z", "", "application/x");
    assert_int_equal(taxii_list_end(&w, 0, NULL), MZ_OK);
    j = parse(&b);
    r = json_array_get(json_object_get(j, "objects"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "id")), "indicator--1");
    assert_string_equal(json_string_value(json_object_get(r, "date_added")), "2026-01-01T00:00:00.000001Z");
    assert_string_equal(json_string_value(json_object_get(r, "version")), "2025-01-01T00:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(r, "media_type")), TAXII_STIX_TYPE);
    r = json_array_get(json_object_get(j, "objects"), 1);
    assert_string_equal(json_string_value(json_object_get(r, "version")), "2026-01-01T00:00:00.000002Z");
    assert_string_equal(json_string_value(json_object_get(r, "media_type")), "application/x");
    json_decref(j);
    mz_buf_free(&b);
}

static void test_versions_and_escaping(void **state)
{
    struct mz_buf b;
    struct taxii_list w;
    json_t *j;

    (void)state;
    mz_buf_init(&b, 1 << 16);
    taxii_list_begin(&w, &b, TAXII_VERSIONS);
    taxii_list_version(&w, "2025-01-01T00:00:00.000Z");
    taxii_list_version(&w, "a\"b\\c\n");
    assert_int_equal(taxii_list_end(&w, 1, "n\"x"), MZ_OK);
    j = parse(&b);
    assert_null(json_object_get(j, "objects"));
    assert_int_equal(json_array_size(json_object_get(j, "versions")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "versions"), 1)), "a\"b\\c\n");
    assert_string_equal(json_string_value(json_object_get(j, "next")), "n\"x");
    json_decref(j);
    mz_buf_free(&b);
}

static void test_cap(void **state)
{
    static const char o[] = "{\"type\":\"indicator\",\"id\":\"indicator--1\",\"name\":\"a long enough object\"}";
    struct mz_buf b;
    struct taxii_list w;
    enum mz_err rc = MZ_OK;

    (void)state;
    mz_buf_init(&b, 100);
    taxii_list_begin(&w, &b, TAXII_ENVELOPE);
    for (int i = 0; i < 5 && !rc; i++)
        rc = taxii_list_object(&w, o, strlen(o));
    assert_int_equal(rc, MZ_ETOOBIG);
    assert_int_equal(taxii_list_end(&w, 0, NULL), MZ_ETOOBIG);
    assert_int_equal(mz_buf_status(&b), MZ_ETOOBIG);
    mz_buf_free(&b);
}

static void test_meta(void **state)
{
    static const char o1[] = "{\"type\":\"indicator\",\"id\":\"indicator--1\"}";
    static const char *const comms[] = {"0b0c0000-0000-4000-8000-000000000001", "0b0c0000-0000-4000-8000-000000000002"};
    struct taxii_meta m1 = {"indicator--1", "2025-01-01T00:00:00.000Z", "identity--a", "2025-02-01T00:00:00.000000Z",
                            comms, 2};
    struct taxii_meta m2 = {"ipv4-addr--2", "", "identity--\"b", "2025-02-02T00:00:00.000000Z", NULL, 0};
    struct mz_buf b, meta;
    struct taxii_list w;
    json_t *j, *e;

    (void)state;
    mz_buf_init(&b, 1 << 16);
    mz_buf_init(&meta, 1 << 16);
    taxii_list_begin(&w, &b, TAXII_ENVELOPE);
    assert_int_equal(taxii_list_object(&w, o1, strlen(o1)), MZ_OK);
    assert_int_equal(taxii_list_meta(&w, &meta, &m1), MZ_OK);
    assert_int_equal(taxii_list_object(&w, o1, strlen(o1)), MZ_OK);
    assert_int_equal(taxii_list_meta(&w, &meta, &m2), MZ_OK);
    assert_int_equal(taxii_list_end(&w, 1, "n"), MZ_OK);
    j = parse(&b);
    e = json_object_get(j, "x_mreza_meta");
    assert_int_equal(json_array_size(e), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "id")), "indicator--1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "owner")), "identity--a");
    assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(e, 0), "communities"), 1)),
                        comms[1]);
    /* no version: the date_added stands for it (as the manifest's); escaping */
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 1), "version")),
                        "2025-02-02T00:00:00.000000Z");
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 1), "owner")), "identity--\"b");
    assert_int_equal(json_array_size(json_object_get(json_array_get(e, 1), "communities")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "next")), "n");
    json_decref(j);
    mz_buf_free(&b);
    /* a meta buffer that outgrew its cap: the envelope is latched, not sent without it */
    mz_buf_init(&b, 1 << 16);
    mz_buf_reset(&meta);
    meta.limit = 16;
    taxii_list_begin(&w, &b, TAXII_ENVELOPE);
    assert_int_equal(taxii_list_object(&w, o1, strlen(o1)), MZ_OK);
    assert_int_equal(taxii_list_meta(&w, &meta, &m1), MZ_ETOOBIG);
    assert_int_equal(taxii_list_end(&w, 0, NULL), MZ_ETOOBIG);
    assert_int_equal(mz_buf_status(&b), MZ_ETOOBIG);
    mz_buf_free(&b);
    mz_buf_free(&meta);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_versions_and_escaping),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_meta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
