/* tests/integ/harness_fed.h - the federation tests' helpers (docs/federation.md 11.1):
 * a Python test server (tests/taxii/taxii_server.py) run as a child process with a
 * pipe on its stdin (control lines) and one on its stdout (event lines). Every wait
 * is for a line with a bound, never a sleep. Python is $MREZA_PYTHON, else Debian's
 * /usr/bin/python3 (a developer's python3 on PATH may be another one). */
#ifndef MZ_HARNESS_FED_H
#define MZ_HARNESS_FED_H

#include <stddef.h>
#include <sys/types.h>

struct h_py {
    pid_t pid;
    int in_fd;      /* its stdin: h_py_cmd writes here */
    int out_fd;     /* its stdout: h_py_wait reads lines from here */
    char buf[8192]; /* bytes read and not yet returned as lines */
    size_t len;
    unsigned port;  /* from its first line, "port=N" */
};

/* Start `python3 script args...` (args NULL-terminated) in the repository's root,
 * with PR_SET_PDEATHSIG, and wait (5 s at most) for its "port=N" line. Dies on
 * failure. */
void h_py_start(struct h_py *p, const char *script, const char *const *args);
/* Write one control line ("mode hang", "release") to its stdin. */
void h_py_cmd(struct h_py *p, const char *line);
/* Wait up to timeout_ms for an event line starting with prefix; 1 and the line in
 * out (may be NULL, out_len bytes) if it came, 0 if not. Lines before it are dropped. */
int h_py_wait(struct h_py *p, const char *prefix, int timeout_ms, char *out, size_t out_len);
/* Close its stdin (it exits on EOF) and reap it (SIGKILL after 5 s). Returns its exit
 * status (128 + signal when killed). */
int h_py_stop(struct h_py *p);

struct hnode;
/* Start the CLI (`mreza ARGV --data DIR`, argv NULL-terminated, without the binary)
 * in the background, its stdout and stderr appended to log_path (NULL: /dev/null),
 * stdin /dev/null; returns its pid. Dies on failure. */
pid_t h_cli_bg(const struct hnode *n, const char *const *argv, const char *log_path);
/* SIGKILL pid (from h_cli_bg) and reap it; returns 128 + the signal that ended it,
 * or its exit status if it had already exited. */
int h_bg_kill9(pid_t pid);

#endif
