/* tests/lint/src/util/bad.c - never compiled: one of each problem (tests/lint/expected.txt) */
#include "util/clean.h"
#include "store/store.h"
#include "nowhere.h"
#include "unknown/unknown.h"
#include <sqlite3.h>
#include <netinet/in.h>
#include <foo.h>
  #  include <signal.h>

void bad(char *d, const char *s, char **save)
{
    char buf[64];
    sprintf(buf, "%s", s); vsprintf(buf, s, NULL);
    strcpy(d, s);
    strcat (d, s);
    (void)strtok(d, ",");
    (void)atoi(s);
    (void)atol(s);
    (void)gets(d);
    (void)sscanf(s, "%d", (int *)d);
    snprintf(buf, sizeof buf, "SELECT body FROM objects "
                              "WHERE stix_id = '%s'", s);
    sqlite3_mprintf("DELETE FROM t WHERE a = %.*s", 3, s);
}
