/* util/file.h - reading a small whole file (a certificate, a key, a CA list) into
 * memory, with a size cap and, for secrets, a check that no other user may read it.
 * The layers above util/ work on memory (api/ may not open files: scripts/layers.txt);
 * this is where a file the configuration names becomes bytes. */
#ifndef MZ_FILE_H
#define MZ_FILE_H

#include <stddef.h>

#include "util/err.h"

enum mz_file_flags {
    MZ_FILE_PRIVATE = 1 << 0 /* a secret: refused when its group or other users have any
                              * access to it (mode & 077), as ssh refuses a private key */
};

/* Read the regular file at path, at most max bytes (a larger one is MZ_ETOOBIG), into
 * *data_out (NUL-terminated, caller frees with free()) and its length into *len_out.
 * Its mode is checked on the open descriptor, so what is checked is what is read.
 * Errors name the path: MZ_ENOTFOUND (missing), MZ_EINVAL (not a regular file, or
 * MZ_FILE_PRIVATE and others may read it), MZ_EIO, MZ_ENOMEM. Out-parameters are
 * written only on success. */
enum mz_err mz_file_read(const char *path, size_t max, unsigned flags, char **data_out, size_t *len_out,
                         struct mz_error *err);

#endif
