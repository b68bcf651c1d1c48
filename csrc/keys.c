/* keys.c - the configuration keys: the table of tlshs.h with a setter for
 * each key, tlshs_config_set, and the look-ups of the table.  Each setter
 * checks its value alone; what keys mean together is config.c's check. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tlshs_internal.h"

/* Each secret OpenSSL derives: to the keylog_file, and to the handshake's
   capture (a Decryption Secrets Block). */
void tlshs__keylog_line(const SSL *ssl, const char *line) {
    tlshs_config *cfg = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const tlshs *hs = SSL_get_app_data(ssl);
    if (cfg && cfg->keylog >= 0) tlshs__log_line(cfg->keylog, line);
    if (hs && hs->capture) tlshs__capture_secret(hs->capture, line);
}

/* Server ALPN: the first protocol of ours, in our order, that the client offers. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg) {
    const tlshs_config *cfg = arg;
    (void)ssl;
    for (size_t i = 0; i < cfg->alpn_len; i += 1 + cfg->alpn[i]) {
        const unsigned char *ours = cfg->alpn + i;
        for (unsigned j = 0; j < inlen; j += 1u + in[j]) {
            if (j + 1u + in[j] > inlen) break;
            if (in[j] == ours[0] && memcmp(in + j + 1, ours + 1, ours[0]) == 0) {
                *out = in + j + 1;
                *outlen = in[j];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol, RFC 7301 */
}

/* A key's setter: checks value alone and applies it to cfg (the caller
   holds cfg->lock for writing), or fails cfg with the reason. */
typedef int (*key_setter)(tlshs_config *cfg, const tlshs_key_info *k, const char *value);

static int fail_openssl(tlshs_config *cfg, const char *key, const char *what) {
    tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: %s: %s", key, what, tlshs__openssl_reason("unknown error"));
    return -1;
}

/* ---- trust anchors ---- */

static int set_ca_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    X509_STORE *store = SSL_CTX_get_cert_store(cfg->ctx);
    STACK_OF(X509_INFO) *infos = NULL;
    struct tlshs_file f;
    BIO *bio;
    int ok = 1, count = 0;
    if (tlshs__file_read(cfg, k->name, value, &f)) return -1;
    bio = BIO_new_mem_buf(f.data, (int)f.len);
    if (bio) infos = PEM_X509_INFO_read_bio(bio, NULL, tlshs__no_password, NULL);
    BIO_free(bio);
    tlshs__file_free(&f);
    if (!infos) return fail_openssl(cfg, k->name, value);
    /* what X509_STORE_load_file does: every certificate and CRL */
    for (int i = 0; ok && i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *info = sk_X509_INFO_value(infos, i);
        if (info->x509) ok = X509_STORE_add_cert(store, info->x509), count++;
        if (ok && info->crl) ok = X509_STORE_add_crl(store, info->crl), count++;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (!ok) return fail_openssl(cfg, k->name, value);
    if (count == 0) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: %s: no PEM certificate or CRL found", k->name, value);
        return -1;
    }
    ERR_clear_error();
    cfg->has_ca = 1;
    return 0;
}

static int set_ca_path(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int fd = tlshs__file_open(cfg, k->name, value, O_RDONLY | O_DIRECTORY, 1, "open directory");
    if (fd < 0) return -1;
    close(fd);
    if (!SSL_CTX_load_verify_dir(cfg->ctx, value)) return fail_openssl(cfg, k->name, value);
    cfg->has_ca = 1;
    return 0;
}

static int set_ca_pem(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    X509_STORE *store = SSL_CTX_get_cert_store(cfg->ctx);
    X509 *x;
    int count = 0;
    if (!bio) return fail_openssl(cfg, k->name, "out of memory");
    while ((x = PEM_read_bio_X509(bio, NULL, tlshs__no_password, NULL)) != NULL) {
        int ok = X509_STORE_add_cert(store, x);
        X509_free(x);
        if (!ok) {
            BIO_free(bio);
            return fail_openssl(cfg, k->name, "cannot add certificate");
        }
        count++;
    }
    BIO_free(bio);
    if (count == 0) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: no PEM certificate found", k->name);
        return -1;
    }
    ERR_clear_error(); /* the end of input left PEM's "no start line" */
    cfg->has_ca = 1;
    return 0;
}

