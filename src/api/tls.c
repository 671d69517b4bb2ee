/* api/tls.c - see tls.h. Everything mreža asks of GnuTLS is here: loading and checking
 * the node's credentials, swapping them on reload, verifying clients' certificates,
 * and pins. Written on GnuTLS's own API (Debian's libgnutls28-dev), which is what
 * libmicrohttpd runs on: no second TLS library in the server.
 *
 * Ownership: a struct tls_creds owns its pcert chain and private key; a struct
 * tls_trust its trust list. struct tls_server owns every set it ever loaded (current
 * and superseded, in one list each) and frees them all in tls_server_free(). */
#include "api/tls.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "util/file.h"

struct tls_creds {
    gnutls_pcert_st pcert[TLS_MAX_CHAIN];
    unsigned n_pcert;
    gnutls_privkey_t key;
    char pin[TLS_PIN_LEN];      /* of pcert[0] */
    time_t not_after;           /* of pcert[0] */
    struct tls_creds *older;    /* the set this one superseded (kept until free) */
};

struct tls_trust {
    gnutls_x509_trust_list_t list;
    struct tls_trust *older;
};

struct tls_server {
    char cert_path[MZ_CONF_STR_LEN];
    char key_path[MZ_CONF_STR_LEN];
    char ca_path[MZ_CONF_STR_LEN];     /* "" when no client CAs */
    _Atomic(struct tls_creds *) creds; /* the current set; read by every handshake */
    _Atomic(struct tls_trust *) trust; /* the current client CAs, or NULL */
    char *trust_pem;                   /* tls.client_ca as read at start (libmicrohttpd's list) */
};

static enum mz_err gnutls_fail(struct mz_error *err, int ret, const char *field, const char *what,
                               const char *path)
{
    return mz_error_set(err, ret == GNUTLS_E_MEMORY_ERROR ? MZ_ENOMEM : MZ_EINVAL, field, "%s %s: %s", what,
                        path, gnutls_strerror(ret));
}

/* ---- pins ---- */

static enum mz_err pin_of_pubkey(gnutls_pubkey_t pub, char *out, size_t cap, struct mz_error *err)
{
    gnutls_datum_t der = {NULL, 0}, hash, b64 = {NULL, 0};
    unsigned char sha[32];
    int ret = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der);

    if (ret >= 0)
        ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, sha);
    gnutls_free(der.data);
    hash.data = sha;
    hash.size = sizeof sha;
    if (ret >= 0)
        ret = gnutls_base64_encode2(&hash, &b64);
    if (ret < 0)
        return mz_error_set(err, ret == GNUTLS_E_MEMORY_ERROR ? MZ_ENOMEM : MZ_EINVAL, "",
                            "cannot compute the public key's pin: %s", gnutls_strerror(ret));
    snprintf(out, cap, "sha256//%.*s", (int)b64.size, (const char *)b64.data);
    gnutls_free(b64.data);
    return MZ_OK;
}

static enum mz_err pin_of_crt(gnutls_x509_crt_t crt, char *out, size_t cap, struct mz_error *err)
{
    gnutls_pubkey_t pub = NULL;
    enum mz_err rc;
    int ret = gnutls_pubkey_init(&pub);

    if (ret >= 0)
        ret = gnutls_pubkey_import_x509(pub, crt, 0);
    if (ret < 0) {
        gnutls_pubkey_deinit(pub);
        return mz_error_set(err, MZ_EINVAL, "", "cannot read the certificate's public key: %s",
                            gnutls_strerror(ret));
    }
    rc = pin_of_pubkey(pub, out, cap, err);
    gnutls_pubkey_deinit(pub);
    return rc;
}

