/* cli/cli_opts.c - the one option parser of the command line, and the usage lines
 * and help made from the same tables (cli.h: struct cli_option, struct
 * cli_command), with the nearest known name suggested for a mistyped one.
 *
 * Parsing is strict because a lenient one leaks: `export --as rs-cert --tpl green`
 * once took --tpl for an unknown option with a value and exported every level.
 * Anything starting with '-' (but "-" itself, which names stdin) is an option until
 * "--"; an option's value may not start with '-' unless written --name=VALUE, so a
 * forgotten value never swallows the next option. Messages go to stderr as one
 * line "mreza: ..." and the functions return CLI_EXIT_USAGE. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char default_exit_status[] =
    "exit status: 0 done, 1 failed (the reason on stderr), 2 wrong command line (nothing done)";

/* ---- suggestions: the nearest known name to a mistyped one ---- */

#define NEAR_MAX 32

/* Edits (insert, delete, replace, swap two neighbours) from a to b; NEAR_MAX + 1 when
 * either is longer than NEAR_MAX. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[NEAR_MAX + 1][NEAR_MAX + 1];

    if (la > NEAR_MAX || lb > NEAR_MAX)
        return NEAR_MAX + 1;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

void cli_opts_consider(struct cli_nearest *n, const char *known)
{
    size_t len = strlen(n->typed);
    /* the start of a name ("--no" for --no-prefilter) counts as one edit */
    size_t d = len >= 2 && !strncmp(n->typed, known, len) ? 1 : edit_distance(n->typed, known);

    if (!n->best || d < n->dist) {
        n->dist = d;
        n->best = known;
    }
}

const char *cli_opts_nearest(const struct cli_nearest *n)
{
    return n->best && n->dist <= 2 && n->dist < strlen(n->typed) ? n->best : NULL;
}

/* ---- the tables ---- */

static const struct cli_option *in_table(const struct cli_option *t, const char *name, size_t len)
{
    for (; t && t->name; t++)
        if (strlen(t->name) == len && !strncmp(t->name, name, len))
            return t;
    return NULL;
}

static const struct cli_option *short_in_table(const struct cli_option *t, char ch)
{
    for (; t && t->name; t++)
        if (t->short_name && t->short_name == ch)
            return t;
    return NULL;
}

/* The row of --name (name[0..len)) or -ch among c's options and the global ones. */
static const struct cli_option *find_long(const struct cli_command *c, const char *name, size_t len)
{
    const struct cli_option *o = in_table(c->opts, name, len);
    return o ? o : in_table(cli_global_options, name, len);
}

static const struct cli_option *find_short(const struct cli_command *c, char ch)
{
    const struct cli_option *o = short_in_table(c->opts, ch);
    return o ? o : short_in_table(cli_global_options, ch);
}

const char *cli_opts_words(const struct cli_command *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
    return buf;
}

int cli_opts_is_option(const char *arg)
{
    return arg[0] == '-' && arg[1] != '\0';
}

static int first_of_group(const struct cli_option *table, const struct cli_option *o)
{
    for (const struct cli_option *g = table; g < o; g++)
        if (g->group == o->group)
            return 0;
    return 1;
}

/* ---- usage and help ---- */

/* "--as ORG", "-h, --help", "--report". */
static const char *option_term(const struct cli_option *o, char *buf, size_t cap)
{
    char shrt[8] = "";

    if (o->short_name)
        snprintf(shrt, sizeof shrt, "-%c, ", o->short_name);
    snprintf(buf, cap, "%s--%s%s%s", shrt, o->name, o->value ? " " : "", o->value ? o->value : "");
    return buf;
}

/* The members of o's group: "(--as ORG | --as-user USER)", in [] when optional. */
static void print_group(FILE *out, const struct cli_option *table, const struct cli_option *o)
{
    char term[96];
    int first = 1;

    fputs(o->flags & CLI_OPT_REQUIRED ? " (" : " [", out);
    for (const struct cli_option *g = table; g->name; g++) {
        if (g->group != o->group)
            continue;
        fprintf(out, "%s%s", first ? "" : " | ", option_term(g, term, sizeof term));
        first = 0;
    }
    fputs(o->flags & CLI_OPT_REQUIRED ? ")" : "]", out);
}

