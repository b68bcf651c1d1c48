/* test_openssl.c - tlshs against raw OpenSSL objects in memory (BIO pairs),
   for what a peer does that tlshs itself never asks of another tlshs: a
   KeyUpdate request read inside tlshs_read, the certificate chain OpenSSL
   would send, and a server that renegotiates with another certificate. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "check.h"

/* A raw OpenSSL server on memory BIOs with cert_file and key_file, and
   ca_file to build its chain from (or NULL); NULL if OpenSSL refused them. */
static SSL *raw_server(const char *cert_file, const char *key_file, const char *ca_file) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL *s = NULL;
    if (ctx && SSL_CTX_use_certificate_chain_file(ctx, cert_file) &&
        SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) &&
        (!ca_file || SSL_CTX_load_verify_file(ctx, ca_file)) && (s = SSL_new(ctx)) != NULL) {
        SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
        SSL_set_accept_state(s);
    }
    SSL_CTX_free(ctx); /* s holds it */
    return s;
}

/* Moves what a tlshs object wrote to a raw OpenSSL end, and back. */
static void raw_exchange(SSL *s, tlshs *c) {
    unsigned char buf[16384];
    size_t n;
    int k;
    while ((n = tlshs_take(c, buf, sizeof buf)) > 0) BIO_write(SSL_get_rbio(s), buf, (int)n);
    while ((k = BIO_read(SSL_get_wbio(s), buf, sizeof buf)) > 0) tlshs_feed(c, buf, (size_t)k);
}

/* Steps the tlshs client c against the raw server s until DONE or CLOSED
   (or 10 rounds); the client's last result. */
static tlshs_result raw_handshake(SSL *s, tlshs *c) {
    tlshs_result r = TLSHS_WANT_READ;
    for (int i = 0; i < 10 && (r = tlshs_step(c)) != TLSHS_DONE && r != TLSHS_CLOSED; i++) {
        raw_exchange(s, c);
        SSL_do_handshake(s);
        raw_exchange(s, c);
    }
    return r;
}

/* ------------------------------------------------- a KeyUpdate asked for */

/* A raw OpenSSL server that asks for a key update: the tlshs client's read
   must answer WANT_WRITE for the KeyUpdate it owes. */
TEST(test_read_that_must_write_key_update) {
    tlshs_config *cc = client_config();
    SSL *s = raw_server(cert_path("server.pem"), cert_path("server.key"), NULL);
    tlshs *c = NULL;
    unsigned char buf[256];
    size_t n;
    tlshs_result r;
    if (!cc || !s) {
        check_fail(__FILE__, __LINE__, "set-up failed");
        goto done;
    }
    c = tlshs_new(cc, "localhost");
    if ((r = raw_handshake(s, c)) != TLSHS_DONE) {
        check_fail(__FILE__, __LINE__, "handshake with raw OpenSSL: %s", tlshs_error(c));
        goto done;
    }
    raw_exchange(s, c);
    tlshs_set_trace(c, 1);
    SSL_key_update(s, SSL_KEY_UPDATE_REQUESTED);
    SSL_write(s, "k", 1);
    raw_exchange(s, c);
    r = tlshs_read(c, buf, sizeof buf, &n); /* the ticket, the KeyUpdate, then "k" */
    if (r == TLSHS_DONE) r = tlshs_read(c, buf, sizeof buf, &n);
    if (r != TLSHS_WANT_WRITE || trace_count(c, 1, "KeyUpdate") != 1)
        check_fail(__FILE__, __LINE__, "read after a KeyUpdate request answered %s",
                   tlshs_result_name(r));
done:
    tlshs_free(c);
    SSL_free(s);
    tlshs_config_free(cc);
    ERR_clear_error();
}

/* ------------------------------------------- the chain a server sends */

/* The length of the Certificate message a traced tlshs client receives from
   a raw OpenSSL server (auto-chaining, as OpenSSL does by default) set up
   with cert_file and, if given, ca_file; 0 on failure. */
static size_t raw_server_certificate_length(const char *cert_file, const char *key_file,
                                            const char *ca_file) {
    SSL *s = raw_server(cert_file, key_file, ca_file);
    tlshs_config *cc = client_config();
    tlshs *c = s && cc ? tlshs_new(cc, "localhost") : NULL;
    size_t len = 0;
    tlshs_set_trace(c, 1);
    if (c && raw_handshake(s, c) == TLSHS_DONE)
        for (size_t i = 0; i < tlshs_trace_count(c); i++) {
            const tlshs_event *e = tlshs_trace_event(c, i);
            if (!e->sent && strcmp(e->name, "Certificate") == 0) len = e->length;
        }
    tlshs_free(c);
    SSL_free(s);
    tlshs_config_free(cc);
    ERR_clear_error();
    return len;
}

