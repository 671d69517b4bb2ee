/* fuzz/replay.c - replays a fuzz target's corpus without libFuzzer (like Suricata's
 * onefile.c and SQLite's fuzzcheck.c), so that `make test` runs every saved input
 * under gcc with ASan/UBSan and a fixed crash stays fixed. Nothing is asserted about
 * the output: the test is that no input crashes, trips a sanitizer or leaks.
 * Usage: replay_<target> [DIR] (default fuzz/corpus/<target>, set at build time). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CORPUS_DIR
#error "build with -DCORPUS_DIR=\"fuzz/corpus/<target>\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *corpus = CORPUS_DIR;

static void test_replay_corpus(void **state)
{
    DIR *d = opendir(corpus);
    struct dirent *e;
    int n = 0;

    (void)state;
    if (!d)
        fail_msg("cannot open corpus %s", corpus);
    while ((e = readdir(d))) {
        char path[1024];
        FILE *f;
        long len;
        uint8_t *buf;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", corpus, e->d_name);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)len);
        free(buf);
        n++;
    }
    closedir(d);
    print_message("replayed %d inputs from %s\n", n, corpus);
    assert_true(n > 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replay_corpus)};
    if (argc > 1)
        corpus = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
