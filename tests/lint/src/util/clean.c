/* tests/lint/src/util/clean.c - never compiled: input of tests/lint/check.sh. Nothing here is a
 * problem: banned names and includes in comments and string literals, lookalike names,
 * free headers.
 * #include <sqlite3.h>
 * sprintf(buf, "x"); a reader gets (this) */
#include "util/clean.h"
#include "clean.h"

#include <stdatomic.h>
#include <strings.h>
#include <sys/mman.h>

// strcpy(a, b); gets (a line)
static const char *s1 = "sprintf(x) strcat(a, b) /* not a comment";
static const char *s2 = "an \"escaped gets(\" quote";
static const char q = '"';
static const char bs = '\\';
static const char *s3 = "SELECT * FROM t WHERE id = ?"; /* bound, then %s */

int clean(char *buf, size_t n, const char *name)
{
    int a = my_atoi(name) + xsscanf(name) + (int)q + (int)bs; /* atoi( */
    /* a comment over
       lines: strtok(a, b); sscanf(s, "%d", &a)
    */
    snprintf(buf, n, "%s: %d", name, a);
    vsnprintf(buf, n, "%s", NULL);
    mz_buf_printf(b, "%s:t%zu", a ? "," : "", a);
    snprintf(buf, n, "INSERT INTO schema_version VALUES(%d)", a);
    return fgets(buf, (int)n, stdin) != NULL && s1 && s2 && s3;
}
