/* tests/lint/src/fed/fed.c - never compiled: a folder the table does not know */
#include <curl/curl.h>
int fed_x(void);