/* ---- the own certificate and key ---- */

/* The certificate, then the chain sent with it, from PEM in bio (as
   SSL_CTX_use_certificate_chain_file reads a file).  label names the file
   in messages, NULL for PEM text.  Loaded at security level 0: the freeze
   checks them against the config's final level, whatever the keys' order. */
static int use_cert_chain(tlshs_config *cfg, const tlshs_key_info *k, BIO *bio, const char *label) {
    int level = SSL_CTX_get_security_level(cfg->ctx), ok;
    X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, tlshs__no_password, NULL), *x;
    unsigned long err;
    if (!leaf) {
        if (label) tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: %s: no PEM certificate found", k->name, label);
        else tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: no PEM certificate found", k->name);
        return -1;
    }
    SSL_CTX_set_security_level(cfg->ctx, 0);
    ok = SSL_CTX_use_certificate(cfg->ctx, leaf) && SSL_CTX_clear_chain_certs(cfg->ctx) &&
         tlshs__note_own_cert(cfg, leaf) == 0;
    X509_free(leaf);
    while (ok && (x = PEM_read_bio_X509(bio, NULL, tlshs__no_password, NULL)) != NULL)
        if (!(ok = SSL_CTX_add0_chain_cert(cfg->ctx, x))) X509_free(x);
    err = ERR_peek_last_error(); /* the end of the PEM, or a broken certificate */
    if (ok && !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) ok = 0;
    SSL_CTX_set_security_level(cfg->ctx, level);
    if (!ok) return fail_openssl(cfg, k->name, label ? label : "cannot use the certificate");
    ERR_clear_error();
    cfg->has_cert = 1;
    cfg->given_cert = 1;
    cfg->cert_key = k->name;
    return 0;
}

static int use_key(tlshs_config *cfg, const tlshs_key_info *k, BIO *bio, const char *label) {
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, tlshs__no_password, NULL);
    int ok;
    if (!key) return fail_openssl(cfg, k->name, label ? label : "no usable PEM private key");
    ok = SSL_CTX_use_PrivateKey(cfg->ctx, key);
    EVP_PKEY_free(key);
    if (!ok) return fail_openssl(cfg, k->name, label ? label : "cannot use the key");
    cfg->has_key = 1;
    cfg->given_cert = 1;
    cfg->key_key = k->name;
    return 0;
}

/* Reads a file and hands it to use as PEM in memory. */
static int use_file(tlshs_config *cfg, const tlshs_key_info *k, const char *path,
                    int (*use)(tlshs_config *, const tlshs_key_info *, BIO *, const char *)) {
    struct tlshs_file f;
    BIO *bio;
    int r;
    if (tlshs__file_read(cfg, k->name, path, &f)) return -1;
    bio = BIO_new_mem_buf(f.data, (int)f.len);
    r = bio ? use(cfg, k, bio, path) : fail_openssl(cfg, k->name, "out of memory");
    BIO_free(bio);
    tlshs__file_free(&f);
    return r;
}

static int set_cert_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return use_file(cfg, k, value, use_cert_chain);
}

static int set_key_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return use_file(cfg, k, value, use_key);
}

static int set_cert_pem(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    int r = bio ? use_cert_chain(cfg, k, bio, NULL) : fail_openssl(cfg, k->name, "out of memory");
    BIO_free(bio);
    return r;
}

static int set_key_pem(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    int r = bio ? use_key(cfg, k, bio, NULL) : fail_openssl(cfg, k->name, "out of memory");
    BIO_free(bio);
    return r;
}

/* ---- the other keys ---- */

