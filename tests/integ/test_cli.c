/* tests/integ/test_cli.c - the command line fails safely: the real `mreza` binary,
 * run on temporary data directories.
 *
 * The commands come from the binary itself (`mreza help` lists them), so a command
 * added to the table is checked here without a change to this file. For every one:
 * an unknown option is refused with exit status 2 and a message naming it, and
 * nothing is created (an empty directory stays empty) or changed (a node's files keep
 * their names, sizes and times); -h and --help print its usage and exit 0, also
 * without creating or changing anything (so `serve -h` starts no server and `init -h`
 * makes no store). Then cases: a mistyped option of export (the --tpl that once
 * exported every level) is refused with the right one suggested; missing, repeated
 * and malformed options are named; every command but init, on a directory without a
 * node, says "no node in DIR (run mreza init)" and creates nothing; a second
 * `init --demo` is refused and leaves demo-keys.txt byte for byte; init says what
 * to do next; import stores several files, each all or nothing; --version;
 * docs/config.md's list of settings is what `mreza config defaults` prints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define MAX_COMMANDS 64
#define MAX_WORDS 4

/* The commands `mreza help` lists, split into words ("org", "add"). */
static char command_text[MAX_COMMANDS][64];
static const char *commands[MAX_COMMANDS][MAX_WORDS + 1];
static size_t n_commands;

/* Commands the table must hold at least (the help listing is read, not trusted). */
static const char *const known[] = {"init", "serve", "org add", "org list", "user add", "user list",
                                    "user key", "user disable", "user enable", "import", "export", "match",
                                    "check", "config defaults", "config show", "tls pin", "version", "help"};

/* An empty temporary data directory (no node). */
static void empty_dir(struct hnode *n)
{
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "/tmp/mreza-cli-XXXXXX");
    assert_non_null(mkdtemp(n->dir));
}

/* Every entry of dir with its size and modification time, one per line, sorted;
 * "" for an empty directory. Caller frees. */
static char *snapshot(const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    size_t cap = 256, len = 0;
    char *out = calloc(1, cap);

    assert_true(n >= 0);
    assert_non_null(out);
    for (int i = 0; i < n; i++) {
        char path[512], line[600];
        struct stat sb;
        int k;
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            assert_int_equal(stat(path, &sb), 0);
            k = snprintf(line, sizeof line, "%s %lld %lld.%09ld\n", names[i]->d_name, (long long)sb.st_size,
                         (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
            while (len + (size_t)k + 1 > cap)
                out = realloc(out, cap *= 2);
            assert_non_null(out);
            memcpy(out + len, line, (size_t)k + 1);
            len += (size_t)k;
        }
        free(names[i]);
    }
    free(names);
    return out;
}

/* Run `mreza WORDS… EXTRA… --data DIR`; returns the exit status, stdout and stderr. */
static int run(struct hnode *n, const char *const *words, const char *const *extra, char **out, char **err)
{
    const char *argv[32];
    int k = 0;

    for (int i = 0; words && words[i]; i++)
        argv[k++] = words[i];
    for (int i = 0; extra && extra[i]; i++)
        argv[k++] = extra[i];
    argv[k] = NULL;
    return h_cli_err(n, out, err, argv);
}

/* Reads the "commands:" section of `mreza help`: "  org add     add an organisation". */
static int setup(void **state)
{
    struct hnode n;
    const char *const help[] = {"help", NULL};
    char *out = NULL, *line, *save = NULL;
    int in_list = 0;

    (void)state;
    empty_dir(&n);
    if (h_cli(&n, &out, help) != 0 || strstr(out, "(null)")) {
        fprintf(stderr, "`mreza help` failed or lacks a text:\n%s", out);
        free(out);
        h_node_free(&n);
        return -1;
    }
    for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *end, *w, *wsave = NULL;
        size_t k = 0;
        if (!strcmp(line, "commands:")) {
            in_list = 1;
            continue;
        }
        if (!in_list || strncmp(line, "  ", 2) || line[2] == ' ' || line[2] == '-') {
            in_list = in_list && !strncmp(line, "  ", 2);
            continue;
        }
        end = strstr(line + 2, "  "); /* the words end where the summary's column starts */
        if (!end || n_commands == MAX_COMMANDS)
            return -1;
        snprintf(command_text[n_commands], sizeof command_text[n_commands], "%.*s", (int)(end - line - 2), line + 2);
        for (w = strtok_r(command_text[n_commands], " ", &wsave); w && k < MAX_WORDS;
             w = strtok_r(NULL, " ", &wsave))
            commands[n_commands][k++] = w;
        commands[n_commands][k] = NULL;
        n_commands++;
    }
    free(out);
    h_node_free(&n);
    return n_commands > 0 ? 0 : -1;
}

