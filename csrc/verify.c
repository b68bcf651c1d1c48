/* verify.c - the peer's certificate as it is verified, and the sessions a
 * verifying client may resume (bound to the config that verified them). */
#include <arpa/inet.h>

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "tlshs_internal.h"

/* see tlshs_internal.h */
int tlshs__is_ip_literal(const char *name) {
    unsigned char addr[16];
    return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

/* Keeps the peer's leaf as it is verified, so it can be read even when the
   verification fails (OpenSSL then keeps no peer certificate).  Only a
   reference: the DER is made if someone asks (tlshs_peer_cert).  A TLS 1.2
   renegotiation verifies again: the newest leaf replaces the old one. */
int tlshs__on_verify(int ok, X509_STORE_CTX *store) {
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    tlshs *hs = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (hs && leaf && leaf != hs->peer_seen && X509_up_ref(leaf)) {
        X509_free(hs->peer_seen);
        hs->peer_seen = leaf;
        hs->peer->of = NULL; /* its DER is made again when asked for */
    }
    /* a server whose verify is none takes what it asked for after the
       handshake (tlshs_request_client_cert), as it would take nothing */
    return ok || (hs && hs->cfg->role == TLSHS_SERVER && hs->cfg->verify == TLSHS_VERIFY_NONE);
}

/* ---- the sessions a verifying client may resume ---- */

/* Each verifying client config gets a random session id context at its
   freeze.  OpenSSL copies it into every session the config's handshakes
   make, and into the session's DER; tlshs_set_session resumes only a session
   that carries it.  So a verifying client resumes only sessions whose peer
   it verified itself, under this config's trust (as CPython ties a session
   to the SSLContext that made it), and never one made by a client that does
   not verify, by another config, or in another process. */
#define SESSION_CONTEXT_LEN 32 /* SSL_MAX_SID_CTX_LENGTH */

static int context_index = -1; /* the SSL_CTX ex_data slot of the context */
static CRYPTO_ONCE context_once = CRYPTO_ONCE_STATIC_INIT;

static void free_context(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                         void *argp) {
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    OPENSSL_free(ptr);
}

static void make_context_index(void) {
    context_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_context);
}

/* The config's session context, or NULL if it has none. */
static const unsigned char *session_context(const tlshs_config *cfg) {
    return context_index < 0 ? NULL : SSL_CTX_get_ex_data(cfg->ctx, context_index);
}

int tlshs__bind_sessions(tlshs_config *cfg) {
    unsigned char *id;
    if (cfg->role != TLSHS_CLIENT || cfg->verify == TLSHS_VERIFY_NONE) return 0;
    if (!CRYPTO_THREAD_run_once(&context_once, make_context_index) || context_index < 0)
        goto fail;
    if (session_context(cfg)) return 0; /* an earlier freeze that failed later made it */
    id = OPENSSL_malloc(SESSION_CONTEXT_LEN);
    if (!id || RAND_bytes(id, SESSION_CONTEXT_LEN) != 1 ||
        !SSL_CTX_set_ex_data(cfg->ctx, context_index, id)) {
        OPENSSL_free(id);
        goto fail;
    }
    if (SSL_CTX_set_session_id_context(cfg->ctx, id, SESSION_CONTEXT_LEN)) return 0;
fail:
    tlshs__config_fail(cfg, TLSHS_E_NOMEM, "cannot make the config's session context: %s",
                       tlshs__openssl_reason("out of memory"));
    return -1;
}

/* Why a client must not resume sess, or NULL if it may.  A client that
   does not verify may resume any session. */
const char *tlshs__session_refusal(const tlshs *hs, SSL_SESSION *sess) {
    const unsigned char *ours = session_context(hs->cfg), *theirs;
    unsigned len = 0;
    X509 *peer;
    int match;
    if (hs->cfg->verify == TLSHS_VERIFY_NONE) return NULL;
    theirs = SSL_SESSION_get0_id_context(sess, &len);
    if (!ours || len != SESSION_CONTEXT_LEN || CRYPTO_memcmp(ours, theirs, len) != 0)
        return "set_session: the session was not made with this config, so its peer was not "
               "verified under this config's trust";
    peer = SSL_SESSION_get0_peer(sess);
    if (!peer) return "set_session: the session holds no peer certificate to check the name against";
    if (tlshs__is_ip_literal(hs->server_name))
        match = X509_check_ip_asc(peer, hs->server_name, 0);
    else
        match = X509_check_host(peer, hs->server_name, 0,
                                X509_VERIFY_PARAM_get_hostflags(SSL_get0_param(hs->ssl)), NULL);
    if (match != 1) return "set_session: the session's certificate does not match server_name";
    return NULL;
}
