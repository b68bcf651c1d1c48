/* config.c - tlshs_config: one SSL_CTX, its keys, and its reference count. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tlshs_internal.h"

void tlshs__format(char *buf, const char *fmt, va_list ap) {
    vsnprintf(buf, TLSHS_MSGLEN, fmt, ap);
}

const char *tlshs__openssl_reason(const char *fallback) {
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

void tlshs__config_fail(tlshs_config *cfg, tlshs_code code, const char *fmt, ...) {
    va_list ap;
    cfg->error_code = code;
    va_start(ap, fmt);
    tlshs__format(cfg->error, fmt, ap);
    va_end(ap);
    ERR_clear_error();
}

/* A password callback that never prompts: an encrypted key fails to load
   instead of blocking on the terminal. */
static int no_password(char *buf, int size, int rwflag, void *userdata) {
    (void)buf, (void)size, (void)rwflag, (void)userdata;
    return 0;
}

static void keylog_line(const SSL *ssl, const char *line) {
    tlshs_config *cfg = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (cfg && cfg->keylog) {
        fprintf(cfg->keylog, "%s\n", line);
        fflush(cfg->keylog);
    }
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

tlshs_config *tlshs_config_new(tlshs_role role) { /* see tlshs.h */
    tlshs_config *cfg;
    if (role != TLSHS_CLIENT && role != TLSHS_SERVER) return NULL;
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) return NULL;
    cfg->ctx = SSL_CTX_new(role == TLSHS_CLIENT ? TLS_client_method() : TLS_server_method());
    cfg->lock = CRYPTO_THREAD_lock_new();
    if (!cfg->ctx || !cfg->lock) {
        SSL_CTX_free(cfg->ctx);
        CRYPTO_THREAD_lock_free(cfg->lock);
        ERR_clear_error();
        free(cfg);
        return NULL;
    }
    atomic_init(&cfg->refs, 1);
    atomic_init(&cfg->in_use, 0);
    cfg->role = role;
    cfg->verify = role == TLSHS_CLIENT ? TLSHS_VERIFY_PEER : TLSHS_VERIFY_NONE;
    SSL_CTX_set_app_data(cfg->ctx, cfg);
    SSL_CTX_set_min_proto_version(cfg->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(cfg->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(cfg->ctx, no_password);
    if (role == TLSHS_SERVER) {
        static const unsigned char sid_ctx[] = "tlshs";
        SSL_CTX_set_session_id_context(cfg->ctx, sid_ctx, sizeof sid_ctx - 1);
    }
    return cfg;
}

/* ---- the keys ---- */

struct key_entry;
typedef int (*key_setter)(tlshs_config *cfg, const struct key_entry *k, const char *value);

struct key_entry {
    const char *key;
    key_setter set;
    const char *conf_cmd; /* the SSL_CONF_cmd command, for keys OpenSSL parses */
};

/* Fails with "key: cannot read path: reason" unless path opens for reading. */
static int check_readable(tlshs_config *cfg, const char *key, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        tlshs__config_fail(cfg, TLSHS_E_FILE, "%s: cannot read %s: %s", key, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

static int fail_openssl(tlshs_config *cfg, const char *key, const char *what) {
    tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: %s: %s", key, what, tlshs__openssl_reason("unknown error"));
    return -1;
}

static int set_ca_file(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    if (check_readable(cfg, k->key, value)) return -1;
    if (!SSL_CTX_load_verify_file(cfg->ctx, value)) return fail_openssl(cfg, k->key, value);
    cfg->has_ca = 1;
    return 0;
}

static int set_ca_path(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    DIR *d = opendir(value);
    if (!d) {
        tlshs__config_fail(cfg, TLSHS_E_FILE, "%s: cannot open directory %s: %s", k->key, value, strerror(errno));
        return -1;
    }
    closedir(d);
    if (!SSL_CTX_load_verify_dir(cfg->ctx, value)) return fail_openssl(cfg, k->key, value);
    cfg->has_ca = 1;
    return 0;
}

static int set_ca_pem(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    X509_STORE *store = SSL_CTX_get_cert_store(cfg->ctx);
    X509 *x;
    int count = 0;
    if (!bio) return fail_openssl(cfg, k->key, "out of memory");
    while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL) {
        int ok = X509_STORE_add_cert(store, x);
        X509_free(x);
        if (!ok) {
            BIO_free(bio);
            return fail_openssl(cfg, k->key, "cannot add certificate");
        }
        count++;
    }
    BIO_free(bio);
    if (count == 0) {
        tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: no PEM certificate found", k->key);
        return -1;
    }
    ERR_clear_error(); /* the end of input left PEM's "no start line" */
    cfg->has_ca = 1;
    return 0;
}

static int set_cert_file(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    if (check_readable(cfg, k->key, value)) return -1;
    if (!SSL_CTX_use_certificate_chain_file(cfg->ctx, value))
        return fail_openssl(cfg, k->key, value);
    cfg->has_cert = 1;
    return 0;
}

static int set_key_file(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    if (check_readable(cfg, k->key, value)) return -1;
    if (!SSL_CTX_use_PrivateKey_file(cfg->ctx, value, SSL_FILETYPE_PEM))
        return fail_openssl(cfg, k->key, value);
    cfg->has_key = 1;
    return 0;
}

static int set_cert_pem(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    X509 *leaf, *x;
    int ok;
    if (!bio) return fail_openssl(cfg, k->key, "out of memory");
    leaf = PEM_read_bio_X509_AUX(bio, NULL, no_password, NULL);
    if (!leaf) {
        BIO_free(bio);
        tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: no PEM certificate found", k->key);
        return -1;
    }
    ok = SSL_CTX_use_certificate(cfg->ctx, leaf);
    X509_free(leaf);
    if (ok) ok = SSL_CTX_clear_chain_certs(cfg->ctx);
    while (ok && (x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL)
        if (!(ok = SSL_CTX_add0_chain_cert(cfg->ctx, x))) X509_free(x);
    BIO_free(bio);
    if (!ok) return fail_openssl(cfg, k->key, "cannot use the certificate");
    ERR_clear_error();
    cfg->has_cert = 1;
    return 0;
}

static int set_key_pem(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    EVP_PKEY *key;
    int ok;
    if (!bio) return fail_openssl(cfg, k->key, "out of memory");
    key = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    BIO_free(bio);
    if (!key) return fail_openssl(cfg, k->key, "no usable PEM private key");
    ok = SSL_CTX_use_PrivateKey(cfg->ctx, key);
    EVP_PKEY_free(key);
    if (!ok) return fail_openssl(cfg, k->key, "cannot use the key");
    cfg->has_key = 1;
    return 0;
}

static int set_verify(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    static const char *const levels[] = {"none", "peer", "require"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(value, levels[i]) == 0) {
            cfg->verify = (enum tlshs_verify)i;
            return 0;
        }
    }
    tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of none, peer, require", k->key, value);
    return -1;
}

/* Keys whose values OpenSSL's SSL_CONF_cmd parses. */
static int set_conf(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    SSL_CONF_CTX *cctx = SSL_CONF_CTX_new();
    int r;
    if (!cctx) return fail_openssl(cfg, k->key, "out of memory");
    SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE |
                                     (cfg->role == TLSHS_CLIENT ? SSL_CONF_FLAG_CLIENT
                                                                : SSL_CONF_FLAG_SERVER));
    SSL_CONF_CTX_set_ssl_ctx(cctx, cfg->ctx);
    r = SSL_CONF_cmd(cctx, k->conf_cmd, value);
    SSL_CONF_CTX_free(cctx);
    if (r != 2) {
        tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: OpenSSL rejected '%s': %s", k->key, value,
                           tlshs__openssl_reason("bad value"));
        return -1;
    }
    ERR_clear_error();
    return 0;
}

/* "1.2" -> "TLSv1.2" (OpenSSL's spelling is accepted too), then SSL_CONF_cmd;
   a floor above the ceiling fails at once rather than at the first handshake. */
static int set_version(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    static const char *const short_names[][2] = {
        {"1.0", "TLSv1"}, {"1.1", "TLSv1.1"}, {"1.2", "TLSv1.2"}, {"1.3", "TLSv1.3"}};
    const char *v = value;
    long old_min = SSL_CTX_get_min_proto_version(cfg->ctx);
    long old_max = SSL_CTX_get_max_proto_version(cfg->ctx);
    long min, max;
    for (size_t i = 0; i < 4; i++)
        if (strcmp(value, short_names[i][0]) == 0) v = short_names[i][1];
    if (strncmp(v, "TLSv", 4) != 0) { /* keep out SSLv3, DTLS and "None" */
        tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of 1.0, 1.1, 1.2, 1.3", k->key, value);
        return -1;
    }
    if (set_conf(cfg, k, v)) return -1;
    min = SSL_CTX_get_min_proto_version(cfg->ctx);
    max = SSL_CTX_get_max_proto_version(cfg->ctx);
    if (min && max && min > max) {
        SSL_CTX_set_min_proto_version(cfg->ctx, old_min);
        SSL_CTX_set_max_proto_version(cfg->ctx, old_max);
        tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: %s leaves no version between min_version and max_version",
                           k->key, value);
        return -1;
    }
    return 0;
}