static int set_verify(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    static const char *const levels[] = {"none", "peer", "require"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(value, levels[i]) == 0) {
            cfg->verify = (enum tlshs_verify)i;
            return 0;
        }
    }
    tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of none, peer, require", k->name, value);
    return -1;
}

/* Keys whose values OpenSSL's SSL_CONF_cmd parses. */
static int set_conf(tlshs_config *cfg, const tlshs_key_info *k, const char *cmd, const char *value) {
    SSL_CONF_CTX *cctx = SSL_CONF_CTX_new();
    int r;
    if (!cctx) return fail_openssl(cfg, k->name, "out of memory");
    SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE |
                                     (cfg->role == TLSHS_CLIENT ? SSL_CONF_FLAG_CLIENT
                                                                : SSL_CONF_FLAG_SERVER));
    SSL_CONF_CTX_set_ssl_ctx(cctx, cfg->ctx);
    r = SSL_CONF_cmd(cctx, cmd, value);
    SSL_CONF_CTX_free(cctx);
    if (r != 2) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: OpenSSL rejected '%s': %s", k->name, value,
             tlshs__openssl_reason("bad value"));
        return -1;
    }
    ERR_clear_error();
    return 0;
}

/* The version keys' spellings: ours, then OpenSSL's, by protocol number. */
static const struct {
    const char *ours, *openssl;
    long number;
} versions[] = {{"1.0", "TLSv1", TLS1_VERSION},
                {"1.1", "TLSv1.1", TLS1_1_VERSION},
                {"1.2", "TLSv1.2", TLS1_2_VERSION},
                {"1.3", "TLSv1.3", TLS1_3_VERSION}};

const char *tlshs__version_name(long number) {
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (versions[i].number == number) return versions[i].ours;
    return "?";
}

/* "1.2" (or OpenSSL's "TLSv1.2") -> its number in *into, applied as the
   transport reads it (keys_datagram.c).  Whether min_version and
   max_version leave a version is checked at the freeze
   (tlshs_config_check), so the order of the keys does not matter. */
static int set_version(tlshs_config *cfg, const tlshs_key_info *k, long *into, const char *value) {
    long old = *into;
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        if (strcmp(value, versions[i].ours) == 0 || strcmp(value, versions[i].openssl) == 0) {
            *into = versions[i].number;
            if (tlshs__apply_versions(cfg, k->name) == 0) return 0;
            *into = old; /* refused before anything was applied */
            return -1;
        }
    }
    tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of 1.0, 1.1, 1.2, 1.3", k->name, value);
    return -1;
}

static int set_min_version(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    if (set_version(cfg, k, &cfg->min_ver, value)) return -1;
    cfg->has_min = 1;
    return 0;
}

static int set_max_version(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_version(cfg, k, &cfg->max_ver, value);
}

/* A cipher key: applied, and kept to be applied again if the transport
   changes (OpenSSL resets the cipher lists with the method). */
static int set_cipher_key(tlshs_config *cfg, const tlshs_key_info *k, const char *cmd, char **keep,
                          const char *value) {
    char *copy = strdup(value);
    if (!copy) return fail_openssl(cfg, k->name, "out of memory");
    if (set_conf(cfg, k, cmd, value)) {
        free(copy);
        return -1;
    }
    free(*keep);
    *keep = copy;
    return 0;
}

static int set_ciphers(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_cipher_key(cfg, k, "CipherString", &cfg->ciphers, value);
}

static int set_ciphersuites(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_cipher_key(cfg, k, "Ciphersuites", &cfg->ciphersuites, value);
}

static int set_groups(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_conf(cfg, k, "Groups", value);
}

static int set_sigalgs(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_conf(cfg, k, "SignatureAlgorithms", value);
}

