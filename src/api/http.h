/* api/http.h - the HTTP API server (libmicrohttpd): start, port, stop. */
#ifndef MZ_HTTP_H
#define MZ_HTTP_H

#include "node/node.h"
#include "util/err.h"

struct http_server;

/* Listen on node->conf.listen and serve the API with node's store pool. */
enum mz_err http_start(struct node *node, struct http_server **out, struct mz_error *err);
/* The bound port (useful with port 0). */
unsigned http_port(const struct http_server *s);
void http_stop(struct http_server *s);

#endif