void cli_opts_usage(FILE *out, const struct cli_command *c)
{
    char words[64], term[96];

    fprintf(out, "usage: mreza %s", cli_opts_words(c, words, sizeof words));
    for (const struct cli_option *o = c->opts; o && o->name; o++) {
        if (o->group && first_of_group(c->opts, o))
            print_group(out, c->opts, o);
        else if (o->group)
            continue;
        else if (o->flags & CLI_OPT_REQUIRED)
            fprintf(out, " %s", option_term(o, term, sizeof term));
        else
            fprintf(out, " [%s]%s", option_term(o, term, sizeof term), o->flags & CLI_OPT_REPEAT ? "…" : "");
    }
    if (c->args)
        fprintf(out, " %s", c->args);
    fputc('\n', out);
}

/* s, then spaces up to width columns, and two at least (UTF-8: "…" is one column,
 * three bytes). */
static void print_padded(FILE *out, const char *s, size_t width)
{
    size_t cols = 0;

    for (const char *p = s; *p; p++)
        cols += ((unsigned char)*p & 0xc0) != 0x80;
    fprintf(out, "%s%*s", s, cols + 2 < width ? (int)(width - cols) : 2, "");
}

void cli_opts_list(FILE *out, const char *title, const struct cli_option *t)
{
    char term[96];

    fprintf(out, "\n%s:\n", title);
    for (; t->name; t++) {
        fputs("  ", out);
        print_padded(out, option_term(t, term, sizeof term), 23);
        fprintf(out, "%s\n", t->help);
    }
}

void cli_opts_help_own(FILE *out, const struct cli_command *c)
{
    cli_opts_usage(out, c);
    fprintf(out, "\n%s\n", c->summary);
    if (c->opts && c->opts->name)
        cli_opts_list(out, "options", c->opts);
}

void cli_opts_help_common(FILE *out, const struct cli_command *c)
{
    cli_opts_list(out, "global options", cli_global_options);
    fprintf(out, "\n%s\n", cli_opts_exit_status(c));
}

void cli_opts_help(FILE *out, const struct cli_command *c)
{
    cli_opts_help_own(out, c);
    cli_opts_help_common(out, c);
}

const char *cli_opts_exit_status(const struct cli_command *c)
{
    return c && c->exit_status ? c->exit_status : default_exit_status;
}

/* ---- parsing ---- */

static int unknown_option(const struct cli_command *c, const char *arg, size_t len)
{
    char typed[NEAR_MAX + 2], words[64];
    struct cli_nearest n = {typed, NULL, 0};
    const char *s;

    snprintf(typed, sizeof typed, "%.*s", (int)(len < sizeof typed - 1 ? len : sizeof typed - 1), arg);
    for (const struct cli_option *o = c->opts; o && o->name; o++)
        cli_opts_consider(&n, o->name);
    for (const struct cli_option *o = cli_global_options; o->name; o++)
        cli_opts_consider(&n, o->name);
    s = cli_opts_nearest(&n);
    return cli_usagef("unknown option --%.*s for %s%s%s%s", (int)len, arg, cli_opts_words(c, words, sizeof words),
                      s ? " (did you mean --" : "", s ? s : "", s ? "?)" : "");
}

static int times_given(const struct cli_args *a, const char *key)
{
    int n = 0;

    for (int i = 0; i < a->n_opt; i++)
        n += !strcmp(a->opt[i].key, key);
    return n;
}

static int check_value(const struct cli_option *o, const char *v)
{
    struct mz_error err;
    long long n;

    mz_error_clear(&err);
    if (!*v)
        return cli_usagef("--%s needs a value (%s), not an empty one", o->name, o->value);
    if (o->kind == CLI_OPT_INT && (mz_conf_parse_int(v, &n) || n < o->min || n > o->max))
        return cli_usagef("--%s: '%s' is not a whole number from %lld to %lld", o->name, v, o->min, o->max);
    if (o->kind == CLI_OPT_SIZE && (mz_conf_parse_size(v, &n) || n < o->min || n > o->max))
        return cli_usagef("--%s: '%s' is not a number of bytes from %lld to %lld (K, M, G allowed)", o->name, v,
                          o->min, o->max);
    if (o->check && o->check(v, &err))
        return cli_usagef("--%s: %s", o->name, err.msg);
    return CLI_EXIT_OK;
}

/* The row argv[*i] names, or NULL after saying so; *eq_out: its "=VALUE", or NULL. */
static const struct cli_option *option_of(const struct cli_command *c, const char *arg, const char **eq_out)
{
    const struct cli_option *o;
    char words[64];
    size_t len;

    *eq_out = NULL;
    if (arg[1] != '-') { /* -X */
        o = arg[2] ? NULL : find_short(c, arg[1]);
        if (!o)
            cli_usagef("unknown option %s for %s (long options are spelt --name)", arg,
                       cli_opts_words(c, words, sizeof words));
        return o;
    }
    *eq_out = strchr(arg + 2, '=');
    len = *eq_out ? (size_t)(*eq_out - arg - 2) : strlen(arg + 2);
    o = find_long(c, arg + 2, len);
    if (!o)
        unknown_option(c, arg + 2, len);
    return o;
}

