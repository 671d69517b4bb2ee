/* util/log.h - one key=value line per event on stderr.
 * MZ_LOG() tests the level before it formats anything (Redis serverLog). The level is
 * process-wide, set once at start-up by mz_log_init(). Callers never log API keys or
 * TLP:RED content. */
#ifndef MZ_LOG_H
#define MZ_LOG_H

enum mz_log_level {
    MZ_LOG_DEBUG = 0,
    MZ_LOG_INFO,
    MZ_LOG_WARN,
    MZ_LOG_ERROR,
    MZ_LOG_OFF
};

extern enum mz_log_level mz_log_threshold;

/* Parse "debug|info|warn|error|off"; returns -1 on an unknown name. */
int mz_log_level_parse(const char *name);
void mz_log_init(enum mz_log_level level);
/* fmt continues the line after "ts=… lvl=…", as key=value pairs. */
void mz_log_write(enum mz_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define MZ_LOG(level, ...)                                                     \
    do {                                                                       \
        if ((level) >= mz_log_threshold)                                       \
            mz_log_write((level), __VA_ARGS__);                                \
    } while (0)

#endif