static void test_help_lists_the_commands(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t j = 0;
        char words[64];
        for (; j < n_commands; j++) {
            snprintf(words, sizeof words, "%s%s%s", commands[j][0], commands[j][1] ? " " : "",
                     commands[j][1] ? commands[j][1] : "");
            if (!strcmp(words, known[i]))
                break;
        }
        if (j == n_commands)
            fail_msg("`mreza help` does not list %s", known[i]);
    }
}

/* The unknown option, then the same line as the command's first word expects of
 * its arguments (so that the parser, not a missing argument, is what refuses). */
static void refuses_unknown_option(struct hnode *n, const char *const *words)
{
    const char *const extra[] = {"--no-such-option", "x", NULL};
    char *out = NULL, *err = NULL, *before = snapshot(n->dir), *after;

    assert_int_equal(run(n, words, extra, &out, &err), 2);
    if (!strstr(err, "--no-such-option"))
        fail_msg("%s: the message does not name the option: %s", words[0], err);
    assert_string_equal(out, "");
    after = snapshot(n->dir);
    if (strcmp(before, after))
        fail_msg("%s %s: the directory changed:\n%s\n->\n%s", words[0], words[1] ? words[1] : "", before, after);
    free(before);
    free(after);
    free(out);
    free(err);
}

static void prints_help(struct hnode *n, const char *const *words, const char *flag)
{
    const char *const extra[] = {flag, NULL};
    char *out = NULL, *err = NULL, *before = snapshot(n->dir), *after, usage[128];

    snprintf(usage, sizeof usage, "usage: mreza %s%s%s", words[0], words[1] ? " " : "", words[1] ? words[1] : "");
    assert_int_equal(run(n, words, extra, &out, &err), 0);
    if (strncmp(out, usage, strlen(usage)))
        fail_msg("`mreza %s %s` does not start with '%s': %s", usage + 13, flag, usage, out);
    assert_non_null(strstr(out, "global options:\n  --data DIR"));
    assert_non_null(strstr(out, "exit status"));
    /* a summary under the usage line, and no row without its text */
    assert_true(strstr(out, "\n\n") && strstr(out, "\n\n")[2] != '\n');
    if (strstr(out, "(null)"))
        fail_msg("%s %s: help with a missing text: %s", usage + 13, flag, out);
    assert_string_equal(err, "");
    after = snapshot(n->dir);
    if (strcmp(before, after))
        fail_msg("%s %s: the directory changed:\n%s\n->\n%s", usage + 13, flag, before, after);
    free(before);
    free(after);
    free(out);
    free(err);
}

static void test_every_command_refuses_unknown_options(void **state)
{
    struct hnode empty, node;

    (void)state;
    empty_dir(&empty);
    h_node_init(&node);
    for (size_t i = 0; i < n_commands; i++) {
        refuses_unknown_option(&empty, commands[i]);
        refuses_unknown_option(&node, commands[i]);
    }
    h_node_free(&empty);
    h_node_free(&node);
}

static void test_every_command_has_help(void **state)
{
    struct hnode empty, node;

    (void)state;
    empty_dir(&empty);
    h_node_init(&node);
    for (size_t i = 0; i < n_commands; i++) {
        prints_help(&empty, commands[i], "-h");
        prints_help(&empty, commands[i], "--help");
        prints_help(&node, commands[i], "--help");
    }
    h_node_free(&empty);
    h_node_free(&node);
}

/* Command lines the parser refuses (exit 2, nothing created), and what the message
 * must name. */
struct refusal {
    const char *argv[12];
    const char *names;
};

