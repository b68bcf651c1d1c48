/* keys_datagram.c - the transport key and the datagram keys (mtu, cookie,
 * retransmit_ms, use_srtp), and the keys whose meaning the transport
 * changes: the versions (TLS or DTLS numbers) and the cipher lists (which
 * OpenSSL resets when the method changes).  See TLSHS_CONFIG_KEYS. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "tlshs_internal.h"

/* The bits of cfg->dgram_keys: which datagram keys were given, so that a
   stream config that has one is refused at the freeze. */
enum { GIVEN_MTU = 1, GIVEN_COOKIE = 2, GIVEN_RETRANSMIT = 4, GIVEN_SRTP = 8 };

static const char *const dgram_key_names[] = {"mtu", "cookie", "retransmit_ms", "use_srtp"};

static int bad_value(tlshs_config *cfg, const tlshs_key_info *k, const char *value, const char *what) {
    tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not %s", k->name, value, what);
    return -1;
}

/* A decimal number from lo to hi into *out, or -1 after failing cfg. */
static int parse_range(tlshs_config *cfg, const tlshs_key_info *k, const char *value, long lo, long hi,
                       long *out) {
    long v = 0;
    const char *p = value;
    for (; *p >= '0' && *p <= '9' && v <= hi; p++) v = v * 10 + (*p - '0');
    if (p == value || *p != '\0' || v < lo || v > hi) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not a number from %ld to %ld",
                                  k->name, value, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Over datagrams the version keys take only 1.2: OpenSSL 3.0 and 3.5 have
   no DTLS 1.3, and DTLS 1.0 (TLS 1.1's twin) is not offered.  0, or -1
   after failing cfg naming key. */
static int datagram_versions(tlshs_config *cfg, const char *key) {
    if ((cfg->min_ver && cfg->min_ver != TLS1_2_VERSION) ||
        (cfg->max_ver && cfg->max_ver != TLS1_2_VERSION)) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE,
                                  "%s: over datagrams only 1.2 (DTLS 1.2; OpenSSL has no DTLS 1.3, "
                                  "and DTLS 1.0 is not offered)", key);
        return -1;
    }
    return 0;
}

int tlshs__apply_versions(tlshs_config *cfg, const char *key) {
    if (cfg->datagram) {
        if (datagram_versions(cfg, key)) return -1;
        SSL_CTX_set_min_proto_version(cfg->ctx, DTLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(cfg->ctx, DTLS1_2_VERSION);
        return 0;
    }
    SSL_CTX_set_min_proto_version(cfg->ctx, cfg->min_ver ? cfg->min_ver : TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(cfg->ctx, cfg->max_ver);
    return 0;
}

/* The config's SSL_CTX takes the other method, keeping every key applied
   so far (OpenSSL resets only the cipher lists, applied again by the
   caller).  SSL_CTX_set_ssl_version is marked deprecated since 3.0 but is
   there in 3.0 and 3.5; a new SSL_CTX would lose what the keys set. */
static int set_method(SSL_CTX *ctx, const SSL_METHOD *m) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    return SSL_CTX_set_ssl_version(ctx, m);
#pragma GCC diagnostic pop
}

int tlshs__set_transport(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int datagram;
    const SSL_METHOD *m;
    if (strcmp(value, "stream") == 0) datagram = 0;
    else if (strcmp(value, "datagram") == 0) datagram = 1;
    else return bad_value(cfg, k, value, "one of stream, datagram");
    if ((unsigned)datagram == cfg->datagram) return 0;
    if (datagram)
        m = cfg->role == TLSHS_CLIENT ? DTLS_client_method() : DTLS_server_method();
    else
        m = cfg->role == TLSHS_CLIENT ? TLS_client_method() : TLS_server_method();
    if (datagram && datagram_versions(cfg, k->name)) return -1;
    if (!set_method(cfg->ctx, m) ||
        (cfg->ciphers && !SSL_CTX_set_cipher_list(cfg->ctx, cfg->ciphers)) ||
        (cfg->ciphersuites && !SSL_CTX_set_ciphersuites(cfg->ctx, cfg->ciphersuites))) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: OpenSSL refused the method: %s", k->name,
                                  tlshs__openssl_reason("unknown error"));
        return -1;
    }
    cfg->datagram = (unsigned)datagram;
    return tlshs__apply_versions(cfg, k->name); /* the method's version numbers */
}

int tlshs__set_mtu(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    long v;
    if (parse_range(cfg, k, value, 256, TLSHS__MAX_DATAGRAM, &v)) return -1;
    cfg->mtu = (int)v;
    cfg->dgram_keys |= GIVEN_MTU;
    return 0;
}

int tlshs__set_cookie(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0)
        return bad_value(cfg, k, value, "one of on, off");
    cfg->no_cookie = value[1] != 'n';
    cfg->dgram_keys |= GIVEN_COOKIE;
    return 0;
}

int tlshs__set_retransmit_ms(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    long v;
    /* under 20 ms OpenSSL 3.5 (which counts 15 ms as due) would retransmit
       on its own at once */
    if (parse_range(cfg, k, value, 20, 60000, &v)) return -1;
    cfg->retransmit_ms = (int)v;
    cfg->dgram_keys |= GIVEN_RETRANSMIT;
    return 0;
}

int tlshs__set_use_srtp(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    /* SSL_CTX_set_tlsext_use_srtp answers 0 on success */
    if (!*value || SSL_CTX_set_tlsext_use_srtp(cfg->ctx, value) != 0) {
        ERR_clear_error();
        return bad_value(cfg, k, value,
                         "a list of SRTP profiles OpenSSL knows (SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32:"
                         "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM), colon-separated");
    }
    cfg->dgram_keys |= GIVEN_SRTP;
    return 0;
}

int tlshs__check_datagram_keys(tlshs_config *cfg) {
    if (cfg->datagram) return 0;
    for (unsigned i = 0; i < sizeof dgram_key_names / sizeof dgram_key_names[0]; i++) {
        if (cfg->dgram_keys & (1u << i)) {
            tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE,
                                      "%s: only a datagram transport uses this key (set transport to datagram)",
                                      dgram_key_names[i]);
            return -1;
        }
    }
    return 0;
}