/* The option at argv[*i] (and its value, which may be argv[*i + 1]) into a. */
static int parse_option(const struct cli_command *c, int argc, char **argv, int *i, struct cli_args *a)
{
    const char *eq, *val = NULL;
    const struct cli_option *o = option_of(c, argv[*i], &eq);
    int max, rc;

    if (!o)
        return CLI_EXIT_USAGE;
    if (o->kind == CLI_OPT_FLAG && eq)
        return cli_usagef("--%s takes no value (got %s)", o->name, argv[*i]);
    if (o->kind != CLI_OPT_FLAG) {
        if (eq)
            val = eq + 1;
        else if (*i + 1 < argc && !cli_opts_is_option(argv[*i + 1]))
            val = argv[++*i];
        else
            return cli_usagef("--%s needs a value (%s)", o->name, o->value);
        rc = check_value(o, val);
        if (rc)
            return rc;
    }
    max = o->flags & CLI_OPT_REPEAT ? (o->max_times ? o->max_times : CLI_MAX_OPT) : 1;
    if (times_given(a, o->name) >= max)
        return max == 1 ? cli_usagef("--%s is given twice (it takes one value)", o->name)
                        : cli_usagef("--%s may be given at most %d times", o->name, max);
    if (a->n_opt == CLI_MAX_OPT)
        return cli_usagef("too many options (at most %d)", CLI_MAX_OPT);
    a->opt[a->n_opt].key = o->name;
    a->opt[a->n_opt++].val = val;
    return CLI_EXIT_OK;
}

/* One group: at most one of it, and one if it is required. */
static int check_group(const struct cli_command *c, const struct cli_args *a, const struct cli_option *o)
{
    const char *given = NULL;

    for (const struct cli_option *g = o; g->name; g++) {
        if (g->group != o->group || !cli_flag(a, g->name))
            continue;
        if (given)
            return cli_usagef("--%s and --%s exclude each other", given, g->name);
        given = g->name;
    }
    if (given || !(o->flags & CLI_OPT_REQUIRED))
        return CLI_EXIT_OK;
    fputs("mreza: missing option: one of", stderr);
    print_group(stderr, c->opts, o);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

static int check_required(const struct cli_command *c, const struct cli_args *a)
{
    char term[96];
    int rc = CLI_EXIT_OK;

    for (const struct cli_option *o = c->opts; o && o->name && !rc; o++) {
        if (o->group && first_of_group(c->opts, o))
            rc = check_group(c, a, o);
        else if (!o->group && (o->flags & CLI_OPT_REQUIRED) && !cli_flag(a, o->name))
            rc = cli_usagef("missing option %s", option_term(o, term, sizeof term));
    }
    return rc;
}

static int check_arg_count(const struct cli_command *c, const struct cli_args *a)
{
    int n = a->n_pos - (c->sub ? 1 : 0);
    char words[64];
    const char *extra;

    cli_opts_words(c, words, sizeof words);
    if (n < c->min_args)
        return cli_usagef("%s needs %s", words, c->args);
    if (c->max_args < 0 || n <= c->max_args)
        return CLI_EXIT_OK;
    extra = a->pos[a->n_pos - n + c->max_args];
    if (c->max_args == 0)
        return cli_usagef("%s takes no arguments (got '%s')", words, extra);
    return cli_usagef("%s takes %s, not also '%s'", words, c->args, extra);
}

int cli_opts_parse(const struct cli_command *c, int argc, char **argv, struct cli_args *a)
{
    int rc = CLI_EXIT_OK, options_end = 0;

    if (c->sub)
        a->pos[a->n_pos++] = c->sub;
    for (int i = 0; i < argc && !rc; i++) {
        const char *s = argv[i];
        if (!options_end && !strcmp(s, "--"))
            options_end = 1;
        else if (!options_end && cli_opts_is_option(s))
            rc = parse_option(c, argc, argv, &i, a);
        else if (a->n_pos == CLI_MAX_POS)
            rc = cli_usagef("too many arguments (at most %d)", CLI_MAX_POS);
        else
            a->pos[a->n_pos++] = s;
    }
    if (!rc)
        rc = check_arg_count(c, a);
    if (!rc)
        rc = check_required(c, a);
    return rc;
}

int cli_opts_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}
