/* tests/lint/src/main.c - never compiled: main.c may include cli only */
#include "cli/cli.h"
#include "api/http.h"
