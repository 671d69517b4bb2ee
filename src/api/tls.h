/* api/tls.h - TLS for `mreza serve`: the node's certificate and key, the CAs that
 * clients' certificates are verified against, and SPKI pins. libmicrohttpd runs the
 * TLS connections on GnuTLS; this module owns everything GnuTLS is told or asked
 * (GnuTLS headers are the api layer's alone: scripts/layers.txt), http.c wires it into
 * the daemon, and cli/ uses the pin functions (`mreza tls pin`). docs/federation.md
 * section 9.1 is the design; docs/security.md says what it protects.
 *
 * Credentials. struct tls_server holds the current credentials (certificate chain
 * and private key, read from tls.cert and tls.key) and the current client trust list
 * (tls.client_ca). libmicrohttpd asks for the credentials at each handshake through
 * tls_server_retrieve() (MHD_OPTION_HTTPS_CERT_CALLBACK); tls_server_reload() reads the
 * files again (SIGHUP) into new ones and swaps them in with one atomic store, so a
 * handshake uses either the old set or the new one, never a mix. A reload that fails
 * changes nothing. Superseded sets are kept until tls_server_free() (a handshake that
 * took one may still use it; GnuTLS keeps pointers into them for the session's life):
 * a few KB per reload.
 *
 * What is refused, at start and at reload alike: a key file that other users may read
 * (mode & 077), a key that does not belong to the chain's first certificate, a file
 * that holds no certificate, an encrypted key, and a priority string enabling SSL 3.0,
 * TLS 1.0 or 1.1 (or no TLS version at all). An expired certificate is loaded (the node
 * must keep answering while its operator renews it) and reported by not_after.
 *
 * Client certificates. libmicrohttpd only requests one (GNUTLS_CERT_REQUEST, when it
 * is given a trust list) and never verifies it; the handshake itself proves that the
 * client holds the key of the certificate it sent. tls_verify_client() decides whether
 * that certificate is trusted: its chain against the current tls.client_ca, valid now,
 * for TLS client use. Users need no certificate; the peers work package (issue 11,
 * WP4) requires one of the peers that it says must present one, through
 * http_tls_client() (api.h), which calls this with the connection's session.
 *
 * Threads: tls_server_retrieve() and tls_verify_client() run on libmicrohttpd's
 * threads at any time; tls_server_reload() on one thread at a time (serve's signal
 * loop); tls_server_new() and tls_server_free() with no daemon running. */
#ifndef MZ_TLS_H
#define MZ_TLS_H

#include <stddef.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "util/conf.h"
#include "util/err.h"

/* "sha256//" + base64 of a SHA-256 (44) + NUL; curl's CURLOPT_PINNEDPUBLICKEY form */
#define TLS_PIN_LEN 56
#define TLS_MAX_CHAIN 16          /* certificates in tls.cert */
#define TLS_MAX_FILE (1u << 20)   /* bytes of a certificate, key or CA file */

struct tls_server;

/* Read tls.cert, tls.key and tls.client_ca (may be "") and check tls.priorities, as
 * named in c (copied: later changes of c do nothing). c->tls_cert and c->tls_key must
 * both be set; err->field names the setting at fault. *out on success; free with
 * tls_server_free() once no daemon uses it. */
enum mz_err tls_server_new(const struct mz_conf *c, struct tls_server **out, struct mz_error *err);
/* tls_server_free(NULL) does nothing. */
void tls_server_free(struct tls_server *t);
/* Read the same three files again; on success the new certificate, key and client CAs
 * serve every handshake from now on. On failure nothing changes; err->field names the
 * setting whose file was refused. */
enum mz_err tls_server_reload(struct tls_server *t, struct mz_error *err);

/* The current certificate: its SPKI pin into out (TLS_PIN_LEN bytes) and the end of
 * its validity into *not_after_out (may be NULL). */
void tls_server_current(struct tls_server *t, char *out, time_t *not_after_out);
/* 1 if a tls.client_ca is configured (certificates are requested), else 0. */
int tls_server_wants_client_cert(const struct tls_server *t);
/* The tls.client_ca file as read at start (NUL-terminated PEM), or NULL: what
 * libmicrohttpd is given as its trust list (MHD_OPTION_HTTPS_MEM_TRUST) so that it
 * requests client certificates and names these CAs in the request. Later reloads do
 * not change this list of names (libmicrohttpd reads it once), only what verifies.
 * Valid until tls_server_free(). */
const char *tls_server_trust_pem(const struct tls_server *t);

/* GnuTLS's certificate callback, for one handshake: the current chain and key, which
 * stay valid until tls_server_free(). Returns 0. */
int tls_server_retrieve(struct tls_server *t, gnutls_pcert_st **pcert_out, unsigned *n_out,
                        gnutls_privkey_t *key_out);

enum tls_client_state {
    TLS_CLIENT_NONE = 0,   /* no certificate was presented */
    TLS_CLIENT_VERIFIED,   /* it chains to tls.client_ca, is valid now and fit for a TLS client */
    TLS_CLIENT_UNVERIFIED  /* presented, but not trusted (why says so) */
};

/* What a client's certificate is, as mreža judges it. */
struct tls_client_cert {
    enum tls_client_state state;
    char pin[TLS_PIN_LEN];  /* the leaf's SPKI pin when one was presented (for a peer's
                               pinned client key, verified or not), else "" */
    char subject[256];      /* the leaf's subject DN (RFC 4514), cut to fit; "" if none */
    char why[192];          /* TLS_CLIENT_UNVERIFIED: the reason ("The certificate has
                               expired.", "no tls.client_ca is configured") */
};

/* Judge the certificate the client of session presented in its handshake against the
 * current client CAs. Writes *out whenever it returns MZ_OK (state NONE for a session
 * without one); MZ_ENOMEM or MZ_EINVAL (a certificate GnuTLS cannot read: then
 * out->state is UNVERIFIED as well) otherwise. */
enum mz_err tls_verify_client(struct tls_server *t, gnutls_session_t session, struct tls_client_cert *out,
                              struct mz_error *err);
/* "none", "verified", "unverified". */
const char *tls_client_state_name(enum tls_client_state s);

/* The SPKI pin of the first certificate in a PEM or DER text (len bytes) into out
 * (cap >= TLS_PIN_LEN): "sha256//" + base64(SHA-256(SubjectPublicKeyInfo)). */
enum mz_err tls_pin_of_cert(const char *text, size_t len, char *out, size_t cap, struct mz_error *err);
/* The same for the file at path (`mreza tls pin FILE`). */
enum mz_err tls_pin_of_file(const char *path, char *out, size_t cap, struct mz_error *err);
/* Check a GnuTLS priority string: MZ_OK, or MZ_EINVAL naming what GnuTLS cannot read
 * or the version below TLS 1.2 that it enables (field "tls.priorities"). */
enum mz_err tls_check_priorities(const char *priorities, struct mz_error *err);

#endif
