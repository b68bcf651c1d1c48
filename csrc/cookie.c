/* cookie.c - a DTLS server's stateless cookies (RFC 6347 4.2.1).
 *
 * A ClientHello without a valid cookie is answered with a HelloVerifyRequest
 * (DTLSv1_listen, engine.c) and nothing is kept: the cookie is
 * HMAC-SHA256(secret, peer || version || random || session_id), the secret
 * the config's (made at its freeze), the ClientHello's fields as the
 * message callback recorded them just before (hello_api.c; the fields ahead
 * of the cookie, which DTLSv1_listen's first fragment always holds), the peer's address as the transport knows
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

/* The part of the last ClientHello the cookie binds: version, random and
   session_id (with its length), all ahead of the cookie field, so in the
   first fragment, the only one DTLSv1_listen reads.  The client sends the
   same random in its retry (RFC 6347 4.2.1), so these bind the hello.
   Answers the part's length, or 0 if there is no well-formed one. */
static size_t hello_head(const tlshs *hs, const unsigned char **head) {
    size_t len, at = 2 + 32;
    const unsigned char *m = tlshs__hellos_client_raw(hs, &len);
    if (!m || len < DTLS_HM_HEADER + at + 1) return 0;
    m += DTLS_HM_HEADER;
    len -= DTLS_HM_HEADER;
    at += 1 + (size_t)m[at]; /* session_id */
    if (at + 1 > len) return 0; /* the cookie's length must follow */
    *head = m;
    return at;
}

/* The cookie for hs's last ClientHello into out (COOKIE_LEN bytes): 0 or -1.
   The HMAC runs over peer_len || peer || version || random || session_id. */
static int compute(SSL *ssl, unsigned char out[COOKIE_LEN]) {
    const tlshs *hs = SSL_get_app_data(ssl);
    const tlshs_config *cfg = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const unsigned char *head = NULL;
    unsigned char input[1 + sizeof hs->dg->peer + 2 + 32 + 1 + 255];
    size_t at = 0, n = 0, head_len;
    if (!hs || !hs->dg || !cfg || !(head_len = hello_head(hs, &head))) return -1;
    input[at++] = (unsigned char)hs->dg->peer_len;
    memcpy(input + at, hs->dg->peer, hs->dg->peer_len);
    at += hs->dg->peer_len;
    memcpy(input + at, head, head_len);
    at += head_len;
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
