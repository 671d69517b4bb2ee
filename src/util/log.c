/* util/log.c - see log.h. Each line is written with a single fwrite so that lines
 * from different threads do not interleave. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum mz_log_level mz_log_threshold = MZ_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

int mz_log_level_parse(const char *name)
{
    for (int i = 0; i <= MZ_LOG_OFF; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void mz_log_init(enum mz_log_level level)
{
    mz_log_threshold = level;
}

static const char hex[] = "0123456789ABCDEF";

static const char *escape(const char *s, char *out, size_t cap, int quoted)
{
    size_t o = 0;

    if (!cap)
        return out;
    for (; *s && o + 2 <= cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\' || c == '%' || (!quoted && (c == ' ' || c == '='))) {
            if (o + 4 > cap)
                break; /* no escape cut in half */
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

const char *mz_log_esc(const char *s, char *out, size_t cap)
{
    return escape(s, out, cap, 0);
}

const char *mz_log_quote(const char *s, char *out, size_t cap)
{
    return escape(s, out, cap, 1);
}

/* Copy the n bytes of line to out with every control byte (a newline above all)
 * written as %XX; returns the length written (at most cap - 1). */
static size_t defuse(const char *line, size_t n, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 4 <= cap; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7F) {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

void mz_log_write(enum mz_log_level level, const char *fmt, ...)
{
    char line[2048], safe[2048];
    size_t len;
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ lvl=%s ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, ts.tv_nsec / 1000000, level_names[level]);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    len = defuse(line, (size_t)n, safe, sizeof safe - 1);
    safe[len++] = '\n';
    fwrite(safe, 1, len, stderr);
}