static int set_alpn(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    size_t n = strlen(value), out = 0;
    unsigned char *wire;
    const char *p = value;
    if (n == 0) {
        tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: the list is empty", k->key);
        return -1;
    }
    wire = malloc(n + 1);
    if (!wire) return fail_openssl(cfg, k->key, "out of memory");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len > 255) {
            free(wire);
            tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s': each protocol must be 1 to 255 bytes", k->key,
                               value);
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
            return fail_openssl(cfg, k->key, value);
        }
    } else {
        SSL_CTX_set_alpn_select_cb(cfg->ctx, alpn_select, cfg);
    }
    free(cfg->alpn);
    cfg->alpn = wire;
    cfg->alpn_len = out;
    return 0;
}

static int set_tickets(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    if (strcmp(value, "on") == 0) {
        SSL_CTX_clear_options(cfg->ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(cfg->ctx, 2);
    } else if (strcmp(value, "off") == 0) {
        SSL_CTX_set_options(cfg->ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(cfg->ctx, 0);
    } else {
        tlshs__config_fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of on, off", k->key, value);
        return -1;
    }
    return 0;
}

static int set_keylog_file(tlshs_config *cfg, const struct key_entry *k, const char *value) {
    FILE *f = fopen(value, "a");
    if (!f) {
        tlshs__config_fail(cfg, TLSHS_E_FILE, "%s: cannot open %s: %s", k->key, value, strerror(errno));
        return -1;
    }
    if (cfg->keylog) fclose(cfg->keylog);
    cfg->keylog = f;
    SSL_CTX_set_keylog_callback(cfg->ctx, keylog_line);
    return 0;
}

static const struct key_entry keys[] = {
    {"ca_file", set_ca_file, NULL},
    {"ca_path", set_ca_path, NULL},
    {"ca_pem", set_ca_pem, NULL},
    {"cert_file", set_cert_file, NULL},
    {"key_file", set_key_file, NULL},
    {"cert_pem", set_cert_pem, NULL},
    {"key_pem", set_key_pem, NULL},
    {"verify", set_verify, NULL},
    {"min_version", set_version, "MinProtocol"},
    {"max_version", set_version, "MaxProtocol"},
    {"alpn", set_alpn, NULL},
    {"ciphers", set_conf, "CipherString"},
    {"ciphersuites", set_conf, "Ciphersuites"},
    {"groups", set_conf, "Groups"},
    {"sigalgs", set_conf, "SignatureAlgorithms"},
    {"tickets", set_tickets, NULL},
    {"keylog_file", set_keylog_file, NULL},
};

int tlshs_config_set(tlshs_config *cfg, const char *key, const char *value) { /* see tlshs.h */
    if (!cfg) return -1;
    if (!key || !value) {
        tlshs__config_fail(cfg, TLSHS_E_ARGUMENT, "%s: %s is NULL", key ? key : "(null)", key ? "value" : "key");
        return -1;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].key, key) == 0) {
            int r = -1;
            if (!CRYPTO_THREAD_write_lock(cfg->lock)) return -1;
            if (atomic_load(&cfg->in_use)) {
                tlshs__config_fail(cfg, TLSHS_E_IN_USE, "%s: config is in use by a handshake", key);
            } else {
                ERR_clear_error();
                r = keys[i].set(cfg, &keys[i], value);
                if (r == 0) {
                    cfg->error[0] = '\0';
                    cfg->error_code = TLSHS_OK;
                }
            }
            CRYPTO_THREAD_unlock(cfg->lock);
            return r;
        }
    }
    tlshs__config_fail(cfg, TLSHS_E_UNKNOWN_KEY, "%s: unknown key", key);
    return -1;
}