static const struct refusal refusals[] = {
    {{"import", "bundle.json"}, "missing option --user USER"},
    {{"export"}, "(--as ORG | --as-user USER)"},
    {{"match", "--as", "a", "--as-user", "b"}, "--as and --as-user exclude each other"},
    {{"org", "add", "x"}, "missing option --country CC"},
    {{"user", "add", "u", "--org", "o"}, "missing option --role ROLE"},
    {{"user", "add", "u", "--org", "o", "--role", "boss"}, "--role: 'boss' is not one of"},
    {{"export", "--as"}, "--as needs a value"},
    {{"export", "--as", "--tlp", "green"}, "--as needs a value"},
    {{"export", "--as="}, "--as needs a value"},
    {{"init", "--demo=yes"}, "--demo takes no value"},
    {{"match", "--as", "o", "--report=yes"}, "--report takes no value"},
    {{"export", "--as", "a", "--as", "b"}, "--as is given twice"},
    {{"export", "--as", "a", "--tlp", "purple"}, "--tlp: 'purple' is not one of"},
    {{"export", "--as", "a", "--type", ","}, "--type: the type filter must name at least one STIX type"},
    {{"match", "--as", "a", "-", "-"}, "- (standard input) can be matched only once"},
    {{"match", "--as", "a", "--format", "xml"}, "--format: 'xml' is not one of"},
    {{"match", "--as", "a", "--threads", "many"}, "--threads: 'many' is not a whole number"},
    {{"match", "--as", "a", "--piece-size", "0"}, "--piece-size: '0' is not a number of bytes"},
    {{"user", "key", "u", "--list", "--revoke", "3"}, "--list and --revoke exclude each other"},
    {{"user", "key", "u", "--rotate", "3", "--update", "3"}, "--rotate and --update exclude each other"},
    {{"user", "key", "u", "--revoke", "x"}, "--revoke: 'x' is not a whole number"},
    {{"user", "key", "u", "--revoke", "0"}, "--revoke: '0' is not a whole number from 1"},
    {{"user", "key", "u", "--expires", "tomorrow"}, "--expires: expires must be a time"},
    {{"user", "key", "u", "--expires", "2026-02-30"}, "--expires: expires must be a time"},
    {{"user", "key", "u", "--grace", "1h"}, "--grace does not go with issuing a key"},
    {{"user", "key", "u", "--rotate", "3", "--grace", "8d"}, "--grace: grace must be a duration from 0 to 7d"},
    {{"user", "key", "u", "--list", "--comment", "x"}, "--comment does not go with --list"},
    {{"user", "key", "u", "--revoke", "2", "--expires", "1d"}, "--expires does not go with --revoke"},
    {{"user", "key", "u", "--update", "3"}, "--update needs --expires or --comment"},
    {{"user", "key"}, "user key needs NAME"},
    {{"user", "disable"}, "user disable needs NAME"},
    {{"user", "enable", "a", "b"}, "not also 'b'"},
    {{"org"}, "org needs a subcommand"},
    {{"org", "ad", "x"}, "did you mean add?"},
    {{"exprt", "--as", "a"}, "did you mean export?"},
    {{"check", "extra"}, "check takes no arguments (got 'extra')"},
    {{"org", "add", "x", "y", "--country", "RS"}, "not also 'y'"},
    {{"check", "-x"}, "unknown option -x"},
    {{"check", "--help=yes"}, "--help takes no value"},
    {{"--data", "d", "check"}, "the command comes first"},
    {{"serve", "--set", "http.threads=lots"}, "--set: http.threads"},
};

static void test_refusals_name_the_problem(void **state)
{
    struct hnode empty;

    (void)state;
    empty_dir(&empty);
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        char *out = NULL, *err = NULL, *after;
        int rc = h_cli_err(&empty, &out, &err, refusals[i].argv);
        if (rc != 2 || !strstr(err, refusals[i].names))
            fail_msg("%s …: status %d (want 2), stderr lacks '%s': %s", refusals[i].argv[0], rc, refusals[i].names,
                     err);
        assert_string_equal(out, "");
        after = snapshot(empty.dir);
        assert_string_equal(after, "");
        free(after);
        free(out);
        free(err);
    }
    h_node_free(&empty);
}

#define CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

/* `export --as rs-cert --tpl green` once took --tpl for an option with a value and
 * exported every level (36 objects instead of the 19 GREEN ones), exit 0. */
