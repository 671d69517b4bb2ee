/* tests/unit/rules/test_sco_id.c - unit tests of rules/sco_id.c: STIX 2.1's
 * deterministic SCO ids (section 2.9) and docs/model.md R8, through stix_validate().
 *   - tests/data/sco/stix2-deterministic-ids.json: ids the OASIS stix2 library
 *     computes (a file with an extension and a float, a registry key with `values`,
 *     a file by name, a directory, STANDARDS.md's ipv4 vector): each computed alike
 *     and accepted;
 *   - tests/data/sco/misp-external-domain-ip.json: SCOs under the STIX specification's
 *     example ids, which are not their values' UUIDv5s: each refused, at "/id", with
 *     the id its content gives in the message;
 *   - tests/data/sco/misp-objects-collection.json: MISP's export, SCOs under v4 ids:
 *     every object accepted;
 *   - a table: which hash an id is made of (MD5 first; "sha256" read as SHA-256;
 *     only a custom one: the first), numbers and lists, non-ASCII values, upper-case
 *     hex (refused for its spelling, docs/model.md R8), v4 ids whatever the content, a v5 id without any ID-contributing property,
 *     types whose properties this release does not know (process, custom SCOs).
 * The expected ids were computed with Python's uuid.uuid5 over the JCS form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rules/sco_id.h"
#include "rules/stix.h"

/* tests/data/sco/<name>, found from this file's path (the tests run from the top of
 * the tree, where __FILE__ is relative). */
static json_t *load_data(const char *name)
{
    char path[512];
    const char *file = __FILE__;
    const char *tail = strstr(file, "unit/rules/test_sco_id.c");
    json_error_t je;
    json_t *v;

    assert_non_null(tail);
    snprintf(path, sizeof path, "%.*sdata/sco/%s", (int)(tail - file), file, name);
    v = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        fail_msg("%s: %s", path, je.text);
    return v;
}

/* stix_validate's answer for obj: MZ_OK, or the code with err filled. */
static enum mz_err validate(json_t *obj, struct mz_error *err)
{
    struct stix_info info;
    enum mz_err rc;

    mz_error_clear(err);
    rc = stix_validate(obj, &info, err);
    stix_info_clear(&info);
    return rc;
}

static void test_stix2_library_ids(void **state)
{
    json_t *b = load_data("stix2-deterministic-ids.json"), *o;
    size_t i;

    (void)state;
    assert_int_equal(json_array_size(json_object_get(b, "objects")), 5);
    json_array_foreach(json_object_get(b, "objects"), i, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        char got[SCO_ID_MAX];
        struct mz_error err;
        int n = 0;
        assert_int_equal(sco_id_compute(o, json_string_value(json_object_get(o, "type")), got, &n), MZ_OK);
        assert_true(n > 0);
        assert_string_equal(got, id);
        if (validate(o, &err))
            fail_msg("%s refused: %s (%s)", id, err.msg, err.field);
    }
    json_decref(b);
}

static void test_spec_example_ids_refused(void **state)
{
    static const struct {
        const char *id, *want;
    } cases[] = {
        {"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5", "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"},
        {"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"},
        {"ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1", "ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f"},
    };
    json_t *b = load_data("misp-external-domain-ip.json"), *o;
    size_t i, n_sco = 0;

    (void)state;
    json_array_foreach(json_object_get(b, "objects"), i, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        struct mz_error err;
        size_t c;
        if (!strncmp(id, "observed-data--", 15)) {
            assert_int_equal(validate(o, &err), MZ_OK);
            continue;
        }
        for (c = 0; c < sizeof cases / sizeof cases[0] && strcmp(cases[c].id, id); c++)
            ;
        assert_true(c < sizeof cases / sizeof cases[0]);
        assert_int_equal(validate(o, &err), MZ_EINVAL);
        assert_string_equal(err.field, "/id");
        if (!strstr(err.msg, cases[c].want) || !strstr(err.msg, "does not match") || !strstr(err.msg, "`value`"))
            fail_msg("%s: message '%s' should name %s", id, err.msg, cases[c].want);
        n_sco++;
    }
    assert_int_equal(n_sco, 3);
    json_decref(b);
}

static void test_misp_v4_scos_accepted(void **state)
{
    json_t *b = load_data("misp-objects-collection.json"), *o;
    size_t i, n_sco = 0;

    (void)state;
    json_array_foreach(json_object_get(b, "objects"), i, o) {
        struct mz_error err;
        struct stix_info info;
        mz_error_clear(&err);
        if (stix_validate(o, &info, &err))
            fail_msg("/objects/%zu refused: %s (%s)", i, err.msg, err.field);
        n_sco += info.kind == STIX_SCO;
        stix_info_clear(&info);
    }
    assert_int_equal(n_sco, 8);
    json_decref(b);
}

#define MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define S256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct id_case {
    const char *name;
    const char *obj; /* ' for " */
    const char *want; /* NULL: accepted; else a text of the message (the id it should have) */
};

