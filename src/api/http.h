/* api/http.h - the HTTP API server (libmicrohttpd): start, port, TLS reload, stop. */
#ifndef MZ_HTTP_H
#define MZ_HTTP_H

#include "node/node.h"
#include "util/err.h"

struct http_server;

/* Listen on node->conf.listen and serve the API with node's store pool. */
enum mz_err http_start(struct node *node, struct http_server **out, struct mz_error *err);
/* The bound port (useful with port 0). */
unsigned http_port(const struct http_server *s);
/* 1 if s serves HTTPS (tls.cert and tls.key set), else 0. */
int http_tls_on(const struct http_server *s);
/* The SPKI pin of the certificate served now into pin (TLS_PIN_LEN bytes, api/tls.h:
 * 64 is enough) and its end of validity into *not_after (may be NULL). TLS only. */
void http_tls_current(const struct http_server *s, char *pin, size_t cap, long long *not_after);
/* Read tls.cert, tls.key and tls.client_ca again (SIGHUP): new handshakes use them. On
 * failure the old ones go on serving and err says which file was refused (its setting
 * in err->field). MZ_EINVAL when s serves plain HTTP. */
enum mz_err http_tls_reload(struct http_server *s, struct mz_error *err);
void http_stop(struct http_server *s);

#endif