const char *tlshs_config_error(const tlshs_config *cfg) { /* see tlshs.h */
    return cfg ? cfg->error : "";
}

tlshs_code tlshs_config_error_code(const tlshs_config *cfg) { /* see tlshs.h */
    return cfg ? cfg->error_code : TLSHS_E_ARGUMENT;
}

void tlshs_config_free(tlshs_config *cfg) { /* see tlshs.h */
    if (!cfg || atomic_fetch_sub(&cfg->refs, 1) != 1) return;
    SSL_CTX_free(cfg->ctx);
    CRYPTO_THREAD_lock_free(cfg->lock);
    if (cfg->keylog) fclose(cfg->keylog);
    free(cfg->alpn);
    free(cfg);
}

static int freeze_locked(tlshs_config *cfg);

/* The chain each own certificate goes out with.  Unless told otherwise
   OpenSSL builds it from the trust store, and verifies it, on every
   handshake: 2.5 million instructions each time when the store holds the
   issuer (a server that verifies clients, a client with a certificate).
   The config is read-only from here, so the chain is built once: the same
   chain auto-chaining would send, errors ignored as there.  A chain given
   with the certificate (cert_file, cert_pem) is kept as given. */
static void build_chains(tlshs_config *cfg) {
    int more = SSL_CTX_set_current_cert(cfg->ctx, SSL_CERT_SET_FIRST);
    while (more) {
        STACK_OF(X509) *chain = NULL;
        SSL_CTX_get0_chain_certs(cfg->ctx, &chain);
        if (sk_X509_num(chain) <= 0)
            SSL_CTX_build_cert_chain(cfg->ctx, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR |
                                                   SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR);
        more = SSL_CTX_set_current_cert(cfg->ctx, SSL_CERT_SET_NEXT);
    }
    SSL_CTX_set_mode(cfg->ctx, SSL_MODE_NO_AUTO_CHAIN);
}