static int set_alpn(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    size_t n = strlen(value), out = 0;
    unsigned char *wire;
    const char *p = value;
    if (n == 0) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: the list is empty", k->name);
        return -1;
    }
    if (n + 1 > 65535) { /* the wire form: a length byte for each protocol */
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: the list takes %zu bytes on the wire, above the 65535 "
             "that TLS allows (RFC 7301)", k->name, n + 1);
        return -1;
    }
    wire = malloc(n + 1);
    if (!wire) return fail_openssl(cfg, k->name, "out of memory");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len > 255) {
            free(wire);
            tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s': each protocol must be 1 to 255 bytes", k->name, value);
            return -1;
        }
        wire[out++] = (unsigned char)len;
        memcpy(wire + out, p, len);
        out += len;
        if (!comma) break;
        p = comma + 1;
    }
    if (cfg->role == TLSHS_CLIENT) {
        if (SSL_CTX_set_alpn_protos(cfg->ctx, wire, (unsigned)out) != 0) {
            free(wire);
            return fail_openssl(cfg, k->name, value);
        }
    } else {
        SSL_CTX_set_alpn_select_cb(cfg->ctx, alpn_select, cfg);
    }
    free(cfg->alpn);
    cfg->alpn = wire;
    cfg->alpn_len = out;
    return 0;
}

static int set_tickets(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    if (strcmp(value, "on") == 0) {
        SSL_CTX_clear_options(cfg->ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(cfg->ctx, 2);
    } else if (strcmp(value, "off") == 0) {
        SSL_CTX_set_options(cfg->ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(cfg->ctx, 0);
    } else {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of on, off", k->name, value);
        return -1;
    }
    return 0;
}

static int set_keylog_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int fd = tlshs__file_open_log(cfg, k->name, value);
    if (fd < 0) return -1;
    if (cfg->keylog >= 0) close(cfg->keylog);
    cfg->keylog = fd;
    SSL_CTX_set_keylog_callback(cfg->ctx, tlshs__keylog_line);
    atomic_store(&cfg->keylog_hooked, 1);
    return 0;
}

/* Server DH parameters for TLS 1.2 DHE suites, instead of the automatic ones
   (chosen by the certificate's strength).  Applied at the freeze, where the
   security level is final. */
static int set_dh_params_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    struct tlshs_file f;
    EVP_PKEY *dh = NULL;
    BIO *bio;
    if (tlshs__file_read(cfg, k->name, value, &f)) return -1;
    bio = BIO_new_mem_buf(f.data, (int)f.len);
    if (bio) dh = PEM_read_bio_Parameters(bio, NULL);
    BIO_free(bio);
    tlshs__file_free(&f);
    if (!dh || !(EVP_PKEY_is_a(dh, "DH") || EVP_PKEY_is_a(dh, "DHX"))) {
        EVP_PKEY_free(dh);
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: %s: no PEM DH parameters found", k->name, value);
        return -1;
    }
    ERR_clear_error();
    EVP_PKEY_free(cfg->dh_params);
    cfg->dh_params = dh;
    SSL_CTX_set_dh_auto(cfg->ctx, 0);
    return 0;
}

/* OpenSSL's security level, applied at the freeze (so it also wins over an
   @SECLEVEL in ciphers, whatever the order). */
static int set_security_level(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    if (value[0] < '0' || value[0] > '5' || value[1] != '\0') {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of 0, 1, 2, 3, 4, 5", k->name, value);
        return -1;
    }
    cfg->security_level = value[0] - '0';
    return 0;
}

/* ---- the keys of the moves and options (moves.c drives them) ---- */

/* A decimal count from 0 to max, digits only. */
static int parse_count(tlshs_config *cfg, const tlshs_key_info *k, const char *value,
                       unsigned long max, unsigned long *out) {
    unsigned long v = 0;
    const char *p = value;
    for (; *p >= '0' && *p <= '9' && v <= max; p++)
        v = v * 10 + (unsigned long)(*p - '0');
    if (p == value || *p != '\0' || v > max) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not a count from 0 to %lu", k->name, value, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* on or off */
static int parse_switch(tlshs_config *cfg, const tlshs_key_info *k, const char *value, int *on) {
    if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0) {
        *on = value[1] == 'n';
        return 0;
    }
    tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of on, off", k->name, value);
    return -1;
}