enum mz_err tls_pin_of_cert(const char *text, size_t len, char *out, size_t cap, struct mz_error *err)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = {(unsigned char *)(uintptr_t)text, (unsigned)len};
    enum mz_err rc;
    int ret;

    if (len > TLS_MAX_FILE)
        return mz_error_set(err, MZ_ETOOBIG, "", "larger than %u bytes: not a certificate", TLS_MAX_FILE);
    if (gnutls_x509_crt_init(&crt) < 0)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    ret = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
    if (ret < 0)
        ret = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
    if (ret < 0) {
        gnutls_x509_crt_deinit(crt);
        return mz_error_set(err, MZ_EINVAL, "", "no X.509 certificate (PEM or DER) in it: %s",
                            gnutls_strerror(ret));
    }
    rc = pin_of_crt(crt, out, cap, err);
    gnutls_x509_crt_deinit(crt);
    return rc;
}

enum mz_err tls_pin_of_file(const char *path, char *out, size_t cap, struct mz_error *err)
{
    char *text = NULL;
    size_t len = 0;
    enum mz_err rc = mz_file_read(path, TLS_MAX_FILE, 0, &text, &len, err);

    if (rc)
        return rc;
    rc = tls_pin_of_cert(text, len, out, cap, err);
    free(text);
    if (rc && rc != MZ_ENOMEM) {
        char msg[MZ_ERR_MSG_LEN];
        snprintf(msg, sizeof msg, "%s", err->msg);
        mz_error_set(err, rc, "", "%s: %s", path, msg);
    }
    return rc;
}

/* ---- priorities ---- */

enum mz_err tls_check_priorities(const char *priorities, struct mz_error *err)
{
    gnutls_priority_t p = NULL;
    const char *at = NULL;
    const unsigned *list = NULL;
    enum mz_err rc = MZ_OK;
    int modern = 0, n, ret = gnutls_priority_init(&p, priorities, &at);

    if (ret < 0)
        return mz_error_set(err, MZ_EINVAL, "tls.priorities", "tls.priorities: GnuTLS cannot read '%s'%s%s: %s",
                            priorities, at ? " at " : "", at ? at : "", gnutls_strerror(ret));
    n = gnutls_priority_protocol_list(p, &list);
    for (int i = 0; i < n && !rc; i++) {
        switch ((gnutls_protocol_t)list[i]) {
        case GNUTLS_TLS1_2:
        case GNUTLS_TLS1_3:
        case GNUTLS_DTLS1_2:
            modern |= list[i] != GNUTLS_DTLS1_2;
            break;
        default: /* SSL 3.0, TLS 1.0, 1.1, DTLS 0.9 and 1.0, and anything older to come */
            rc = mz_error_set(err, MZ_EINVAL, "tls.priorities",
                              "tls.priorities '%s' enables %s; only TLS 1.2 and 1.3 are served (add "
                              "-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2, or leave the default)",
                              priorities, gnutls_protocol_get_name((gnutls_protocol_t)list[i]));
        }
    }
    if (!rc && !modern)
        rc = mz_error_set(err, MZ_EINVAL, "tls.priorities", "tls.priorities '%s' enables neither TLS 1.2 nor 1.3",
                          priorities);
    gnutls_priority_deinit(p);
    return rc;
}

/* ---- credentials ---- */

static void creds_free(struct tls_creds *c)
{
    while (c) {
        struct tls_creds *older = c->older;
        for (unsigned i = 0; i < c->n_pcert; i++)
            gnutls_pcert_deinit(&c->pcert[i]);
        gnutls_privkey_deinit(c->key);
        free(c);
        c = older;
    }
}

static void trust_free(struct tls_trust *t)
{
    while (t) {
        struct tls_trust *older = t->older;
        gnutls_x509_trust_list_deinit(t->list, 1);
        free(t);
        t = older;
    }
}

/* The certificate's public key equals the private key's? */
static int key_matches(gnutls_pubkey_t cert_pub, gnutls_privkey_t key)
{
    gnutls_pubkey_t pub = NULL;
    gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
    int same = 0;

    if (gnutls_pubkey_init(&pub) >= 0 && gnutls_pubkey_import_privkey(pub, key, 0, 0) >= 0 &&
        gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) >= 0 &&
        gnutls_pubkey_export2(cert_pub, GNUTLS_X509_FMT_DER, &b) >= 0)
        same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
    gnutls_free(a.data);
    gnutls_free(b.data);
    gnutls_pubkey_deinit(pub);
    return same;
}

