/* config.c - tlshs_config: one SSL_CTX and its reference count; the checks
   of keys together (tlshs_config_check) and the freeze the first handshake
   makes.  The keys themselves are keys.c's. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "tlshs_internal.h"

void tlshs__config_hook_keylog(tlshs_config *cfg) {
    if (atomic_load(&cfg->keylog_hooked)) return;
    if (!CRYPTO_THREAD_write_lock(cfg->lock)) return;
    if (!atomic_load(&cfg->keylog_hooked)) {
        SSL_CTX_set_keylog_callback(cfg->ctx, tlshs__keylog_line);
        atomic_store(&cfg->keylog_hooked, 1);
    }
    CRYPTO_THREAD_unlock(cfg->lock);
}

tlshs_config *tlshs_config_new(tlshs_role role) { /* see tlshs.h */
    tlshs_config *cfg;
    if (role != TLSHS_CLIENT && role != TLSHS_SERVER) return NULL;
    if (tlshs_openssl_mismatch()) return NULL; /* runs on another OpenSSL than it was built for */
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
    atomic_init(&cfg->keylog_hooked, 0);
    cfg->serial = tlshs__config_serial();
    cfg->role = role;
    cfg->verify = role == TLSHS_CLIENT ? TLSHS_VERIFY_PEER : TLSHS_VERIFY_NONE;
    SSL_CTX_set_app_data(cfg->ctx, cfg);
    SSL_CTX_set_min_proto_version(cfg->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(cfg->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(cfg->ctx, tlshs__no_password);
    if (role == TLSHS_SERVER) {
        static const unsigned char sid_ctx[] = "tlshs";
        SSL_CTX_set_session_id_context(cfg->ctx, sid_ctx, sizeof sid_ctx - 1);
        SSL_CTX_set_dh_auto(cfg->ctx, 1); /* DHE suites can be chosen, as with openssl s_server */
    }
    cfg->keylog = -1;
    cfg->security_level = -1;
    cfg->num_tickets = -1;
    return cfg;
}

void tlshs_config_free(tlshs_config *cfg) { /* see tlshs.h */
    if (!cfg || atomic_fetch_sub(&cfg->refs, 1) != 1) return;
    SSL_CTX_free(cfg->ctx);
    CRYPTO_THREAD_lock_free(cfg->lock);
    if (cfg->keylog >= 0) close(cfg->keylog);
    EVP_PKEY_free(cfg->dh_params);
    free(cfg->alpn);
    free(cfg->ocsp);
    tlshs__exts_free(cfg->exts, cfg->nexts);
    free(cfg->cert_pem);
    OPENSSL_cleanse(cfg->psk, sizeof cfg->psk);
    free(cfg->psk_identity);
    free(cfg->ciphers);
    free(cfg->ciphersuites);
    OPENSSL_cleanse(cfg->cookie_secret, sizeof cfg->cookie_secret);
    free(cfg);
}

/* ---- the checks of keys together, and the freeze ---- */

/* What tlshs_config_check checks; the caller holds the lock for writing. */
static int check_locked(tlshs_config *cfg) {
    long min = SSL_CTX_get_min_proto_version(cfg->ctx);
    long max = SSL_CTX_get_max_proto_version(cfg->ctx);
    int level;
    if (min && max && min > max) {
        tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE, "max_version: %s is below min_version %s%s: no version is left",
             tlshs__version_name(max), tlshs__version_name(min), cfg->has_min ? "" : " (the default)");
        return -1;
    }
    if (tlshs__check_datagram_keys(cfg)) return -1;
    if (cfg->security_level >= 0) SSL_CTX_set_security_level(cfg->ctx, cfg->security_level);
    level = SSL_CTX_get_security_level(cfg->ctx);
    if (level > 5) level = 5;
    if (cfg->has_cert && cfg->has_key && !SSL_CTX_check_private_key(cfg->ctx)) {
        tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE, "%s: the key does not match the certificate (%s)", cfg->key_key,
             cfg->cert_key);
        return -1;
    }
    if (tlshs__check_certs_level(cfg, level)) return -1;
    if (cfg->self_signed && cfg->given_cert) {
        /* OpenSSL keeps a certificate per key type: both would be served */
        tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE, "self_signed: the config also has a certificate or key "
             "from cert_file, cert_pem, key_file or key_pem: use one or the other");
        return -1;
    }
    if (cfg->num_tickets > 0 && (SSL_CTX_get_options(cfg->ctx) & SSL_OP_NO_TICKET)) {
        tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE, "num_tickets: %d tickets, but tickets is off", cfg->num_tickets);
        return -1;
    }
    if (cfg->dh_params) {
        EVP_PKEY *dh = cfg->dh_params;
        if (!EVP_PKEY_up_ref(dh)) {
            tlshs__config_fail_locked(cfg, TLSHS_E_NOMEM, "dh_params_file: out of memory");
            return -1;
        }
        if (!SSL_CTX_set0_tmp_dh_pkey(cfg->ctx, dh)) { /* takes the reference only on success */
            EVP_PKEY_free(dh);
            tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE, "dh_params_file: %d-bit parameters are below security_level %d",
                 EVP_PKEY_get_bits(dh), level);
            return -1;
        }
    }
    ERR_clear_error();
    return 0;
}

