/* engine/engine_input.c - see engine_input.h. zlib reads gzip (gzread also passes
 * plain data through, so one path serves pipes of either kind). */
#include "engine/engine_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/buf.h"

static enum mz_err read_all_gz(gzFile gz, struct mz_buf *b, const char *name, struct mz_error *err)
{
    char chunk[1 << 16];
    int n;

    while ((n = gzread(gz, chunk, sizeof chunk)) > 0)
        if (mz_buf_append(b, chunk, (size_t)n))
            return mz_error_set(err, MZ_ETOOBIG, "", "%s is larger than %zu bytes", name, ENGINE_INPUT_MAX);
    if (n < 0) {
        int e;
        const char *msg = gzerror(gz, &e);
        return mz_error_set(err, MZ_EIO, "", "cannot read %s: %s", name, msg);
    }
    return MZ_OK;
}

/* A regular file that is not gzip: map it. */
static enum mz_err map_file(int fd, const struct stat *sb, const char *path, struct engine_input *in,
                            struct mz_error *err)
{
    if (sb->st_size == 0) {
        close(fd);
        return MZ_OK;
    }
    in->map = mmap(NULL, (size_t)sb->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (in->map == MAP_FAILED) {
        in->map = NULL;
        return mz_error_set(err, MZ_EIO, "", "cannot map %s: %s", path, strerror(errno));
    }
    madvise(in->map, (size_t)sb->st_size, MADV_SEQUENTIAL);
    in->data = in->map;
    in->len = (size_t)sb->st_size;
    return MZ_OK;
}

enum mz_err engine_input_open(const char *path, struct engine_input *in, struct mz_error *err)
{
    unsigned char magic[2] = {0, 0};
    struct stat sb;
    struct mz_buf b;
    int fd, is_stdin = !strcmp(path, "-");
    enum mz_err rc;
    gzFile gz;

    memset(in, 0, sizeof *in);
    in->data = "";
    fd = is_stdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mz_error_set(err, MZ_EIO, "", "cannot open %s: %s", path, strerror(errno));
    if (!is_stdin && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && pread(fd, magic, 2, 0) == 2 &&
        !(magic[0] == 0x1f && magic[1] == 0x8b))
        return map_file(fd, &sb, path, in, err);
    /* stdin, pipes and gzip (gzread also passes plain data through) */
    gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    }
    gzbuffer(gz, 1 << 17);
    mz_buf_init(&b, ENGINE_INPUT_MAX);
    rc = read_all_gz(gz, &b, path, err);
    gzclose(gz);
    if (rc) {
        mz_buf_free(&b);
        return rc;
    }
    in->len = b.len;
    in->bytes = mz_buf_steal(&b, NULL);
    if (!in->bytes)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    in->data = in->bytes;
    return MZ_OK;
}

void engine_input_close(struct engine_input *in)
{
    if (in->map)
        munmap(in->map, in->len);
    free(in->bytes);
    memset(in, 0, sizeof *in);
    in->data = "";
}