/* Pin and end of validity of the chain's first certificate. */
static enum mz_err creds_describe(struct tls_creds *c, const char *path, struct mz_error *err)
{
    gnutls_x509_crt_t crt = NULL;
    enum mz_err rc;
    int ret = gnutls_x509_crt_init(&crt);

    if (ret >= 0)
        ret = gnutls_x509_crt_import(crt, &c->pcert[0].cert, GNUTLS_X509_FMT_DER);
    if (ret < 0) {
        gnutls_x509_crt_deinit(crt);
        return gnutls_fail(err, ret, "tls.cert", "cannot read the certificate of", path);
    }
    c->not_after = gnutls_x509_crt_get_expiration_time(crt);
    rc = pin_of_crt(crt, c->pin, sizeof c->pin, err);
    gnutls_x509_crt_deinit(crt);
    return rc;
}

static enum mz_err creds_load(const char *cert_path, const char *key_path, struct tls_creds **out,
                              struct mz_error *err)
{
    struct tls_creds *c = calloc(1, sizeof *c);
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    gnutls_datum_t d;
    enum mz_err rc;
    int ret;

    if (!c)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rc = mz_file_read(cert_path, TLS_MAX_FILE, 0, &cert, &cert_len, err);
    if (rc) {
        snprintf(err->field, sizeof err->field, "tls.cert");
        goto out;
    }
    rc = mz_file_read(key_path, TLS_MAX_FILE, MZ_FILE_PRIVATE, &key, &key_len, err);
    if (rc) {
        snprintf(err->field, sizeof err->field, "tls.key");
        goto out;
    }
    c->n_pcert = TLS_MAX_CHAIN;
    d.data = (unsigned char *)cert;
    d.size = (unsigned)cert_len;
    ret = gnutls_pcert_list_import_x509_raw(c->pcert, &c->n_pcert, &d, GNUTLS_X509_FMT_PEM,
                                            GNUTLS_X509_CRT_LIST_SORT);
    if (ret < 0 || c->n_pcert == 0) {
        c->n_pcert = 0;
        if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
            rc = mz_error_set(err, MZ_EINVAL, "tls.cert", "%s holds more than %d certificates", cert_path,
                              TLS_MAX_CHAIN);
        else
            rc = gnutls_fail(err, ret < 0 ? ret : GNUTLS_E_NO_CERTIFICATE_FOUND, "tls.cert",
                             "no PEM certificate chain in", cert_path);
        goto out;
    }
    d.data = (unsigned char *)key;
    d.size = (unsigned)key_len;
    ret = gnutls_privkey_init(&c->key);
    if (ret >= 0)
        ret = gnutls_privkey_import_x509_raw(c->key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (ret < 0) {
        rc = gnutls_fail(err, ret, "tls.key", "no unencrypted PEM private key in", key_path);
        goto out;
    }
    if (!key_matches(c->pcert[0].pubkey, c->key)) {
        rc = mz_error_set(err, MZ_EINVAL, "tls.key", "the key in %s is not the key of the certificate in %s",
                          key_path, cert_path);
        goto out;
    }
    rc = creds_describe(c, cert_path, err);
out:
    if (key) {
        gnutls_memset(key, 0, key_len);
        free(key);
    }
    free(cert);
    if (rc) {
        creds_free(c);
        return rc;
    }
    *out = c;
    return MZ_OK;
}

/* tls.client_ca into a trust list; *pem_out (may be NULL) gets the file's text. */
static enum mz_err trust_load(const char *path, struct tls_trust **out, char **pem_out, struct mz_error *err)
{
    struct tls_trust *t = calloc(1, sizeof *t);
    char *pem = NULL;
    size_t len = 0;
    gnutls_datum_t d;
    enum mz_err rc;
    int ret;

