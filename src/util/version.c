/* util/version.c - see version.h. MZ_GIT_DESCRIBE comes from the Makefile, which
 * recompiles this file (and only this one) when the description changes. */
#include "util/version.h"

#ifndef MZ_GIT_DESCRIBE
#define MZ_GIT_DESCRIBE ""
#endif

const char *mz_version_describe(void)
{
    return MZ_GIT_DESCRIBE;
}
