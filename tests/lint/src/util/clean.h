/* tests/lint/src/util/clean.h - never compiled: a header of its own folder, included as "clean.h". */
int clean(char *buf, size_t n, const char *name);