    if (!t)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    rc = mz_file_read(path, TLS_MAX_FILE, 0, &pem, &len, err);
    if (rc) {
        snprintf(err->field, sizeof err->field, "tls.client_ca");
        goto out;
    }
    ret = gnutls_x509_trust_list_init(&t->list, 0);
    if (ret < 0) {
        rc = gnutls_fail(err, ret, "tls.client_ca", "cannot make a trust list for", path);
        goto out;
    }
    d.data = (unsigned char *)pem;
    d.size = (unsigned)len;
    ret = gnutls_x509_trust_list_add_trust_mem(t->list, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
    if (ret <= 0) {
        rc = gnutls_fail(err, ret < 0 ? ret : GNUTLS_E_NO_CERTIFICATE_FOUND, "tls.client_ca",
                         "no PEM CA certificate in", path);
        goto out;
    }
out:
    if (rc) {
        free(pem);
        trust_free(t);
        return rc;
    }
    if (pem_out)
        *pem_out = pem;
    else
        free(pem);
    *out = t;
    return MZ_OK;
}

/* ---- the server's state ---- */

enum mz_err tls_server_new(const struct mz_conf *c, struct tls_server **out, struct mz_error *err)
{
    struct tls_server *t;
    struct tls_creds *creds = NULL;
    struct tls_trust *trust = NULL;
    enum mz_err rc;

    if (!c->tls_cert[0] || !c->tls_key[0])
        return mz_error_set(err, MZ_EINVAL, c->tls_cert[0] ? "tls.key" : "tls.cert",
                            "TLS needs both tls.cert and tls.key (%s is empty)",
                            c->tls_cert[0] ? "tls.key" : "tls.cert");
    rc = tls_check_priorities(c->tls_priorities, err);
    if (rc)
        return rc;
    t = calloc(1, sizeof *t);
    if (!t)
        return mz_error_set(err, MZ_ENOMEM, "", "out of memory");
    snprintf(t->cert_path, sizeof t->cert_path, "%s", c->tls_cert);
    snprintf(t->key_path, sizeof t->key_path, "%s", c->tls_key);
    snprintf(t->ca_path, sizeof t->ca_path, "%s", c->tls_client_ca);
    rc = creds_load(t->cert_path, t->key_path, &creds, err);
    if (!rc && t->ca_path[0])
        rc = trust_load(t->ca_path, &trust, &t->trust_pem, err);
    if (rc) {
        creds_free(creds);
        tls_server_free(t);
        return rc;
    }
    atomic_init(&t->creds, creds);
    atomic_init(&t->trust, trust);
    *out = t;
    return MZ_OK;
}

void tls_server_free(struct tls_server *t)
{
    if (!t)
        return;
    creds_free(atomic_load(&t->creds));
    trust_free(atomic_load(&t->trust));
    free(t->trust_pem);
    free(t);
}

enum mz_err tls_server_reload(struct tls_server *t, struct mz_error *err)
{
    struct tls_creds *creds = NULL;
    struct tls_trust *trust = NULL;
    enum mz_err rc = creds_load(t->cert_path, t->key_path, &creds, err);