static void test_export_mistyped_tlp_is_refused(void **state)
{
    struct hnode node;
    const char *const init[] = {"init", "--demo", NULL};
    const char *const typo[] = {"export", "--as", "rs-cert", "--tpl", "green", NULL};
    const char *const right[] = {"export", "--as", "rs-cert", "--tlp", "green", NULL};
    const char *const all[] = {"export", "--as", "rs-cert", NULL};
    char *out = NULL, *err = NULL;

    (void)state;
    empty_dir(&node);
    assert_int_equal(h_cli(&node, NULL, init), 0);
    assert_int_equal(h_cli_err(&node, &out, &err, typo), 2);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "unknown option --tpl"));
    assert_non_null(strstr(err, "did you mean --tlp?"));
    free(out);
    free(err);
    assert_int_equal(h_cli(&node, &out, right), 0);
    assert_non_null(strstr(out, GREEN));
    assert_null(strstr(out, CLEAR));
    free(out);
    assert_int_equal(h_cli(&node, &out, all), 0);
    assert_non_null(strstr(out, CLEAR)); /* so the filter above had something to leave out */
    free(out);
    h_node_free(&node);
}

/* Every command that needs a node, on a directory without one: refused with "no node
 * in DIR (run mreza init)", nothing created (once, an empty store was made and the
 * command answered ok). */
static const char *const need_a_node[][10] = {
    {"serve", "--listen", "127.0.0.1:0"},
    {"org", "list"},
    {"org", "add", "x", "--country", "RS"},
    {"user", "list"},
    {"user", "add", "u", "--org", "o", "--role", "analyst"},
    {"user", "key", "u"},
    {"user", "key", "u", "--list"},
    {"user", "key", "u", "--revoke", "1"},
    {"user", "disable", "u"},
    {"user", "enable", "u"},
    {"import", "/dev/null", "--user", "u"},
    {"export", "--as", "o"},
    {"match", "--as", "o", "/dev/null"},
    {"check"},
};

static void test_only_init_creates_a_node(void **state)
{
    struct hnode empty, missing;
    char want[300];

    (void)state;
    empty_dir(&empty);
    memcpy(&missing, &empty, sizeof missing);
    strncat(missing.dir, "/none", sizeof missing.dir - strlen(missing.dir) - 1);
    for (size_t i = 0; i < sizeof need_a_node / sizeof need_a_node[0]; i++) {
        struct hnode *n = i % 2 ? &missing : &empty;
        char *out = NULL, *err = NULL, *after;
        snprintf(want, sizeof want, "mreza: no node in %s (run mreza init)\n", n->dir);
        assert_int_equal(h_cli_err(n, &out, &err, need_a_node[i]), 1);
        if (strcmp(err, want))
            fail_msg("%s: '%s', not '%s'", need_a_node[i][0], err, want);
        assert_string_equal(out, "");
        after = snapshot(empty.dir);
        assert_string_equal(after, "");
        free(after);
        free(out);
        free(err);
    }
    h_node_free(&empty);
}

/* A second `init --demo` once emptied demo-keys.txt, the only copy of the demo keys,
 * before it failed: now it refuses before touching anything. */
