/* util/file.c - see file.h. */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum mz_err mz_file_read(const char *path, size_t max, unsigned flags, char **data_out, size_t *len_out,
                         struct mz_error *err)
{
    struct stat sb;
    char *data = NULL;
    size_t len = 0;
    enum mz_err rc = MZ_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return mz_error_set(err, errno == ENOENT ? MZ_ENOTFOUND : MZ_EIO, "", "cannot open %s: %s", path,
                            strerror(errno));
    if (fstat(fd, &sb) != 0) {
        rc = mz_error_set(err, MZ_EIO, "", "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = mz_error_set(err, MZ_EINVAL, "", "%s is not a regular file", path);
        goto out;
    }
    if ((flags & MZ_FILE_PRIVATE) && (sb.st_mode & 077)) {
        rc = mz_error_set(err, MZ_EINVAL, "",
                          "%s holds a secret and other users may read or change it (mode %04o): make it 0600 "
                          "(chmod 600 %s)",
                          path, (unsigned)(sb.st_mode & 07777), path);
        goto out;
    }
    if ((unsigned long long)sb.st_size > max) {
        rc = mz_error_set(err, MZ_ETOOBIG, "", "%s is larger than %zu bytes", path, max);
        goto out;
    }
    data = malloc((size_t)sb.st_size + 1);
    if (!data) {
        rc = mz_error_set(err, MZ_ENOMEM, "", "out of memory reading %s", path);
        goto out;
    }
    /* read until the end, not st_size bytes: the file may have changed since fstat */
    for (;;) {
        ssize_t r = read(fd, data + len, (size_t)sb.st_size + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = mz_error_set(err, MZ_EIO, "", "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > (size_t)sb.st_size) {
            rc = mz_error_set(err, MZ_EIO, "", "%s grew while it was read; try again", path);
            goto out;
        }
    }
    data[len] = '\0';
    *data_out = data;
    *len_out = len;
    data = NULL;
out:
    free(data);
    close(fd);
    return rc;
}
