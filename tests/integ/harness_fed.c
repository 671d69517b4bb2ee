/* tests/integ/harness_fed.c - see harness_fed.h. */
#include "harness_fed.h"

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "harness_fed: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void h_py_start(struct h_py *p, const char *script, const char *const *args)
{
    const char *py = getenv("MREZA_PYTHON");
    int in[2], out[2];
    const char *argv[40];
    char line[64];
    int k = 0;

    if (!py || !*py)
        py = "/usr/bin/python3";
    memset(p, 0, sizeof *p);
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    argv[k++] = py;
    argv[k++] = script;
    for (int i = 0; args && args[i] && k < 39; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    p->pid = fork();
    if (p->pid < 0)
        die("fork: %s", strerror(errno));
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(py, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->in_fd = in[1];
    p->out_fd = out[0];
    signal(SIGPIPE, SIG_IGN);
    if (!h_py_wait(p, "port=", 5000, line, sizeof line))
        die("%s did not say its port", script);
    p->port = (unsigned)strtoul(line + 5, NULL, 10);
    if (!p->port)
        die("%s: bad port line '%s'", script, line);
}

void h_py_cmd(struct h_py *p, const char *line)
{
    size_t n = strlen(line);

    if (write(p->in_fd, line, n) != (ssize_t)n || write(p->in_fd, "\n", 1) != 1)
        die("cannot write to the test server: %s", strerror(errno));
}

int h_py_wait(struct h_py *p, const char *prefix, int timeout_ms, char *out, size_t out_len)
{
    long end = now_ms() + timeout_ms;

    for (;;) {
        char *nl;

        while ((nl = memchr(p->buf, '\n', p->len))) {
            size_t n = (size_t)(nl - p->buf);
            int hit = n >= strlen(prefix) && strncmp(p->buf, prefix, strlen(prefix)) == 0;

            if (hit && out) {
                size_t c = n < out_len - 1 ? n : out_len - 1;
                memcpy(out, p->buf, c);
                out[c] = '\0';
            }
            memmove(p->buf, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            if (hit)
                return 1;
        }
        long left = end - now_ms();
        struct pollfd pfd = {p->out_fd, POLLIN, 0};
        ssize_t r;

        if (left <= 0)
            return 0;
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        if (p->len == sizeof p->buf) /* a line longer than the buffer: drop it */
            p->len = 0;
        r = read(p->out_fd, p->buf + p->len, sizeof p->buf - p->len);
        if (r <= 0)
            return 0;
        p->len += (size_t)r;
    }
}

int h_py_stop(struct h_py *p)
{
    long end = now_ms() + 5000;
    int status = 0;

    if (p->pid <= 0)
        return -1;
    close(p->in_fd);
    for (;;) {
        pid_t w = waitpid(p->pid, &status, WNOHANG);

        if (w == p->pid)
            break;
        if (now_ms() > end) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            break;
        }
        /* wait for its stdout to close (it exits), bounded */
        {
            struct pollfd pfd = {p->out_fd, POLLIN, 0};
            char drain[4096];

            if (poll(&pfd, 1, 100) > 0 && read(p->out_fd, drain, sizeof drain) <= 0) {
                waitpid(p->pid, &status, 0);
                break;
            }
        }
    }
    close(p->out_fd);
    p->pid = 0;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

pid_t h_cli_bg(const struct hnode *n, const char *const *argv, const char *log_path)
{
    const char *bin = getenv("MREZA_BIN");
    const char *args[64];
    int k = 0, fd;
    pid_t pid;

    if (!bin || !*bin)
        bin = "build/mreza";
    args[k++] = bin;
    for (int i = 0; argv[i] && k < 60; i++)
        args[k++] = argv[i];
    args[k++] = "--data";
    args[k++] = n->dir;
    args[k] = NULL;
    pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        fd = open("/dev/null", O_RDONLY);
        if (fd >= 0)
            dup2(fd, 0);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    return pid;
}

int h_bg_kill9(pid_t pid)
{
    int status = 0;

    kill(pid, SIGKILL);
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid %d: %s", (int)pid, strerror(errno));
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