/* The same from a tlshs server with the same files. */
static size_t tlshs_server_certificate_length(const char *cert_file, const char *key_file,
                                              const char *ca_file) {
    tlshs_config *sc = make_config(TLSHS_SERVER, "cert_file", cert_file, "key_file", key_file,
                                   ca_file ? "ca_file" : (char *)NULL, ca_file, (char *)NULL);
    struct pair p = pair_of(client_config(), sc, "localhost");
    size_t len = 0;
    if (p.c && p.s) {
        tlshs_set_trace(p.c, 1);
        if (pump(p.c, p.s, 20))
            for (size_t i = 0; i < tlshs_trace_count(p.c); i++) {
                const tlshs_event *e = tlshs_trace_event(p.c, i);
                if (!e->sent && strcmp(e->name, "Certificate") == 0) len = e->length;
            }
    }
    pair_free(&p);
    return len;
}

/* tlshs builds its chain once per config where OpenSSL would rebuild it on
   every handshake: what goes on the wire must be the same. */
TEST(test_chain_built_once_sends_what_openssl_would) {
    char chain_file[512], cmd[1200]; /* a copy: cert_path's buffers are reused */
    size_t raw, ours, leaf_only;
    snprintf(chain_file, sizeof chain_file, "%s", cert_path("server-with-ca.pem"));
    snprintf(cmd, sizeof cmd, "cat %s %s > %s", cert_path("server-ec.pem"), cert_path("ca.pem"),
             chain_file);
    CHECK_INT(system(cmd), ==, 0);
    /* a store holding the issuer: the chain is leaf and CA */
    raw = raw_server_certificate_length(cert_path("server-ec.pem"), cert_path("server-ec.key"),
                                        cert_path("ca.pem"));
    ours = tlshs_server_certificate_length(cert_path("server-ec.pem"), cert_path("server-ec.key"),
                                           cert_path("ca.pem"));
    CHECK_INT(raw, >, 0);
    CHECK_INT(ours, ==, raw);
    /* no store: the leaf alone */
    leaf_only = tlshs_server_certificate_length(cert_path("server-ec.pem"),
                                                cert_path("server-ec.key"), NULL);
    CHECK_INT(leaf_only, ==, raw_server_certificate_length(cert_path("server-ec.pem"),
                                                           cert_path("server-ec.key"), NULL));
    CHECK_INT(leaf_only, <, ours);
    /* a chain given in the file is sent as given, store or not */
    CHECK_INT(tlshs_server_certificate_length(chain_file, cert_path("server-ec.key"), NULL), ==,
              raw);
    CHECK_INT(tlshs_server_certificate_length(chain_file, cert_path("server-ec.key"),
                                              cert_path("ca.pem")),
              ==, raw);
}

/* ------------------------------------------------------- renegotiation */

/* A raw OpenSSL server renegotiates (TLS 1.2) with another certificate:
   the tlshs client verifies the new one, and tlshs_peer_cert shows it. */
TEST(test_peer_cert_after_renegotiation) {
    tlshs_config *cc = client_with("max_version", "1.2", (char *)NULL);
    SSL *s = raw_server(cert_path("server.pem"), cert_path("server.key"), NULL);
    tlshs *c = NULL;
    unsigned char buf[256];
    tlshs_result r = TLSHS_WANT_READ;
    if (!cc || !s) {
        check_fail(__FILE__, __LINE__, "raw server setup");
        goto out;
    }
    c = tlshs_new(cc, "localhost");
    tlshs_set_trace(c, 1);
    r = raw_handshake(s, c);
    if (r != TLSHS_DONE || !peer_cert_is(c, cert_path("server.pem"))) {
        check_fail(__FILE__, __LINE__, "first handshake: %s \"%s\"", tlshs_result_name(r),
                   tlshs_error(c));
        goto out;
    }
    /* the server takes the ECDSA certificate and asks for a new handshake */
    SSL_set_options(s, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION); /* a full one */
    SSL_certs_clear(s);
    if (!SSL_use_certificate_chain_file(s, cert_path("server-ec.pem")) ||
        !SSL_use_PrivateKey_file(s, cert_path("server-ec.key"), SSL_FILETYPE_PEM) ||
        !SSL_renegotiate(s) || SSL_do_handshake(s) != 1) {
        check_fail(__FILE__, __LINE__, "raw server: cannot renegotiate");
        goto out;
    }
    for (int i = 0; i < 20 && SSL_renegotiate_pending(s); i++) {
        size_t n;
        raw_exchange(s, c);
        r = tlshs_read(c, buf, sizeof buf, &n); /* the client answers within read */
        raw_exchange(s, c);
        if (SSL_read(s, buf, sizeof buf) <= 0) ERR_clear_error(); /* the server goes on */
    }
    if (SSL_renegotiate_pending(s) || r == TLSHS_CLOSED) {
        check_fail(__FILE__, __LINE__, "renegotiation did not finish: %s \"%s\"",
                   tlshs_result_name(r), tlshs_error(c));
        goto out;
    }
    if (trace_count(c, 0, "Certificate") != 2)
        check_fail(__FILE__, __LINE__, "%d Certificate messages", trace_count(c, 0, "Certificate"));
    else if (!peer_cert_is(c, cert_path("server-ec.pem")))
        check_fail(__FILE__, __LINE__, "tlshs_peer_cert still shows the first certificate");
    else if (tlshs_verify_result(c) != X509_V_OK)
        check_fail(__FILE__, __LINE__, "verify result %ld", tlshs_verify_result(c));
out:
    tlshs_free(c);
    SSL_free(s);
    tlshs_config_free(cc);
    ERR_clear_error();
}

