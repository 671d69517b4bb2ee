/* domain/svc_cursor.c - see svc_cursor.h. The associated data is a BLAKE2b digest of
 * the reader and the query, each field length-prefixed so that no two different
 * queries serialise alike. */
#include "domain/svc_cursor.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PAGE_KEY "page_key"
#define BIND_CONTEXT "mreza page token v1"

static void bind_bytes(crypto_generichash_state *h, const void *p, size_t len)
{
    unsigned char n[8];

    cursor_pack_seq((int64_t)len, n);
    crypto_generichash_update(h, n, sizeof n);
    if (len)
        crypto_generichash_update(h, p, len);
}

static void bind_str(crypto_generichash_state *h, const char *s)
{
    /* NULL (no filter) and "" differ: NULL is bound as a length of 2^63 with no bytes. */
    if (!s) {
        unsigned char n[8];
        cursor_pack_seq(INT64_MAX, n);
        crypto_generichash_update(h, n, sizeof n);
        return;
    }
    bind_bytes(h, s, strlen(s));
}

static void bind_int(crypto_generichash_state *h, int64_t v)
{
    unsigned char n[8];

    cursor_pack_seq(v, n); /* two's complement bytes: negative values bind too */
    crypto_generichash_update(h, n, sizeof n);
}

/* A TAXII list's own filters (t: NULL for REST's, whose tokens stay as they were). The
 * token of a collection is bound to the collection, so that it opens in no other, nor
 * in REST's list (whose positions are sequence numbers, a collection's stamps). */
static void bind_taxii(crypto_generichash_state *h, const struct svc_query *t)
{
    char v[64];

    bind_str(h, "taxii");
    bind_int(h, t->view);
    bind_str(h, t->community);
    bind_str(h, t->added_after);
    bind_int(h, (int64_t)t->n_ids);
    for (size_t i = 0; i < t->n_ids; i++)
        bind_str(h, t->ids[i]);
    bind_int(h, t->version_sel);
    bind_int(h, t->sel_first);
    bind_int(h, t->sel_last);
    bind_int(h, (int64_t)t->n_versions);
    for (size_t i = 0; i < t->n_versions; i++) {
        snprintf(v, sizeof v, "%lld.%09ld", (long long)t->versions[i].sec, (long)t->versions[i].nsec);
        bind_str(h, v);
    }
}

static void binding(const struct principal *p, const struct store_query *q, const struct svc_query *t,
                    unsigned char out[crypto_generichash_BYTES])
{
    crypto_generichash_state h;

    crypto_generichash_init(&h, NULL, 0, crypto_generichash_BYTES);
    bind_str(&h, BIND_CONTEXT);
    /* the reader */
    bind_int(&h, p->role);
    bind_int(&h, p->user.id);
    bind_int(&h, p->org.id);
    bind_int(&h, p->console);
    if (p->role == ROLE_PEER)
        /* every peer is user 0 of organisation 0: the peer node itself tells one
         * peer's reader from another's (issue 11, second attack, F2) */
        bind_int(&h, p->peer);
    /* the query, as the store runs it */
    bind_int(&h, (int64_t)q->n_types);
    for (size_t i = 0; i < q->n_types; i++)
        bind_str(&h, q->types[i]);
    bind_str(&h, q->id);
    bind_str(&h, q->created_by);
    bind_int(&h, q->tlp);
    bind_str(&h, q->added_after);
    bind_int(&h, q->all_versions);
    bind_int(&h, q->by_owner);
    bind_int(&h, q->owner_org);
    if (q->comm) /* (the community filter, issue 11: without one, tokens stay as they were) */
        bind_int(&h, (int64_t)q->comm);
    if (t)
        bind_taxii(&h, t);
    crypto_generichash_final(&h, out, crypto_generichash_BYTES);
}