static void test_second_demo_init_is_refused(void **state)
{
    struct hnode node;
    const char *const demo[] = {"init", "--demo", NULL};
    const char *const plain[] = {"init", NULL};
    char path[300], *keys, *again, *out = NULL, *err = NULL, *before, *after;
    size_t len, len_again;
    struct stat sb;

    (void)state;
    empty_dir(&node);
    assert_int_equal(h_cli(&node, &out, demo), 0);
    assert_non_null(strstr(out, "next steps:"));
    assert_non_null(strstr(out, "demo-keys.txt"));
    assert_non_null(strstr(out, "mreza serve --data"));
    free(out);
    snprintf(path, sizeof path, "%s/demo-keys.txt", node.dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    keys = h_read_file(path, &len);
    assert_true(len > 0);
    before = snapshot(node.dir);
    assert_int_equal(h_cli_err(&node, &out, &err, demo), 1);
    assert_non_null(strstr(err, "already holds a node"));
    assert_string_equal(out, "");
    after = snapshot(node.dir);
    assert_string_equal(before, after);
    again = h_read_file(path, &len_again);
    assert_int_equal(len, len_again);
    assert_memory_equal(keys, again, len);
    free(out);
    free(err);
    free(again);
    /* a plain init of a node keeps it (and its keys) as they are */
    assert_int_equal(h_cli(&node, &out, plain), 0);
    assert_non_null(strstr(out, "already holds a node"));
    again = h_read_file(path, &len_again);
    assert_int_equal(len, len_again);
    assert_memory_equal(keys, again, len);
    assert_int_equal(h_db_integrity_ok(&node), 1);
    free(again);
    free(out);
    free(keys);
    free(before);
    free(after);
    h_node_free(&node);
}

/* init says what to do next. */
static void test_init_says_what_next(void **state)
{
    struct hnode node;
    const char *const init[] = {"init", NULL};
    char *out = NULL;

    (void)state;
    empty_dir(&node);
    assert_int_equal(h_cli(&node, &out, init), 0);
    assert_non_null(strstr(out, "node store ready in"));
    assert_non_null(strstr(out, "next steps:"));
    assert_non_null(strstr(out, "mreza org add NAME --country CC"));
    assert_non_null(strstr(out, "mreza user add NAME --org ORG --role node-admin"));
    assert_non_null(strstr(out, "mreza serve --data"));
    free(out);
    h_node_free(&node);
}

#define BUNDLE(n, domain)                                                                             \
    "{\"type\":\"bundle\",\"id\":\"bundle--0b7f3c3e-9a55-4d4b-9d59-2f2a3c8c2a1" n "\",\"objects\":["        \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--2b0c8a5e-5d2a-4f41-9a0d-6f7a2b1c9e0" n \
    "\",\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","               \
    "\"pattern\":\"[domain-name:value = '" domain "']\",\"pattern_type\":\"stix\","                        \
    "\"valid_from\":\"2024-01-01T00:00:00Z\"}]}"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* import takes several files, each its own all-or-nothing unit: the good ones are
 * stored, a bad one is named and stores nothing, and the status is 1 if any failed
 * (the second file used to be silently ignored). */
static void test_import_several_files(void **state)
{
    struct hnode node;
    char key[64], a[300], b[300], bad[300], *out = NULL, *err = NULL;
    const char *const both[] = {"import", a, b, "--user", "analyst@rs-cert", NULL};
    const char *const mixed[] = {"import", bad, a, "--user", "analyst@rs-cert", NULL};
    const char *const stdin_twice[] = {"import", "-", "-", "--user", "analyst@rs-cert", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", key);
    snprintf(a, sizeof a, "%s/a.json", node.dir);
    snprintf(b, sizeof b, "%s/b.json", node.dir);
    snprintf(bad, sizeof bad, "%s/bad.json", node.dir);
    write_file(a, BUNDLE("1", "one.example"));
    write_file(b, BUNDLE("2", "two.example"));
    write_file(bad, BUNDLE("3", "three.example") "trailing");
    assert_int_equal(h_cli_err(&node, &out, &err, both), 0);
    assert_non_null(strstr(out, "imported 1 objects (1 new"));
    assert_non_null(strstr(out, "a.json\n"));
    assert_non_null(strstr(out, "b.json\n"));
    assert_string_equal(err, "");
    assert_int_equal(h_db_count(&node, "type = 'indicator'"), 2);
    free(out);
    free(err);
    /* bad.json stores nothing; a.json again is a duplicate, stored once */
    assert_int_equal(h_cli_err(&node, &out, &err, mixed), 1);
    assert_non_null(strstr(err, "bad.json: nothing imported"));
    assert_non_null(strstr(err, "1 of 2 files not imported"));
    assert_non_null(strstr(out, "(0 new, 1 duplicates"));
    assert_int_equal(h_db_count(&node, "type = 'indicator'"), 2);
    assert_int_equal(h_db_count(&node, "body LIKE '%three.example%'"), 0);
    free(out);
    free(err);
    assert_int_equal(h_cli_err(&node, &out, &err, stdin_twice), 2);
    assert_non_null(strstr(err, "only once"));
    free(out);
    free(err);
    h_node_free(&node);
}

/* import says when a granular marking made an object stricter as a whole, on the
 * file's one line (the API's write reply says it too: test_tlp_matrix). */
static void test_import_reports_granular(void **state)
{
    struct hnode node;
    char key[64], a[300], *out = NULL, *err = NULL;
    const char *const argv[] = {"import", a, "--user", "analyst@rs-cert", NULL};

    (void)state;
    h_node_init(&node);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", key);
    snprintf(a, sizeof a, "%s/a.json", node.dir);
    write_file(a, "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--2b0c8a5e-5d2a-4f41-9a0d-6f7a2b1c9e09\","
                  "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                  "\"pattern\":\"[domain-name:value = 'gran.example']\",\"pattern_type\":\"stix\","
                  "\"valid_from\":\"2024-01-01T00:00:00Z\",\"description\":\"from the victim's mailbox\","
                  "\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"],"
                  "\"granular_markings\":[{\"selectors\":[\"description\"],"
                  "\"marking_ref\":\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\"}]}");
    assert_int_equal(h_cli_err(&node, &out, &err, argv), 0);
    assert_non_null(strstr(out, "imported 1 objects (1 new"));
    assert_non_null(strstr(out, ", 1 made stricter as a whole by a granular marking "
                                "(first: indicator--2b0c8a5e-5d2a-4f41-9a0d-6f7a2b1c9e09 -> TLP:RED)) from "));
    assert_non_null(strchr(out, '\n'));
    assert_string_equal(strchr(out, '\n'), "\n"); /* one line */
    assert_int_equal(h_db_count(&node, "tlp = 4"), 1);
    free(out);
    free(err);
    h_node_free(&node);
}

/* `mreza --version` and `mreza version`: "mreza X.Y.Z", then `git describe` of the
 * build's tree in parentheses when it was built from one. */
static void test_version(void **state)
{
    struct hnode empty;
    const char *const dashed[] = {"--version", NULL};
    const char *const word[] = {"version", NULL};
    char *out = NULL, *again = NULL, *after;
    unsigned major, minor, patch;
    int end = 0;

    (void)state;
    empty_dir(&empty);
    assert_int_equal(h_cli(&empty, &out, dashed), 0);
    assert_int_equal(sscanf(out, "mreza %u.%u.%u%n", &major, &minor, &patch, &end), 3);
    if (strcmp(out + end, "\n") && (strncmp(out + end, " (", 2) || strcmp(out + strlen(out) - 2, ")\n")))
        fail_msg("not 'mreza X.Y.Z [(describe)]': %s", out);
    assert_int_equal(h_cli(&empty, &again, word), 0);
    assert_string_equal(out, again);
    after = snapshot(empty.dir);
    assert_string_equal(after, "");
    free(after);
    free(out);
    free(again);
    h_node_free(&empty);
}

/* docs/config.md holds, in its one fenced block, exactly what `mreza config defaults`
 * prints: a setting added, renamed or given another default or description in
 * util/conf.c without the doc fails here. */
static void test_config_doc_is_the_defaults(void **state)
{
    struct hnode empty;
    const char *const argv[] = {"config", "defaults", NULL};
    char *out = NULL, *doc = h_read_file("docs/config.md", NULL), *open, *close;

    (void)state;
    assert_non_null(doc);
    open = strstr(doc, "\n```\n");
    assert_non_null(open);
    open += 5;
    close = strstr(open, "```\n");
    assert_non_null(close);
    *close = '\0';
    empty_dir(&empty);
    assert_int_equal(h_cli(&empty, &out, argv), 0);
    assert_string_equal(out, open);
    free(out);
    free(doc);
    h_node_free(&empty);
}

/* The store and the index snapshot hold every TLP level, RED included: they are made
 * readable by their owner only, even in a directory made open beforehand (packaging,
 * service managers) and under a permissive umask. */
static void test_store_files_are_private(void **state)
{
    struct hnode node;
    char key[64], a[300], path[400];
    const char *const init[] = {"init", NULL};
    const char *const imp[] = {"import", a, "--user", "analyst@rs-cert", NULL};
    const char *const match[] = {"match", "--as", "rs-cert", "/dev/null", NULL};
    const char *const files[] = {"mreza.db", "mreza.db-wal", "index.snap"};
    mode_t old = umask(0);
    struct stat sb;

    (void)state;
    empty_dir(&node);
    assert_int_equal(chmod(node.dir, 0755), 0);
    assert_int_equal(h_cli(&node, NULL, init), 0);
    h_add_org(&node, "rs-cert", "RS", "national-csirt");
    h_add_user(&node, "analyst@rs-cert", "rs-cert", "analyst", key);
    snprintf(a, sizeof a, "%s/a.json", node.dir);
    write_file(a, BUNDLE("1", "one.example"));
    assert_int_equal(h_cli(&node, NULL, imp), 0);
    assert_true(h_cli(&node, NULL, match) <= 1); /* 1: nothing matched */
    umask(old);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", node.dir, files[i]);
        if (stat(path, &sb) != 0) {
            assert_string_equal(files[i], "mreza.db-wal"); /* checkpointed away: fine */
            continue;
        }
        if (sb.st_mode & 077)
            fail_msg("%s has mode %03o: others may read it", files[i], (unsigned)(sb.st_mode & 0777));
    }
    h_node_free(&node);
}