#define MAX_TICKETS 100 /* far more than anyone tests; each is a message */

/* Applied at the freeze, where the tickets key is known whatever the order. */
static int set_num_tickets(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    unsigned long n;
    if (parse_count(cfg, k, value, MAX_TICKETS, &n)) return -1;
    cfg->num_tickets = (int)n;
    return 0;
}

/* A server accepts up to n bytes of 0-RTT data (0: none), with OpenSSL's
   anti-replay protection: a ticket allows early data once. */
static int set_max_early_data(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    unsigned long n;
    if (parse_count(cfg, k, value, 0xFFFFFFFFul, &n)) return -1;
    /* what the server may receive: what it accepts, and at least one full
       record of early data it rejects and skips */
    if (!SSL_CTX_set_max_early_data(cfg->ctx, (uint32_t)n) ||
        !SSL_CTX_set_recv_max_early_data(cfg->ctx, n > SSL3_RT_MAX_PLAIN_LENGTH ? (uint32_t)n
                                                                               : SSL3_RT_MAX_PLAIN_LENGTH))
        return fail_openssl(cfg, k->name, value);
    SSL_CTX_clear_options(cfg->ctx, SSL_OP_NO_ANTI_REPLAY);
    return 0;
}

static int set_post_handshake_auth(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int on;
    if (parse_switch(cfg, k, value, &on)) return -1;
    SSL_CTX_set_post_handshake_auth(cfg->ctx, on);
    return 0;
}

static int set_status_request(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int on;
    if (parse_switch(cfg, k, value, &on)) return -1;
    if (!SSL_CTX_set_tlsext_status_type(cfg->ctx, on ? TLSEXT_STATUSTYPE_ocsp : -1))
        return fail_openssl(cfg, k->name, value);
    return 0;
}

static int set_ocsp_response_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    struct tlshs_file f;
    const unsigned char *p;
    OCSP_RESPONSE *resp;
    unsigned char *copy;
    if (tlshs__file_read(cfg, k->name, value, &f)) return -1;
    p = (const unsigned char *)f.data;
    resp = f.len > 0 && f.len <= LONG_MAX ? d2i_OCSP_RESPONSE(NULL, &p, (long)f.len) : NULL;
    if (!resp || p != (const unsigned char *)f.data + f.len) {
        OCSP_RESPONSE_free(resp);
        tlshs__file_free(&f);
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: %s: not a DER OCSP response", k->name, value);
        return -1;
    }
    OCSP_RESPONSE_free(resp);
    copy = malloc(f.len);
    if (!copy) {
        tlshs__file_free(&f);
        return fail_openssl(cfg, k->name, "out of memory");
    }
    memcpy(copy, f.data, f.len);
    free(cfg->ocsp);
    cfg->ocsp = copy;
    cfg->ocsp_len = f.len;
    tlshs__file_free(&f);
    SSL_CTX_set_tlsext_status_cb(cfg->ctx, tlshs__staple_ocsp);
    SSL_CTX_set_tlsext_status_arg(cfg->ctx, cfg);
    return 0;
}

static int set_max_fragment_length(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    static const struct {
        const char *name;
        uint8_t mode;
    } lengths[] = {{"512", TLSEXT_max_fragment_length_512},
                   {"1024", TLSEXT_max_fragment_length_1024},
                   {"2048", TLSEXT_max_fragment_length_2048},
                   {"4096", TLSEXT_max_fragment_length_4096}};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
        if (strcmp(value, lengths[i].name) == 0) {
            if (!SSL_CTX_set_tlsext_max_fragment_length(cfg->ctx, lengths[i].mode))
                return fail_openssl(cfg, k->name, value);
            return 0;
        }
    tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of 512, 1024, 2048, 4096", k->name, value);
    return -1;
}