/* Checks that cfg can make handshakes and applies what waits for the first
   one (the verify mode, the system store); from then on cfg is read-only.
   Once, under the config's lock, whichever thread comes first.  Returns 0,
   or -1 with the reason in cfg->error. */
int tlshs__config_freeze(tlshs_config *cfg) {
    int r;
    if (atomic_load(&cfg->in_use)) return 0; /* the fast path of every later handshake */
    if (!CRYPTO_THREAD_write_lock(cfg->lock)) return -1;
    r = atomic_load(&cfg->in_use) ? 0 : freeze_locked(cfg);
    CRYPTO_THREAD_unlock(cfg->lock);
    return r;
}

static int freeze_locked(tlshs_config *cfg) {
    static const int modes[] = {SSL_VERIFY_NONE, SSL_VERIFY_PEER,
                                SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT};
    if (cfg->role == TLSHS_SERVER && !cfg->has_cert) {
        tlshs__config_fail(cfg, TLSHS_E_INCOMPLETE, "cert_file: a server needs a certificate (cert_file or cert_pem)");
        return -1;
    }
    if (cfg->has_cert != cfg->has_key) {
        tlshs__config_fail(cfg, TLSHS_E_INCOMPLETE, cfg->has_cert ? "key_file: the certificate has no key (key_file or key_pem)"
                                              : "cert_file: the key has no certificate (cert_file or cert_pem)");
        return -1;
    }
    if (cfg->has_cert && !SSL_CTX_check_private_key(cfg->ctx)) {
        tlshs__config_fail(cfg, TLSHS_E_INCOMPLETE, "key_file: the key does not match the certificate");
        return -1;
    }
    if (cfg->role == TLSHS_CLIENT && !cfg->has_ca && cfg->verify != TLSHS_VERIFY_NONE &&
        !SSL_CTX_set_default_verify_paths(cfg->ctx)) {
        tlshs__config_fail(cfg, TLSHS_E_FILE, "ca_file: cannot load the system trust store: %s",
                           tlshs__openssl_reason("unknown error"));
        return -1;
    }
    SSL_CTX_set_verify(cfg->ctx, modes[cfg->verify], tlshs__on_verify);
    build_chains(cfg);
    if (tlshs__bind_sessions(cfg)) return -1;
    ERR_clear_error();
    atomic_store(&cfg->in_use, 1);
    return 0;
}