    if (!rc && t->ca_path[0])
        rc = trust_load(t->ca_path, &trust, NULL, err);
    if (rc) {
        creds_free(creds);
        return rc;
    }
    /* only this thread writes: the current sets become the new ones' older */
    creds->older = atomic_load(&t->creds);
    atomic_store(&t->creds, creds);
    if (trust) {
        trust->older = atomic_load(&t->trust);
        atomic_store(&t->trust, trust);
    }
    return MZ_OK;
}

void tls_server_current(struct tls_server *t, char *out, time_t *not_after_out)
{
    struct tls_creds *c = atomic_load(&t->creds);

    snprintf(out, TLS_PIN_LEN, "%s", c->pin);
    if (not_after_out)
        *not_after_out = c->not_after;
}

int tls_server_wants_client_cert(const struct tls_server *t)
{
    return t->ca_path[0] != '\0';
}

const char *tls_server_trust_pem(const struct tls_server *t)
{
    return t->trust_pem;
}

int tls_server_retrieve(struct tls_server *t, gnutls_pcert_st **pcert_out, unsigned *n_out,
                        gnutls_privkey_t *key_out)
{
    struct tls_creds *c = atomic_load(&t->creds);

    *pcert_out = c->pcert;
    *n_out = c->n_pcert;
    *key_out = c->key;
    return 0;
}

/* ---- clients' certificates ---- */

const char *tls_client_state_name(enum tls_client_state s)
{
    switch (s) {
    case TLS_CLIENT_VERIFIED: return "verified";
    case TLS_CLIENT_UNVERIFIED: return "unverified";
    case TLS_CLIENT_NONE: break;
    }
    return "none";
}

/* The chain's certificates out of the handshake's DER list (at most TLS_MAX_CHAIN). */
static int import_chain(const gnutls_datum_t *der, unsigned n, gnutls_x509_crt_t *crts)
{
    for (unsigned i = 0; i < n; i++) {
        int ret = gnutls_x509_crt_init(&crts[i]);
        if (ret < 0)
            return ret;
        ret = gnutls_x509_crt_import(crts[i], &der[i], GNUTLS_X509_FMT_DER);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static void describe_leaf(gnutls_x509_crt_t leaf, struct tls_client_cert *out)
{
    gnutls_datum_t dn = {NULL, 0};

    if (gnutls_x509_crt_get_dn3(leaf, &dn, 0) >= 0)
        snprintf(out->subject, sizeof out->subject, "%.*s", (int)dn.size, (const char *)dn.data);
    gnutls_free(dn.data);
}

enum mz_err tls_verify_client(struct tls_server *t, gnutls_session_t session, struct tls_client_cert *out,
                              struct mz_error *err)
{
    gnutls_x509_crt_t crts[TLS_MAX_CHAIN] = {NULL};
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    struct tls_trust *trust = atomic_load(&t->trust);
    unsigned n = 0, status = 0;
    const gnutls_datum_t *der = gnutls_certificate_get_peers(session, &n);
    enum mz_err rc = MZ_OK;
    int ret;

    memset(out, 0, sizeof *out);
    if (!der || n == 0)
        return MZ_OK; /* TLS_CLIENT_NONE */
    out->state = TLS_CLIENT_UNVERIFIED;
    if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509) {
        snprintf(out->why, sizeof out->why, "not an X.509 certificate");
        return MZ_OK;
    }
    if (n > TLS_MAX_CHAIN)
        n = TLS_MAX_CHAIN; /* the rest cannot be needed to reach a CA we hold */
    ret = import_chain(der, n, crts);
    if (ret < 0) {
        snprintf(out->why, sizeof out->why, "unreadable certificate: %s", gnutls_strerror(ret));
        rc = mz_error_set(err, ret == GNUTLS_E_MEMORY_ERROR ? MZ_ENOMEM : MZ_EINVAL, "",
                          "the client's certificate cannot be read: %s", gnutls_strerror(ret));
        goto out;
    }
    describe_leaf(crts[0], out);
    rc = pin_of_crt(crts[0], out->pin, sizeof out->pin, err);
    if (rc) {
        snprintf(out->why, sizeof out->why, "%.*s", (int)sizeof out->why - 1, err->msg);
        goto out;
    }
    if (!trust) {
        snprintf(out->why, sizeof out->why, "no tls.client_ca is configured");
        goto out;
    }
    ret = gnutls_x509_trust_list_verify_crt2(trust->list, crts, n, &purpose, 1, 0, &status, NULL);
    if (ret < 0) {
        snprintf(out->why, sizeof out->why, "verification failed: %s", gnutls_strerror(ret));
        goto out;
    }
    if (status == 0) {
        out->state = TLS_CLIENT_VERIFIED;
    } else {
        gnutls_datum_t text = {NULL, 0};
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0)
            snprintf(out->why, sizeof out->why, "%.*s", (int)text.size, (const char *)text.data);
        else
            snprintf(out->why, sizeof out->why, "not trusted (status 0x%x)", status);
        gnutls_free(text.data);
    }
out:
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    return rc;
}
