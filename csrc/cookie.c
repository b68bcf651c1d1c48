/* cookie.c - a DTLS server's stateless cookies (RFC 6347 4.2.1).
 *
 * A ClientHello without a valid cookie is answered with a HelloVerifyRequest
 * (DTLSv1_listen, engine.c) and nothing is kept: the cookie is
 * HMAC-SHA256(secret, peer || version || random || session_id ||
 * cipher_suites || compression_methods), the secret the config's (made at
 * its freeze), the ClientHello's fields as the message callback recorded
 * them just before (hello_api.c), the peer's address as the transport knows
 * it (fd mode: getpeername; memory mode: tlshs_set_peer).  So the client's
 * retry is accepted by any handshake object of the same config, and a
 * cookie made for another hello, peer or config is refused (OpenSSL then
 * sends a new HelloVerifyRequest, as RFC 6347 asks).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tlshs_internal.h"

#define DTLS_HM_HEADER 12 /* type, length, message_seq, fragment_offset, fragment_length */
#define COOKIE_LEN 32

/* The fields of the last ClientHello the cookie binds, as (pointer, length)
   spans; 0, or -1 if there is no well-formed one. */
struct spans {
    const unsigned char *head; /* version, random, session_id (with its length) */
    size_t head_len;
    const unsigned char *tail; /* cipher_suites, compression_methods (with their lengths) */
    size_t tail_len;
};

static int hello_spans(const tlshs *hs, struct spans *sp) {
    size_t len, at, n;
    const unsigned char *m = tlshs__hellos_client_raw(hs, &len);
    if (!m || len < DTLS_HM_HEADER + 2 + 32 + 1) return -1;
    m += DTLS_HM_HEADER;
    len -= DTLS_HM_HEADER;
    at = 2 + 32;
    at += 1 + (size_t)m[at]; /* session_id */
    if (at + 1 > len) return -1;
    sp->head = m;
    sp->head_len = at;
    at += 1 + (size_t)m[at]; /* cookie: not bound */
    if (at + 2 > len) return -1;
    sp->tail = m + at;
    n = 2 + ((size_t)m[at] << 8 | m[at + 1]); /* cipher_suites */
    if (at + n + 1 > len) return -1;
    n += 1 + (size_t)m[at + n]; /* compression_methods */
    if (at + n > len) return -1;
    sp->tail_len = n;
    return 0;
}

/* The cookie for hs's last ClientHello into out (COOKIE_LEN bytes): 0 or -1.
   The HMAC runs over peer_len || peer || head || SHA-256(tail). */
static int compute(SSL *ssl, unsigned char out[COOKIE_LEN]) {
    const tlshs *hs = SSL_get_app_data(ssl);
    const tlshs_config *cfg = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    struct spans sp;
    unsigned char input[1 + sizeof hs->dg->peer + 2 + 32 + 1 + 255 + 32];
    unsigned int dlen = 0;
    size_t at = 0, n = 0;
    if (!hs || !hs->dg || !cfg || hello_spans(hs, &sp)) return -1;
    input[at++] = (unsigned char)hs->dg->peer_len;
    memcpy(input + at, hs->dg->peer, hs->dg->peer_len);
    at += hs->dg->peer_len;
    memcpy(input + at, sp.head, sp.head_len);
    at += sp.head_len;
    if (!EVP_Digest(sp.tail, sp.tail_len, input + at, &dlen, EVP_sha256(), NULL) || dlen != 32) return -1;
    at += dlen;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, cfg->cookie_secret, sizeof cfg->cookie_secret,
                   input, at, out, COOKIE_LEN, &n) || n != COOKIE_LEN)
        return -1;
    return 0;
}

int tlshs__cookie_make(SSL *ssl, unsigned char *cookie, unsigned int *len) {
    if (compute(ssl, cookie)) return 0;
    *len = COOKIE_LEN;
    return 1;
}

int tlshs__cookie_check(SSL *ssl, const unsigned char *cookie, unsigned int len) {
    unsigned char want[COOKIE_LEN];
    int ok = len == COOKIE_LEN && compute(ssl, want) == 0 && CRYPTO_memcmp(want, cookie, COOKIE_LEN) == 0;
    OPENSSL_cleanse(want, sizeof want);
    return ok;
}
