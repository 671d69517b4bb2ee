/* tests/lint/src/unknown/unknown.c - never compiled: a folder the table does not know */
#include <curl/curl.h>
int unknown_x(void);