/* Custom extensions this side sends (registered with OpenSSL at the freeze,
   moves.c): TYPE:HEX items, comma-separated. */
static int set_extensions(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    struct custom_ext *exts = NULL;
    size_t n = 0;
    const char *at = value, *why;
    if (*value == '\0') {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: the list is empty", k->name);
        return -1;
    }
    if ((why = tlshs__exts_parse(value, &exts, &n, &at)) != NULL) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%.*s': %s", k->name, 64, at, why);
        return -1;
    }
    tlshs__exts_free(cfg->exts, cfg->nexts);
    cfg->exts = exts;
    cfg->nexts = n;
    return 0;
}

static int set_self_signed(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    EVP_PKEY *key;
    X509 *x;
    int ok;
    if (*value == '\0' || strlen(value) > 255 || strpbrk(value, ",/\\\"'= \t\r\n")) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%.64s' is not a host name or an IP address", k->name, value);
        return -1;
    }
    if (!(key = EVP_EC_gen("P-256"))) return fail_openssl(cfg, k->name, "cannot make a P-256 key");
    if (!(x = tlshs__make_self_signed(key, value))) {
        EVP_PKEY_free(key);
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: '%.64s': cannot make the certificate: %s", k->name, value,
             tlshs__openssl_reason("refused by OpenSSL"));
        return -1;
    }
    ok = SSL_CTX_use_certificate(cfg->ctx, x) && SSL_CTX_clear_chain_certs(cfg->ctx) &&
         SSL_CTX_use_PrivateKey(cfg->ctx, key) && tlshs__note_own_cert(cfg, x) == 0;
    X509_free(x);
    EVP_PKEY_free(key);
    if (!ok) return fail_openssl(cfg, k->name, "cannot use the certificate");
    cfg->has_cert = cfg->has_key = cfg->self_signed = 1;
    cfg->cert_key = cfg->key_key = k->name;
    return 0;
}

/* ---- a pre-shared key (psk, psk_identity) ---- */

#define PSK_DEFAULT_IDENTITY "Client_identity" /* openssl s_client's and s_server's */

/* A client's PSK: its identity and key, for TLS 1.2's PSK suites and (with
   a SHA-256 suite) TLS 1.3's external PSK, as OpenSSL derives it. */
static unsigned int psk_client(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
                               unsigned char *psk, unsigned int max_psk_len) {
    const tlshs_config *cfg = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const char *id = cfg && cfg->psk_identity ? cfg->psk_identity : PSK_DEFAULT_IDENTITY;
    (void)hint;
    if (!cfg || !cfg->psk_len || strlen(id) + 1 > max_identity_len || cfg->psk_len > max_psk_len) return 0;
    memcpy(identity, id, strlen(id) + 1);
    memcpy(psk, cfg->psk, cfg->psk_len);
    return (unsigned int)cfg->psk_len;
}

/* A server's PSK for the client's identity: any, or the psk_identity set. */
static unsigned int psk_server(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len) {
    const tlshs_config *cfg = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (!cfg || !cfg->psk_len || cfg->psk_len > max_psk_len) return 0;
    if (cfg->psk_identity && (!identity || strcmp(identity, cfg->psk_identity) != 0)) return 0;
    memcpy(psk, cfg->psk, cfg->psk_len);
    return (unsigned int)cfg->psk_len;
}

