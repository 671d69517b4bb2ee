/* tests/unit/util/test_file.c - unit tests of util/file.c (mz_file_read): a table of
 * files and flags with what each gives (the bytes, or the error code and a word of its
 * message): missing, a directory, empty, at and one byte over the cap, and a secret
 * (MZ_FILE_PRIVATE) under each mode that gives its group or other users any access,
 * beside 0600 and 0400. Out-parameters stay untouched on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/file.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mreza-file-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* dir/name with text, mode; returns the path (static, until the next call). */
static const char *make(const char *name, const char *text, mode_t mode)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

struct row {
    const char *text;     /* the file's content; NULL: no file */
    mode_t mode;
    size_t max;
    unsigned flags;
    enum mz_err want;
    const char *says;     /* in the message, or NULL */
};

static const struct row rows[] = {
    {"pem\n", 0644, 64, 0, MZ_OK, NULL},
    {"", 0644, 64, 0, MZ_OK, NULL},
    {"12345678", 0644, 8, 0, MZ_OK, NULL},                     /* exactly the cap */
    {"123456789", 0644, 8, 0, MZ_ETOOBIG, "larger than 8 bytes"},
    {NULL, 0, 64, 0, MZ_ENOTFOUND, "cannot open"},
    {"key", 0600, 64, MZ_FILE_PRIVATE, MZ_OK, NULL},
    {"key", 0400, 64, MZ_FILE_PRIVATE, MZ_OK, NULL},
    {"key", 0644, 64, MZ_FILE_PRIVATE, MZ_EINVAL, "mode 0644"},
    {"key", 0640, 64, MZ_FILE_PRIVATE, MZ_EINVAL, "chmod 600"},
    {"key", 0604, 64, MZ_FILE_PRIVATE, MZ_EINVAL, "other users may read"},
    {"key", 0620, 64, MZ_FILE_PRIVATE, MZ_EINVAL, "mode 0620"},
    {"key", 0601, 64, MZ_FILE_PRIVATE, MZ_EINVAL, "mode 0601"},
    {"key", 0644, 64, 0, MZ_OK, NULL},                         /* not a secret: any mode */
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        char name[16], *data = (char *)"untouched";
        char missing[128];
        const char *path;
        size_t len = 12345;
        struct mz_error err;
        enum mz_err rc;

        snprintf(name, sizeof name, "f%zu", i);
        snprintf(missing, sizeof missing, "%s/none", dir);
        path = r->text ? make(name, r->text, r->mode) : missing;
        mz_error_clear(&err);
        rc = mz_file_read(path, r->max, r->flags, &data, &len, &err);
        if (rc != r->want)
            fail_msg("row %zu: %d, want %d (%s)", i, rc, r->want, err.msg);
        if (rc == MZ_OK) {
            assert_int_equal(len, strlen(r->text));
            assert_string_equal(data, r->text);
            free(data);
            continue;
        }
        assert_string_equal(data, "untouched");
        assert_int_equal(len, 12345);
        assert_non_null(strstr(err.msg, path));
        if (!strstr(err.msg, r->says))
            fail_msg("row %zu: the message lacks '%s': %s", i, r->says, err.msg);
    }
}

static void test_directory_refused(void **state)
{
    char *data = NULL;
    size_t len = 0;
    struct mz_error err;

    (void)state;
    assert_int_equal(mz_file_read(dir, 64, 0, &data, &len, &err), MZ_EINVAL);
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_null(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_directory_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
