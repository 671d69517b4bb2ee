/* util/version.h - mreza's version, in one place: `mreza --version` prints it, and the
 * User-Agent of requests to peers and what a node tells them will carry it. Bump
 * MZ_VERSION at a release (semantic versioning: MAJOR.MINOR.PATCH). */
#ifndef MZ_VERSION_H
#define MZ_VERSION_H

#define MZ_VERSION "0.1.0"

/* `git describe --tags --always` of the tree mreza was built from (the Makefile
 * passes it), or "" for a build outside git. Static storage. */
const char *mz_version_describe(void);

#endif