static int set_psk(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    size_t n = strlen(value);
    unsigned char key[sizeof cfg->psk];
    if (n == 0 || n % 2 || n / 2 > sizeof key) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: a key of 1 to %zu bytes in hex (an even number of "
                                  "hex digits), not %zu characters", k->name, sizeof key, n);
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = tlshs__hex_digit(value[2 * i]), lo = tlshs__hex_digit(value[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(key, sizeof key);
            tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: not hex digits", k->name);
            return -1;
        }
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    memcpy(cfg->psk, key, n / 2);
    cfg->psk_len = n / 2;
    OPENSSL_cleanse(key, sizeof key);
    if (cfg->role == TLSHS_CLIENT) SSL_CTX_set_psk_client_callback(cfg->ctx, psk_client);
    else SSL_CTX_set_psk_server_callback(cfg->ctx, psk_server);
    return 0;
}

static int set_psk_identity(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    char *copy;
    if (*value == '\0' || strlen(value) > PSK_MAX_IDENTITY_LEN) {
        tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: 1 to %d bytes", k->name, PSK_MAX_IDENTITY_LEN);
        return -1;
    }
    if (!(copy = strdup(value))) return fail_openssl(cfg, k->name, "out of memory");
    free(cfg->psk_identity);
    cfg->psk_identity = copy;
    return 0;
}

/* The datagram keys' setters live in keys_datagram.c. */
#define set_transport tlshs__set_transport
#define set_mtu tlshs__set_mtu
#define set_cookie tlshs__set_cookie
#define set_retransmit_ms tlshs__set_retransmit_ms
#define set_use_srtp tlshs__set_use_srtp

/* The table of tlshs.h, with each key's setter set_NAME beside it. */
static const tlshs_key_info key_infos[] = {
#define KEY_INFO(name, kind, roles, metavar, def, help) {#name, TLSHS_KEY_##kind, roles, metavar, def, help},
    TLSHS_CONFIG_KEYS(KEY_INFO)
#undef KEY_INFO
};

static const key_setter key_setters[] = {
#define KEY_SETTER(name, kind, roles, metavar, def, help) set_##name,
    TLSHS_CONFIG_KEYS(KEY_SETTER)
#undef KEY_SETTER
};

#define KEY_COUNT (sizeof key_infos / sizeof key_infos[0])

size_t tlshs_config_key_count(void) { /* see tlshs.h */
    return KEY_COUNT;
}

const tlshs_key_info *tlshs_config_key(size_t i) { /* see tlshs.h */
    return i < KEY_COUNT ? &key_infos[i] : NULL;
}

const tlshs_key_info *tlshs_config_key_find(const char *name) { /* see tlshs.h */
    for (size_t i = 0; name && i < KEY_COUNT; i++)
        if (strcmp(key_infos[i].name, name) == 0) return &key_infos[i];
    return NULL;
}

static const char *const kind_names[] = {"text", "path", "pem", "switch", "number", "list"};

const char *tlshs_key_kind_name(tlshs_key_kind kind) { /* see tlshs.h */
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "unknown";
}

int tlshs_config_set(tlshs_config *cfg, const char *key, const char *value) { /* see tlshs.h */
    if (!cfg) return -1;
    if (!key || !value) {
        tlshs__config_fail(cfg, TLSHS_E_ARGUMENT, "%s: %s is NULL", key ? key : "(null)",
                           key ? "value" : "key");
        return -1;
    }
    for (size_t i = 0; i < KEY_COUNT; i++) {
        const tlshs_key_info *k = &key_infos[i];
        int r = -1;
        if (strcmp(k->name, key) != 0) continue;
        if (!CRYPTO_THREAD_write_lock(cfg->lock)) return -1;
        if (atomic_load(&cfg->in_use)) {
            tlshs__config_fail_locked(cfg, TLSHS_E_IN_USE, "%s: config is in use by a handshake", key);
        } else if (!(k->roles & (1u << cfg->role))) {
            tlshs__config_fail_locked(cfg, TLSHS_E_BAD_VALUE, "%s: only a %s uses this key", key,
                 tlshs_role_name(cfg->role == TLSHS_CLIENT ? TLSHS_SERVER : TLSHS_CLIENT));
        } else {
            ERR_clear_error();
            r = key_setters[i](cfg, k, value);
            if (r == 0) tlshs__config_succeeded_locked(cfg);
        }
        CRYPTO_THREAD_unlock(cfg->lock);
        return r;
    }
    tlshs__config_fail(cfg, TLSHS_E_UNKNOWN_KEY, "%s: unknown key", key);
    return -1;
}