static const struct id_case id_cases[] = {
    {"MD5 is preferred to SHA-256",
     "{'type':'file','id':'file--02fff920-f614-527c-81d1-6353633a6d21','hashes':{'SHA-256':'" S256 "','MD5':'" MD5 "'}}",
     NULL},
    {"an id from the SHA-256 while an MD5 is present",
     "{'type':'file','id':'file--22f8ff52-8f62-5f03-a53a-6f50f54fd74c','hashes':{'SHA-256':'" S256 "','MD5':'" MD5 "'}}",
     "file--02fff920-f614-527c-81d1-6353633a6d21"},
    {"'sha256' is SHA-256", "{'type':'file','id':'file--22f8ff52-8f62-5f03-a53a-6f50f54fd74c','hashes':{'sha256':'" S256 "'}}",
     NULL},
    {"'ssdeep' is SSDEEP", "{'type':'file','id':'file--7bf4d875-4548-5029-a26e-dbb5839022dd','hashes':{'ssdeep':'3:a:b'}}",
     NULL},
    {"only a custom hash: that one",
     "{'type':'file','id':'file--d0f660ce-8b0b-5fd8-97b9-fed81be7b640','hashes':{'x-acme':'abc'},'size':3}", NULL},
    {"integers and lists",
     "{'type':'network-traffic','id':'network-traffic--21fb682d-8acd-5691-b4d4-101141ec8c81','protocols':['ipv4','tcp'],"
     "'src_ref':'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4','dst_port':443,'dst_byte_count':7}",
     NULL},
    {"a number", "{'type':'autonomous-system','id':'autonomous-system--7afc7bdf-d070-5add-90ff-f93503b1654d','number':15169}",
     NULL},
    {"non-ASCII, as UTF-8",
     "{'type':'domain-name','id':'domain-name--438b5d8b-682d-571d-be70-22d53d939e7c','value':'\xd0\xbf\xd1\x80\xd0\xb8\xd0"
     "\xbc\xd0\xb5\xd1\x80.\xd1\x81\xd1\x80\xd0\xb1'}",
     NULL},
    /* the right id in upper case: refused for its spelling (docs/model.md R8) */
    {"upper-case hex", "{'type':'domain-name','id':'domain-name--5A9C819C-8522-5FAB-B94A-E0223AF81251','value':'good.example'}",
     "write domain-name--5a9c819c-8522-5fab-b94a-e0223af81251 instead"},
    {"the hostile-user review's: good.example's id, evil.example's value",
     "{'type':'domain-name','id':'domain-name--5a9c819c-8522-5fab-b94a-e0223af81251','value':'evil.example'}",
     "domain-name--69228563-c8d2-54ae-aeca-5f4134cb59aa"},
    {"other properties do not count",
     "{'type':'url','id':'url--ff106f9a-20c7-5ca1-8dd0-95a4f8ccf564','value':'http://good.example/a','defanged':true}", NULL},
    {"a v4 id, whatever the value", "{'type':'domain-name','id':'domain-name--5a9c819c-8522-4fab-b94a-e0223af81251','value':'evil.example'}",
     NULL},
    {"a v5 id without any ID-contributing property",
     "{'type':'email-message','id':'email-message--5a9c819c-8522-5fab-b94a-e0223af81251','is_multipart':false}",
     "give it a UUIDv4 id"},
    {"process: no ID-contributing properties in STIX 2.1",
     "{'type':'process','id':'process--5a9c819c-8522-5fab-b94a-e0223af81251','pid':4}", NULL},
    {"a custom SCO: its extension defines them",
     "{'type':'x-acme-flow','id':'x-acme-flow--5a9c819c-8522-5fab-b94a-e0223af81251','value':'evil.example'}", NULL},
};

static void test_id_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof id_cases / sizeof id_cases[0]; i++) {
        char *text = strdup(id_cases[i].obj);
        json_error_t je;
        json_t *o;
        struct mz_error err;
        enum mz_err rc;
        for (char *c = text; *c; c++)
            if (*c == '\'')
                *c = '"';
        o = json_loads(text, 0, &je);
        free(text);
        if (!o)
            fail_msg("%s: %s", id_cases[i].name, je.text);
        rc = validate(o, &err);
        if (!id_cases[i].want && rc)
            fail_msg("%s: refused: %s", id_cases[i].name, err.msg);
        if (id_cases[i].want && (rc != MZ_EINVAL || strcmp(err.field, "/id") || !strstr(err.msg, id_cases[i].want)))
            fail_msg("%s: got %d at '%s': '%s'; want 400 at /id naming %s", id_cases[i].name, (int)rc, err.field, err.msg,
                     id_cases[i].want);
        json_decref(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stix2_library_ids),
        cmocka_unit_test(test_spec_example_ids_refused),
        cmocka_unit_test(test_misp_v4_scos_accepted),
        cmocka_unit_test(test_id_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