enum mz_err svc_cursor_key(struct store *st, unsigned char key[SVC_CURSOR_KEY_LEN], struct mz_error *err)
{
    unsigned char fresh[SVC_CURSOR_KEY_LEN];
    char hex[2 * SVC_CURSOR_KEY_LEN + 1], stored[2 * SVC_CURSOR_KEY_LEN + 8];
    size_t n = 0;
    enum mz_err rc = store_meta_get(st, PAGE_KEY, stored, sizeof stored, NULL);

    if (rc == MZ_ENOTFOUND) {
        randombytes_buf(fresh, sizeof fresh);
        sodium_bin2hex(hex, sizeof hex, fresh, sizeof fresh);
        sodium_memzero(fresh, sizeof fresh);
        rc = store_meta_add(st, PAGE_KEY, hex, stored, sizeof stored, err);
        sodium_memzero(hex, sizeof hex);
    }
    if (rc)
        return mz_error_set(err, rc, "", "cannot read the node's page key");
    if (strlen(stored) != 2 * SVC_CURSOR_KEY_LEN ||
        sodium_hex2bin(key, SVC_CURSOR_KEY_LEN, stored, strlen(stored), NULL, &n, NULL) || n != SVC_CURSOR_KEY_LEN)
        rc = mz_error_set(err, MZ_EIO, "", "the node's page key in the store is damaged");
    sodium_memzero(stored, sizeof stored);
    return rc;
}

void svc_cursor_forget(unsigned char key[SVC_CURSOR_KEY_LEN])
{
    sodium_memzero(key, SVC_CURSOR_KEY_LEN);
}

void svc_cursor_seal(const unsigned char key[SVC_CURSOR_KEY_LEN], const struct principal *p,
                     const struct store_query *q, int64_t seq, char *out)
{
    svc_cursor_seal_taxii(key, p, q, NULL, seq, out);
}

void svc_cursor_seal_taxii(const unsigned char key[SVC_CURSOR_KEY_LEN], const struct principal *p,
                           const struct store_query *q, const struct svc_query *t, int64_t seq, char *out)
{
    unsigned char raw[CURSOR_RAW_LEN], plain[CURSOR_PLAIN_LEN], ad[crypto_generichash_BYTES];
    unsigned char *nonce = raw + 1, *sealed = raw + 1 + CURSOR_NONCE_LEN;

    _Static_assert(CURSOR_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce size");
    _Static_assert(CURSOR_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag size");
    _Static_assert(SVC_CURSOR_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key size");
    raw[0] = CURSOR_VERSION;
    randombytes_buf(nonce, CURSOR_NONCE_LEN);
    cursor_pack_seq(seq, plain);
    binding(p, q, t, ad);
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, NULL, plain, sizeof plain, ad, sizeof ad, NULL, nonce, key);
    cursor_encode(raw, out);
}

enum mz_err svc_cursor_open(const unsigned char key[SVC_CURSOR_KEY_LEN], const struct principal *p,
                            const struct store_query *q, const char *tok, int64_t *seq_out,
                            struct mz_error *err)
{
    return svc_cursor_open_taxii(key, p, q, NULL, tok, seq_out, err);
}

enum mz_err svc_cursor_open_taxii(const unsigned char key[SVC_CURSOR_KEY_LEN], const struct principal *p,
                                  const struct store_query *q, const struct svc_query *t, const char *tok,
                                  int64_t *seq_out, struct mz_error *err)
{
    unsigned char raw[CURSOR_RAW_LEN], plain[CURSOR_PLAIN_LEN], ad[crypto_generichash_BYTES];
    const unsigned char *nonce = raw + 1, *sealed = raw + 1 + CURSOR_NONCE_LEN;
    int64_t seq;

    if (cursor_decode(tok, raw))
        goto bad;
    binding(p, q, t, ad);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, sealed, CURSOR_SEALED_LEN, ad, sizeof ad,
                                                   nonce, key) ||
        cursor_unpack_seq(plain, &seq))
        goto bad;
    *seq_out = seq;
    return MZ_OK;
bad:
    return mz_error_set(err, MZ_EINVAL, "next",
                        "next is not a page token this node issued to you for this query (repeat the query without it)");
}
