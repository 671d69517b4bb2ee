/* domain/svc_cursor.h - sealing and opening the `next` tokens of paged lists.
 *
 * A token carries the position of the last row served (the store's sequence number,
 * which counts every object stored, visible or not). In clear it told a reporter how
 * many objects it could not see had been stored between two of its own; so it is
 * sealed here with authenticated encryption (XChaCha20-Poly1305, libsodium) under the
 * node's page key, with the query and the reader it was issued for as associated
 * data. A token is thus opaque (the same length whatever the position, a fresh
 * random nonce each time) and unforgeable, and it is refused when it was altered,
 * issued by another node (another store), for another query (types, id,
 * created_by, tlp, added_after, version; the page size may change between pages)
 * or for another reader (user, organisation, role, and for a peer the peer node;
 * the unauthenticated reader of public TLP:CLEAR is one reader). fmt/cursor.h lays out its bytes.
 *
 * The page key is 32 random bytes, made once per store the first time a token is
 * needed and kept in the store's `meta` table (`page_key`, hex): the positions it
 * seals are positions in that store, so the key lives and is backed up with it, and
 * whoever can read the key can read every object anyway. */
#ifndef MZ_SVC_CURSOR_H
#define MZ_SVC_CURSOR_H

#include <stdint.h>

#include "domain/svc.h"
#include "fmt/cursor.h"
#include "rules/principal.h"
#include "store/store.h"

#define SVC_CURSOR_KEY_LEN 32

/* The store's page key into key (made and stored when the store has none). */
enum mz_err svc_cursor_key(struct store *st, unsigned char key[SVC_CURSOR_KEY_LEN], struct mz_error *err);

/* Wipe a key read with svc_cursor_key (a no-op on one never read). */
void svc_cursor_forget(unsigned char key[SVC_CURSOR_KEY_LEN]);

/* The token of position seq of query q (as the store runs it: filters normalised,
 * after_seq, order and limit ignored) for reader p, into out (CURSOR_STRLEN bytes). */
void svc_cursor_seal(const unsigned char key[SVC_CURSOR_KEY_LEN], const struct principal *p,
                     const struct store_query *q, int64_t seq, char *out);
/* The position of token tok, if it was sealed with key for p and q: MZ_OK and
 * *seq_out, or MZ_EINVAL (field "next"; *seq_out untouched) with a message that
 * says only that the token is not valid here, never why. */
enum mz_err svc_cursor_open(const unsigned char key[SVC_CURSOR_KEY_LEN], const struct principal *p,
                            const struct store_query *q, const char *tok, int64_t *seq_out,
                            struct mz_error *err);

/* The same for a TAXII list (svc_query t, t->view set): bound besides to the
 * collection and TAXII's filters (ids, versions), with q as the store runs it; the
 * position is a grant's stamp (microseconds) in a community's collection, a sequence
 * number in a view. */
void svc_cursor_seal_taxii(const unsigned char key[SVC_CURSOR_KEY_LEN], const struct principal *p,
                           const struct store_query *q, const struct svc_query *t, int64_t pos, char *out);
enum mz_err svc_cursor_open_taxii(const unsigned char key[SVC_CURSOR_KEY_LEN], const struct principal *p,
                                  const struct store_query *q, const struct svc_query *t, const char *tok,
                                  int64_t *pos_out, struct mz_error *err);

#endif
