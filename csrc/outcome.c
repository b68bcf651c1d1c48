/* outcome.c - what a handshake object says about its connection: result,
 * error and codes, alerts, version, cipher, ALPN, names, peer certificate,
 * session export. */
#include <openssl/err.h>

#include <string.h>

#include "tlshs_internal.h"

tlshs_result tlshs_last_result(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->last : TLSHS_CLOSED;
}

int tlshs_handshake_done(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->complete;
}

const char *tlshs_error(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->last == TLSHS_CLOSED ? tlshs__text(hs->error) : "";
}

const char *tlshs_usage_error(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->usage_code != TLSHS_OK ? tlshs__text(hs->usage) : "";
}

tlshs_code tlshs_error_code(const tlshs *hs) { /* see tlshs.h */
    if (!hs) return TLSHS_E_ARGUMENT;
    return hs->last == TLSHS_CLOSED ? hs->error_code : TLSHS_OK;
}

tlshs_code tlshs_usage_code(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->usage_code : TLSHS_E_ARGUMENT;
}

int tlshs_alert_sent(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->alert_sent : -1;
}

int tlshs_alert_received(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->alert_received : -1;
}

const char *tlshs_version(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->complete ? SSL_get_version(hs->ssl) : NULL;
}

const char *tlshs_cipher(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->complete ? SSL_get_cipher_name(hs->ssl) : NULL;
}

const char *tlshs_alpn(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->alpn : NULL;
}

const char *tlshs_server_name(const tlshs *hs) { /* see tlshs.h */
    if (!hs) return NULL;
    if (hs->cfg->role == TLSHS_CLIENT) return hs->server_name;
    return SSL_get_servername(hs->ssl, TLSEXT_NAMETYPE_host_name);
}

int tlshs_resumed(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->complete && SSL_session_reused(hs->ssl);
}

long tlshs_verify_result(const tlshs *hs) { /* see tlshs.h */
    return hs ? SSL_get_verify_result(hs->ssl) : -1;
}

const unsigned char *tlshs_peer_cert(const tlshs *hs, size_t *len) { /* see tlshs.h */
    const X509 *x;
    if (len) *len = 0;
    if (!hs) return NULL;
    /* the last leaf verified, else (a resumption) the session's */
    x = hs->peer_seen ? hs->peer_seen : SSL_get0_peer_certificate(hs->ssl);
    if (x != hs->peer->of) { /* the first call, or a renegotiation changed it */
        int n;
        OPENSSL_free(hs->peer->der);
        hs->peer->der = NULL;
        n = x ? i2d_X509(x, &hs->peer->der) : 0;
        hs->peer->len = n > 0 ? (size_t)n : 0;
        hs->peer->of = x;
    }
    if (len) *len = hs->peer->len;
    return hs->peer->der;
}

size_t tlshs_session(const tlshs *hs, void *buf, size_t cap) { /* see tlshs.h */
    SSL_SESSION *sess;
    int len;
    if (!hs || hs->cfg->role != TLSHS_CLIENT || !hs->complete) return 0;
    sess = SSL_get_session(hs->ssl);
    if (!sess || !SSL_SESSION_is_resumable(sess)) return 0;
    len = i2d_SSL_SESSION(sess, NULL);
    if (len <= 0) {
        tlshs__clear_errors();
        return 0;
    }
    if (buf && cap >= (size_t)len) {
        unsigned char *p = buf;
        i2d_SSL_SESSION(sess, &p);
    }
    return (size_t)len;
}

int tlshs_export_keying_material(tlshs *hs, unsigned char *out, size_t len, const char *label,
                                 const unsigned char *context, size_t context_len,
                                 int use_context) { /* see tlshs.h */
    if (!hs) return -1;
    tlshs__begin(hs);
    if (!out || !label || len == 0 || (use_context && !context && context_len > 0)) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "export_keying_material: %s",
                     !out || len == 0 ? "no room for the keying material (out NULL or len 0)"
                     : !label         ? "label is NULL"
                                      : "context is NULL with a length");
        return -1;
    }
    if (!hs->complete) {
        tlshs__usage(hs, TLSHS_E_STATE, "export_keying_material: the handshake has not completed");
        return -1;
    }
    tlshs__clear_errors();
    if (SSL_export_keying_material(hs->ssl, out, len, label, strlen(label), context, context_len,
                                   use_context ? 1 : 0) != 1) {
        tlshs__usage(hs, TLSHS_E_STATE, "export_keying_material: %s",
                     tlshs__openssl_reason("OpenSSL refused"));
        tlshs__clear_errors();
        return -1;
    }
    return 0;
}

tlshs_role tlshs_get_role(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->cfg->role : TLSHS_CLIENT;
}

const char *tlshs_srtp_profile(const tlshs *hs) { /* see tlshs.h */
    const SRTP_PROTECTION_PROFILE *p;
    if (!hs || !hs->complete || !hs->dg) return NULL;
    p = SSL_get_selected_srtp_profile(hs->ssl);
    return p ? p->name : NULL;
}