int tlshs_config_check(tlshs_config *cfg) { /* see tlshs.h */
    int r;
    if (!cfg) return -1;
    if (atomic_load(&cfg->in_use)) return 0;
    if (!CRYPTO_THREAD_write_lock(cfg->lock)) return -1;
    r = atomic_load(&cfg->in_use) ? 0 : check_locked(cfg);
    if (r == 0) tlshs__config_succeeded_locked(cfg);
    CRYPTO_THREAD_unlock(cfg->lock);
    return r;
}

/* The system trust store: loaded once per process (OpenSSL reads the bundle
   and notes the hashed directory, honouring SSL_CERT_FILE and SSL_CERT_DIR),
   then shared by every client config with no ca_* key.  OpenSSL counts its
   references; nothing of ours ever adds to it. */
static CRYPTO_ONCE system_store_once = CRYPTO_ONCE_STATIC_INIT;
static X509_STORE *system_store;

static void load_system_store(void) {
    X509_STORE *store = X509_STORE_new();
    if (store && !X509_STORE_set_default_paths(store)) {
        X509_STORE_free(store);
        store = NULL;
    }
    system_store = store;
}

static int freeze_locked(tlshs_config *cfg, const struct tlshs__server_callbacks *cbs);

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
   one (the checks of keys together, the verify mode, the system store);
   from then on cfg is read-only.  Once, under the config's lock, whichever
   thread comes first.  Returns 0, or -1 with the reason in cfg->error. */
int tlshs__config_freeze(tlshs_config *cfg, const struct tlshs__server_callbacks *cbs) {
    int r;
    if (atomic_load(&cfg->in_use)) return 0; /* the fast path of every later handshake */
    if (!CRYPTO_THREAD_write_lock(cfg->lock)) return -1;
    r = atomic_load(&cfg->in_use) ? 0 : freeze_locked(cfg, cbs);
    CRYPTO_THREAD_unlock(cfg->lock);
    return r;
}

static int freeze_locked(tlshs_config *cfg, const struct tlshs__server_callbacks *cbs) {
    static const int modes[] = {SSL_VERIFY_NONE, SSL_VERIFY_PEER,
                                SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT};
    if (cfg->role == TLSHS_SERVER && !cfg->has_cert && !cfg->psk_len) {
        tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE, "cert_file: a server needs a certificate (cert_file or cert_pem), or a psk");
        return -1;
    }
    if (cfg->has_cert != cfg->has_key) {
        tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE, cfg->has_cert ? "key_file: the certificate has no key (key_file or key_pem)"
                                                    : "cert_file: the key has no certificate (cert_file or cert_pem)");
        return -1;
    }
    if (check_locked(cfg)) return -1;
    if (cfg->role == TLSHS_CLIENT && !cfg->has_ca && cfg->verify != TLSHS_VERIFY_NONE) {
        if (!CRYPTO_THREAD_run_once(&system_store_once, load_system_store) || !system_store) {
            tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "ca_file: cannot load the system trust store: %s",
                 tlshs__openssl_reason("unknown error"));
            return -1;
        }
        SSL_CTX_set1_cert_store(cfg->ctx, system_store); /* one more reference */
    }
    SSL_CTX_set_verify(cfg->ctx, modes[cfg->verify], tlshs__on_verify);
    if (cfg->role == TLSHS_SERVER) SSL_CTX_set_client_hello_cb(cfg->ctx, cbs->on_hello, NULL);
    if (cfg->datagram) {
        /* mtu is the UDP payload: tlshs sets it on each handshake, OpenSSL
           never asks the socket (which would count IP and UDP headers in) */
        SSL_CTX_set_options(cfg->ctx, SSL_OP_NO_QUERY_MTU);
        if (cfg->role == TLSHS_SERVER && !cfg->no_cookie) {
            if (RAND_bytes(cfg->cookie_secret, sizeof cfg->cookie_secret) != 1) {
                tlshs__config_fail_locked(cfg, TLSHS_E_NOMEM, "cookie: no random secret: %s",
                                          tlshs__openssl_reason("the random generator failed"));
                return -1;
            }
            SSL_CTX_set_cookie_generate_cb(cfg->ctx, cbs->cookie_make);
            SSL_CTX_set_cookie_verify_cb(cfg->ctx, cbs->cookie_check);
        }
    }
    build_chains(cfg);
    if (tlshs__bind_sessions(cfg)) return -1;
    if (cfg->num_tickets >= 0) SSL_CTX_set_num_tickets(cfg->ctx, (size_t)cfg->num_tickets);
    if (!cfg->exts_added && tlshs__add_custom_exts(cfg)) {
        tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE, "extensions: OpenSSL refused a type: %s",
             tlshs__openssl_reason("unknown reason"));
        return -1;
    }
    cfg->exts_added = 1;
    ERR_clear_error();
    atomic_store(&cfg->in_use, 1);
    return 0;
}