static unsigned mode_of(const char *path)
{
    struct stat sb;

    assert_int_equal(stat(path, &sb), 0);
    return (unsigned)(sb.st_mode & 07777);
}

/* The data directory holds every TLP level: init makes it 0700 (a new one under a
 * permissive umask too), takes other users' access away from an existing directory
 * and from the node's files in it, and says so; an init that refuses (--demo on a
 * node) changes nothing. Before, a directory made open beforehand stayed open. */
static void test_data_dir_private(void **state)
{
    struct hnode node;
    char sub[300], db[300], *out = NULL;
    const char *const init[] = {"init", NULL};
    const char *const demo[] = {"init", "--demo", NULL};
    mode_t old = umask(0);

    (void)state;
    /* a directory init makes */
    empty_dir(&node);
    {
        struct hnode inner;
        memset(&inner, 0, sizeof inner);
        snprintf(inner.dir, sizeof inner.dir, "%.200s/node", node.dir);
        snprintf(sub, sizeof sub, "%s", inner.dir);
        assert_int_equal(h_cli(&inner, NULL, init), 0);
    }
    assert_int_equal(mode_of(sub), 0700);
    /* an open directory given to init */
    assert_int_equal(chmod(node.dir, 0755), 0);
    assert_int_equal(h_cli(&node, &out, init), 0);
    assert_int_equal(mode_of(node.dir), 0700);
    assert_non_null(strstr(out, "was open to other users (mode 0755); it is now 0700"));
    free(out);
    /* an existing node whose directory and store were opened up since */
    snprintf(db, sizeof db, "%s/mreza.db", node.dir);
    assert_int_equal(chmod(node.dir, 0750), 0);
    assert_int_equal(chmod(db, 0644), 0);
    assert_int_equal(h_cli(&node, &out, init), 0);
    assert_int_equal(mode_of(node.dir), 0700);
    assert_int_equal(mode_of(db), 0600);
    assert_non_null(strstr(out, "mreza.db was open to other users (mode 0644); it is now 0600"));
    free(out);
    /* a refused init --demo leaves it as it was */
    assert_int_equal(chmod(node.dir, 0755), 0);
    assert_int_equal(h_cli(&node, NULL, demo), 1);
    assert_int_equal(mode_of(node.dir), 0755);
    umask(old);
    h_node_free(&node);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_lists_the_commands),
        cmocka_unit_test(test_every_command_refuses_unknown_options),
        cmocka_unit_test(test_every_command_has_help),
        cmocka_unit_test(test_refusals_name_the_problem),
        cmocka_unit_test(test_export_mistyped_tlp_is_refused),
        cmocka_unit_test(test_only_init_creates_a_node),
        cmocka_unit_test(test_second_demo_init_is_refused),
        cmocka_unit_test(test_init_says_what_next),
        cmocka_unit_test(test_import_several_files),
        cmocka_unit_test(test_import_reports_granular),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_config_doc_is_the_defaults),
        cmocka_unit_test(test_store_files_are_private),
        cmocka_unit_test(test_data_dir_private),
    };

    alarm(600); /* a command that ignored -h and started serving would hang the run */
    return cmocka_run_group_tests(tests, setup, NULL);
}
