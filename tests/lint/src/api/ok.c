/* tests/lint/src/api/ok.c - never compiled: allowed edges and headers of api, and one not */
#include "api/ok.h"
#include "node/node.h"
#include "util/buf.h"
#include <microhttpd.h>
#include <jansson.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "engine/svc_index.h"
