/* test_gnutls.c - tlshs against GnuTLS: its client against `gnutls-serv`,
   its server against `gnutls-cli`, both in fd mode on 127.0.0.1 (the link
   of peer.h). */
#include "check.h"
#include "peer.h"

#define TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define TLS13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"

/* gnutls-serv and gnutls-cli take a while to start: phases of 10 s. */
#define GNUTLS_PHASE 10.0

struct gnutls_case {
    const char *priority; /* GnuTLS's versions */
    const char *expect;   /* the version tlshs must report */
    int client_cert;      /* the server requires one, the client has one */
    const char *alpn;     /* offered by both, or NULL */
};

/* Writes a line and reads it back from the echo server. */
static int echo(peer_link *l, const char *line) {
    return link_write(l, line, strlen(line)) == 0 && link_read_exact(l, line, strlen(line)) == 0;
}

/* tlshs client against gnutls-serv --echo. */
static void client_vs_gnutls_serv(peer_link *l, const struct gnutls_case *t) {
    char alpn_arg[64] = "";
    const char *extra[5] = {NULL};
    int k = 0;
    if (t->client_cert) {
        extra[k++] = "--require-client-cert";
        extra[k++] = "--x509cafile";
        extra[k++] = cert_path("ca.pem");
    } else {
        extra[k++] = "--disable-client-cert";
    }
    if (t->alpn) {
        snprintf(alpn_arg, sizeof alpn_arg, "--alpn=%s", t->alpn);
        extra[k++] = alpn_arg;
    }
    CHECK(link_to_gnutls_serv(l, t->priority, extra) == 0);
    l->cfg = t->client_cert ? client_with("cert_file", cert_path("client.pem"), "key_file",
                                          cert_path("client.key"), NULL)
                            : client_config();
    CHECK(l->cfg);
    if (t->alpn) CHECK_INT(tlshs_config_set(l->cfg, "alpn", t->alpn), ==, 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK_STR(tlshs_version(l->hs), t->expect);
    CHECK_INT(tlshs_verify_result(l->hs), ==, 0);
    if (t->alpn) CHECK_STR(tlshs_alpn(l->hs), t->alpn);
    CHECK_INT(tlshs_resumed(l->hs), ==, 0);
    /* the echo server sends back what we write */
    CHECK(echo(l, "ping from tlshs\n"));
}

static void run_client(const struct gnutls_case *t) {
    peer_link l;
    link_init(&l, 1);
    l.phase = GNUTLS_PHASE;
    client_vs_gnutls_serv(&l, t);
    link_close(&l);
}

TEST(test_gnutls_serv_tls13) {
    run_client(&(struct gnutls_case){TLS13, "TLSv1.3", 0, "h2"});
}

TEST(test_gnutls_serv_tls12) {
    run_client(&(struct gnutls_case){TLS12, "TLSv1.2", 0, "http/1.1"});
}

TEST(test_gnutls_serv_client_cert) {
    run_client(&(struct gnutls_case){TLS13, "TLSv1.3", 1, NULL});
}

/* A session from one gnutls-serv process resumes only on that process (its
   ticket key), so the two handshakes share one server: TLS 1.2 with session
   IDs would need the same; gnutls-serv serves many connections in turn. */
static void resumption_body(peer_link *l) {
    static const char *const extra[] = {"--disable-client-cert", NULL};
    unsigned char sess[8192];
    size_t sess_len;
    l->cfg = client_config();
    CHECK(l->cfg);
    CHECK(link_to_gnutls_serv(l, TLS13, extra) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    /* the tickets arrive after the handshake: an echo round trip reads them */
    CHECK(echo(l, "x\n"));
    sess_len = tlshs_session(l->hs, sess, sizeof sess);
    CHECK(sess_len > 0 && sess_len <= sizeof sess);
    link_hangup(l);
    CHECK(link_connect(l, l->port) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_INT(tlshs_set_session(l->hs, sess, sess_len), ==, 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK_INT(tlshs_resumed(l->hs), ==, 1);
}

TEST(test_gnutls_serv_resumption) {
    peer_link l;
    link_init(&l, 1);
    l.phase = GNUTLS_PHASE;
    resumption_body(&l);
    link_close(&l);
}

/* tlshs server against gnutls-cli: a line from gnutls-cli's stdin to us, and
   one from us to its stdout. */
static void server_vs_gnutls_cli(peer_link *l, const char *priority, const char *expect) {
    char port_s[16];
    CHECK(link_listen(l) == 0);
    snprintf(port_s, sizeof port_s, "%d", l->port);
    peer_argl(&l->args, "gnutls-cli", "--x509cafile", cert_path("ca.pem"), "--sni-hostname",
              "localhost", "--verify-hostname", "localhost", "--priority", priority, "-p", port_s,
              "127.0.0.1", (char *)NULL);
    CHECK(link_start(l) == 0);
    CHECK(link_accept(l) == 0);
    l->cfg = server_config();
    CHECK(l->cfg);
    CHECK(link_attach(l, tlshs_new(l->cfg, NULL)) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK_STR(tlshs_version(l->hs), expect);
    CHECK_STR(tlshs_server_name(l->hs), "localhost");
    CHECK_INT(peer_write(&l->peer, "hello from gnutls\n", 18, peer_now() + peer_budget(l->phase)),
              ==, 0);
    CHECK_INT(link_read_exact(l, "hello from gnutls\n", 18), ==, 0);
    CHECK_INT(link_write(l, "hello from tlshs\n", 17), ==, 0);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "hello from tlshs",
                        peer_now() + peer_budget(l->phase)));
}

static void run_server(const char *priority, const char *expect) {
    peer_link l;
    link_init(&l, 1);
    l.phase = GNUTLS_PHASE;
    server_vs_gnutls_cli(&l, priority, expect);
    link_close(&l);
}

TEST(test_gnutls_cli_tls13) {
    run_server(TLS13, "TLSv1.3");
}

TEST(test_gnutls_cli_tls12) {
    run_server(TLS12, "TLSv1.2");
}
