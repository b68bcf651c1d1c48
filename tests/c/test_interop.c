/*
 * test_interop.c - tlshs against real OpenSSL peers on 127.0.0.1.
 *
 * tlshs as a client against an `openssl s_server` process, and as a server
 * against an `openssl s_client` process; in memory mode and in fd mode (the
 * link of peer.h drives either); TLS 1.2 and 1.3, RSA and ECDSA server
 * certificates, with and without a client certificate, ALPN, a
 * HelloRetryRequest forced by the groups offered, a KeyUpdate the peer asks
 * for, and failures (an unknown CA, a missing client certificate), judged by
 * their codes and alerts.
 *
 * After the handshake each test sends about 20 kB each way: through tlshs to
 * the peer's stdout, and into the peer's stdin back through tlshs.  Both
 * s_server and s_client echo what they read to stdout and send what they read
 * from stdin; the payloads are digits only, because both tools take a chunk
 * of stdin that starts with certain letters as a command.
 *
 * Every test runs its checks in an inner function and cleans up with
 * link_close in the outer one (CHECK returns early), so every child is
 * killed and reaped, every socket closed and every object freed whatever
 * happens.
 */
#include <stdlib.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_interop.h"
#undef TEST_ENTRY

/* Bytes sent each way after the handshake. */
#define PAYLOAD_LEN 20000

/* What one test runs. */
typedef struct opts {
    int fd_mode;         /* fd mode, else memory mode */
    const char *version; /* "1.2" or "1.3" (the peer, or tlshs, is held to it) */
    int ecdsa;           /* server-ec.pem instead of server.pem */
    int client_cert;     /* the client presents client.pem; the server requires one */
    int alpn;            /* both offer ALPN */
    int hrr;             /* groups that force a HelloRetryRequest */
    int key_update;      /* the peer asks for a TLS 1.3 KeyUpdate after the data */
} opts;

/* Digits in lines of 64, ending with a newline and then a NUL (len - 1
   bytes to send): no chunk of it is an s_server/s_client command. */
static void make_payload(char *buf, size_t len, int seed) {
    for (size_t i = 0; i + 1 < len; i++)
        buf[i] = (i % 64 == 63) ? '\n' : (char)('0' + (int)((i * 7 + (size_t)seed) % 10));
    buf[len - 2] = '\n';
    buf[len - 1] = '\0';
}

static const char *version_flag(const opts *o) {
    return strcmp(o->version, "1.2") == 0 ? "-tls1_2" : "-tls1_3";
}

static const char *server_cert(const opts *o) {
    return cert_path(o->ecdsa ? "server-ec.pem" : "server.pem");
}

static const char *server_key(const opts *o) {
    return cert_path(o->ecdsa ? "server-ec.key" : "server.key");
}

/* ---- after the handshake ---- */

/* Payloads both ways: tlshs -> the peer's stdout, the peer's stdin -> tlshs. */
static int exchange(peer_link *l) {
    static char to_peer[PAYLOAD_LEN + 1], from_peer[PAYLOAD_LEN + 1];
    make_payload(to_peer, sizeof to_peer, 1);
    make_payload(from_peer, sizeof from_peer, 4);
    if (link_write(l, to_peer, PAYLOAD_LEN) != 0) return -1;
    if (!peer_wait_for(&l->peer, PEER_STDOUT, to_peer, peer_now() + peer_budget(l->phase))) {
        check_fail(__FILE__, __LINE__, "the peer did not print the %d bytes sent to it",
                   PAYLOAD_LEN);
        return -1;
    }
    if (peer_write(&l->peer, from_peer, PAYLOAD_LEN, peer_now() + peer_budget(l->phase)) != 0) {
        check_fail(__FILE__, __LINE__, "writing to the peer's stdin failed");
        return -1;
    }
    return link_read_exact(l, from_peer, PAYLOAD_LEN);
}

static int received_key_update(peer_link *l, void *arg) {
    (void)arg;
    return trace_count(l->hs, 0, "KeyUpdate") > 0;
}

/* The peer sends a KeyUpdate asking for ours ("K" on its stdin); tlshs then
   reads the peer's data under its new keys and answers with its own
   KeyUpdate before its next data, which the peer must read. */
static int key_update(peer_link *l) {
    char line_in[65], line_out[65];
    size_t before = l->rx_len;
    tlshs_result r;
    make_payload(line_in, sizeof line_in, 2);
    make_payload(line_out, sizeof line_out, 3);
    /* alone on the line, or the peer does not take it as a command */
    if (peer_write(&l->peer, "K\n", 2, peer_now() + peer_budget(l->phase)) != 0) return -1;
    r = link_read(l, l->phase, received_key_update, NULL);
    if (r == TLSHS_CLOSED || !received_key_update(l, NULL) || l->rx_len != before) {
        check_fail(__FILE__, __LINE__, "waiting for the peer's KeyUpdate: %s, %zu bytes of data",
                   tlshs_result_name(r), l->rx_len - before);
        return -1;
    }
    /* memory mode: the read that owes our KeyUpdate says so */
    if (!l->fd_mode && !l->read_wrote) {
        check_fail(__FILE__, __LINE__, "no read answered WANT_WRITE for the owed KeyUpdate");
        return -1;
    }
    if (peer_write(&l->peer, line_in, 64, peer_now() + peer_budget(l->phase)) != 0) return -1;
    link_rx_clear(l);
    if (link_read_exact(l, line_in, 64) != 0) return -1;
    if (link_write(l, line_out, 64) != 0) return -1;
    if (!peer_wait_for(&l->peer, PEER_STDOUT, line_out, peer_now() + peer_budget(l->phase))) {
        check_fail(__FILE__, __LINE__, "the peer did not print the line sent after KeyUpdate");
        return -1;
    }
    if (trace_count(l->hs, 1, "KeyUpdate") != 1 || trace_count(l->hs, 0, "KeyUpdate") != 1) {
        check_fail(__FILE__, __LINE__, "KeyUpdate sent %d, received %d; want 1 and 1",
                   trace_count(l->hs, 1, "KeyUpdate"), trace_count(l->hs, 0, "KeyUpdate"));
        return -1;
    }
    return 0;
}

/* ---- what both roles check ---- */

/* The outcome common to both roles after DONE. */
static void check_outcome(const peer_link *l, const opts *o) {
    const char *cipher = tlshs_cipher(l->hs);
    CHECK_STR(tlshs_version(l->hs), strcmp(o->version, "1.2") == 0 ? "TLSv1.2" : "TLSv1.3");
    CHECK(cipher && *cipher);
    if (strcmp(o->version, "1.3") == 0) {
        CHECK_INT(strncmp(cipher, "TLS_", 4), ==, 0);
    } else {
        /* a TLS 1.2 suite names the server key's type */
        CHECK_CONTAINS(cipher, o->ecdsa ? "ECDSA" : "RSA");
        if (!o->ecdsa) CHECK(strstr(cipher, "ECDSA") == NULL);
    }
    CHECK_INT(tlshs_verify_result(l->hs), ==, 0);
    CHECK_INT(tlshs_resumed(l->hs), ==, 0);
    CHECK_INT(tlshs_handshake_done(l->hs), ==, 1);
    CHECK_INT(tlshs_alert_sent(l->hs), ==, -1);
    CHECK_INT(tlshs_alert_received(l->hs), ==, -1);
    CHECK_INT(tlshs_error_code(l->hs), ==, TLSHS_OK);
    CHECK_STR(tlshs_error(l->hs), "");
    CHECK_STR(tlshs_server_name(l->hs), "localhost");
}

/* The trace of a handshake, seen from tlshs (client: we send ClientHello). */
static void check_trace(const peer_link *l, const opts *o, int client) {
    const tlshs *hs = l->hs;
    int hellos = trace_count(hs, client, "ClientHello");
    int hrr = trace_count(hs, !client, "HelloRetryRequest");
    if (!o->hrr) {
        CHECK_INT(hellos, ==, 1);
        CHECK_INT(hrr, ==, 0);
        CHECK_INT(trace_count(hs, client ? 1 : 0, "HelloRetryRequest"), ==, 0);
    } else {
        /* the HRR went one way, a second ClientHello the other, in order */
        CHECK_INT(hrr, ==, 1);
        CHECK_INT(hellos, ==, 2);
        CHECK_INT(trace_index(hs, client, "ClientHello", 0), <,
                  trace_index(hs, !client, "HelloRetryRequest", 0));
        CHECK_INT(trace_index(hs, !client, "HelloRetryRequest", 0), <,
                  trace_index(hs, client, "ClientHello", 1));
    }
    CHECK_INT(trace_index(hs, client, "ClientHello", 0), ==, 0);
    CHECK_INT(trace_count(hs, !client, "ServerHello"), ==, 1);
    CHECK_INT(trace_count(hs, 1, "Finished"), ==, 1);
    CHECK_INT(trace_count(hs, 0, "Finished"), ==, 1);
    {
        const tlshs_event *e = tlshs_trace_event(hs, 0);
        CHECK(e != NULL);
        CHECK_STR(e->kind, "handshake");
        CHECK(e->length > 4);
    }
    CHECK(tlshs_trace_event(hs, tlshs_trace_count(hs)) == NULL);
}

/* ---- tlshs client vs openssl s_server ---- */

/* s_server's command line for o with the server certificate cert/key. */
static void s_server_args(peer_link *l, const opts *o, const char *cert, const char *key) {
    peer_argl(&l->args, "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-cert",
              cert, "-key", key, version_flag(o), (char *)NULL);
    if (o->client_cert)
        peer_argl(&l->args, "-Verify", "1", "-CAfile", cert_path("ca.pem"), (char *)NULL);
}

static void client_body(peer_link *l, const opts *o) {
    char want[256];
    s_server_args(l, o, server_cert(o), server_key(o));
    if (o->alpn) peer_argl(&l->args, "-alpn", "http/1.1", (char *)NULL);
    if (o->hrr) peer_argl(&l->args, "-groups", "P-256", (char *)NULL);
    CHECK(link_to_s_server(l) == 0);

    l->cfg = client_config();
    CHECK(l->cfg != NULL);
    if (o->client_cert) {
        CHECK_INT(tlshs_config_set(l->cfg, "cert_file", cert_path("client.pem")), ==, 0);
        CHECK_INT(tlshs_config_set(l->cfg, "key_file", cert_path("client.key")), ==, 0);
    }
    if (o->alpn) CHECK_INT(tlshs_config_set(l->cfg, "alpn", "h2,http/1.1"), ==, 0);
    /* X25519 first: tlshs sends an X25519 key share, the server wants P-256 */
    if (o->hrr) CHECK_INT(tlshs_config_set(l->cfg, "groups", "X25519:P-256"), ==, 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);

    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    check_outcome(l, o);
    if (check_current_failed) return;
    CHECK(peer_cert_is(l->hs, server_cert(o)));
    if (o->alpn)
        CHECK_STR(tlshs_alpn(l->hs), "http/1.1");
    else
        CHECK(tlshs_alpn(l->hs) == NULL);
    check_trace(l, o, 1);
    if (check_current_failed) return;

    CHECK(exchange(l) == 0);
    if (o->key_update) CHECK(key_update(l) == 0);

    /* what s_server saw (printed before the data it echoed) */
    snprintf(want, sizeof want, "CIPHER is %s", tlshs_cipher(l->hs));
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, want, peer_now() + peer_budget(1)));
    if (o->client_cert) {
        /* s_server 3.0 prints "CN = x", 3.5 "CN=x" (the one-line format's spaces went) */
        CHECK(peer_wait_for(&l->peer, PEER_STDOUT,
                            openssl_minor() >= 5 ? "subject=CN=tlshs test client"
                                                 : "subject=CN = tlshs test client",
                            peer_now() + peer_budget(1)));
    } else {
        CHECK(!peer_buf_has(&l->peer.out, "Client certificate", 18));
    }
    if (o->alpn)
        CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "ALPN protocols selected: http/1.1",
                            peer_now() + peer_budget(1)));

    CHECK_RESULT(link_shutdown(l), TLSHS_CLOSED);
    /* s_server read our close_notify */
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "\nDONE\n", peer_now() + peer_budget(l->phase)));
}

static void run_client(const opts *o) {
    peer_link l;
    link_init(&l, o->fd_mode);
    client_body(&l, o);
    link_close(&l);
}

/* ---- tlshs server vs openssl s_client ---- */

/* Listens and writes s_client's command line to connect there. */
static int s_client_args(peer_link *l) {
    char portarg[64];
    if (link_listen(l) != 0) return -1;
    snprintf(portarg, sizeof portarg, "127.0.0.1:%d", l->port);
    peer_argl(&l->args, "openssl", "s_client", "-connect", portarg, "-servername", "localhost",
              "-CAfile", cert_path("ca.pem"), (char *)NULL);
    return 0;
}

/* A tlshs server config held to o's version. */
static tlshs_config *server_held_to(const opts *o) {
    tlshs_config *cfg = server_with("min_version", o->version, "max_version", o->version, NULL);
    if (cfg && o->ecdsa &&
        (tlshs_config_set(cfg, "cert_file", server_cert(o)) != 0 ||
         tlshs_config_set(cfg, "key_file", server_key(o)) != 0)) {
        check_fail(__FILE__, __LINE__, "%s", tlshs_config_error(cfg));
        tlshs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static void server_body(peer_link *l, const opts *o) {
    char want[256];
    CHECK(s_client_args(l) == 0);
    /* -brief: the summary goes to stderr, stdout holds only what it reads */
    peer_argl(&l->args, "-brief", "-verify_hostname", "localhost", "-verify_return_error",
              (char *)NULL);
    if (o->client_cert)
        peer_argl(&l->args, "-cert", cert_path("client.pem"), "-key", cert_path("client.key"),
                  (char *)NULL);
    if (o->alpn) peer_argl(&l->args, "-alpn", "http/1.1,h2", (char *)NULL);
    if (o->hrr) peer_argl(&l->args, "-groups", "X25519:P-256", (char *)NULL);

    /* tlshs is held to the version here; s_client offers both */
    l->cfg = server_held_to(o);
    CHECK(l->cfg != NULL);
    if (o->client_cert) {
        CHECK_INT(tlshs_config_set(l->cfg, "verify", "require"), ==, 0);
        CHECK_INT(tlshs_config_set(l->cfg, "ca_file", cert_path("ca.pem")), ==, 0);
    }
    /* the server selects in its own order: h2 */
    if (o->alpn) CHECK_INT(tlshs_config_set(l->cfg, "alpn", "h2,http/1.1"), ==, 0);
    if (o->hrr) CHECK_INT(tlshs_config_set(l->cfg, "groups", "P-256"), ==, 0);

    CHECK(link_start(l) == 0);
    CHECK(link_accept(l) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, NULL)) == 0);

    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    check_outcome(l, o);
    if (check_current_failed) return;
    if (o->client_cert) {
        CHECK(peer_cert_is(l->hs, cert_path("client.pem")));
    } else {
        size_t len = 99;
        CHECK(tlshs_peer_cert(l->hs, &len) == NULL);
        CHECK_INT(len, ==, 0);
    }
    if (o->alpn)
        CHECK_STR(tlshs_alpn(l->hs), "h2");
    else
        CHECK(tlshs_alpn(l->hs) == NULL);
    check_trace(l, o, 0);
    if (check_current_failed) return;

    CHECK(exchange(l) == 0);
    if (o->key_update) CHECK(key_update(l) == 0);

    /* what s_client saw (its -brief summary) */
    snprintf(want, sizeof want, "Protocol version: %s\nCiphersuite: %s\n", tlshs_version(l->hs),
             tlshs_cipher(l->hs));
    CHECK(peer_wait_for(&l->peer, PEER_STDERR, want, peer_now() + peer_budget(1)));
    CHECK(peer_wait_for(&l->peer, PEER_STDERR, "Verification: OK\n", peer_now() + peer_budget(1)));

    CHECK_RESULT(link_shutdown(l), TLSHS_CLOSED);
}

static void run_server(const opts *o) {
    peer_link l;
    link_init(&l, o->fd_mode);
    server_body(&l, o);
    link_close(&l);
}

/* ---- failures against real peers ---- */

/* What a failure test expects. */
typedef struct failure {
    const char *peer_cert; /* s_server's certificate (client tests) or s_client's */
    const char *peer_key;
    int alert_sent;       /* by tlshs, or -1 */
    int alert_received;   /* by tlshs, or -1 */
    tlshs_code code;      /* tlshs_error_code */
    const char *peer_err; /* the peer's stderr shows this: it got our alert, or sent its own */
    int verify_failed;    /* tlshs_verify_result != 0 */
} failure;

/* After the handshake answered r: CLOSED, why, the alerts, and that the
   peer got ours. */
static void check_failure(peer_link *l, const failure *f, tlshs_result r) {
    /* a TLS 1.3 client is DONE before the server's verdict; a read sees it */
    if (r == TLSHS_DONE) r = link_read(l, l->phase, NULL, NULL);
    CHECK_RESULT(r, TLSHS_CLOSED);
    CHECK_INT(tlshs_error_code(l->hs), ==, f->code);
    CHECK(*tlshs_error(l->hs) != '\0');
    CHECK_INT(tlshs_alert_sent(l->hs), ==, f->alert_sent);
    CHECK_INT(tlshs_alert_received(l->hs), ==, f->alert_received);
    if (f->verify_failed) CHECK_INT(tlshs_verify_result(l->hs), !=, 0);
    /* sticky */
    CHECK_RESULT(tlshs_step(l->hs), TLSHS_CLOSED);
    CHECK_INT(tlshs_error_code(l->hs), ==, f->code);
    if (!l->fd_mode) CHECK_INT(tlshs_pending(l->hs), ==, 0);
    if (f->alert_sent >= 0) {
        char name[64];
        snprintf(name, sizeof name, "fatal:%s", tlshs_alert_name(f->alert_sent));
        CHECK_INT(trace_count(l->hs, 1, name), ==, 1);
    }
    if (f->alert_received >= 0) {
        char name[64];
        snprintf(name, sizeof name, "fatal:%s", tlshs_alert_name(f->alert_received));
        CHECK_INT(trace_count(l->hs, 0, name), ==, 1);
    }
    CHECK(peer_wait_for(&l->peer, PEER_STDERR, f->peer_err, peer_now() + peer_budget(l->phase)));
}

static void client_failure_body(peer_link *l, const opts *o, const failure *f) {
    s_server_args(l, o, cert_path(f->peer_cert), cert_path(f->peer_key));
    CHECK(link_to_s_server(l) == 0);
    l->cfg = client_config();
    CHECK(l->cfg != NULL);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    check_failure(l, f, link_handshake(l));
}

static void run_client_failure(const opts *o, const failure *f) {
    peer_link l;
    link_init(&l, o->fd_mode);
    client_failure_body(&l, o, f);
    link_close(&l);
}

static void server_failure_body(peer_link *l, const opts *o, const failure *f) {
    CHECK(s_client_args(l) == 0);
    if (f->peer_cert)
        peer_argl(&l->args, "-cert", cert_path(f->peer_cert), "-key", cert_path(f->peer_key),
                  (char *)NULL);
    l->cfg = server_held_to(o);
    CHECK(l->cfg != NULL);
    CHECK_INT(tlshs_config_set(l->cfg, "verify", "require"), ==, 0);
    CHECK_INT(tlshs_config_set(l->cfg, "ca_file", cert_path("ca.pem")), ==, 0);
    CHECK(link_start(l) == 0);
    CHECK(link_accept(l) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, NULL)) == 0);
    check_failure(l, f, link_handshake(l));
}

static void run_server_failure(const opts *o, const failure *f) {
    peer_link l;
    link_init(&l, o->fd_mode);
    server_failure_body(&l, o, f);
    link_close(&l);
}

/* ---- the tests ---- */

#define MEM 0
#define FD 1

/* tlshs client vs s_server */
void test_interop_client_mem_tls13_rsa(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3"});
}
void test_interop_client_mem_tls12_rsa(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.2"});
}
void test_interop_client_fd_tls13_rsa(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3"});
}
void test_interop_client_fd_tls12_rsa(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.2"});
}
void test_interop_client_mem_tls13_ecdsa(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .ecdsa = 1});
}
void test_interop_client_mem_tls12_ecdsa(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.2", .ecdsa = 1});
}
void test_interop_client_fd_tls13_ecdsa(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3", .ecdsa = 1});
}
void test_interop_client_fd_tls12_ecdsa(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.2", .ecdsa = 1});
}
void test_interop_client_mem_tls13_client_cert(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .client_cert = 1});
}
void test_interop_client_mem_tls12_client_cert(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.2", .client_cert = 1});
}
void test_interop_client_fd_tls13_client_cert(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3", .client_cert = 1, .ecdsa = 1});
}
void test_interop_client_fd_tls12_client_cert(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.2", .client_cert = 1});
}
void test_interop_client_mem_tls13_alpn(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .alpn = 1});
}
void test_interop_client_fd_tls12_alpn(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.2", .alpn = 1});
}
void test_interop_client_mem_hrr(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .hrr = 1});
}
void test_interop_client_fd_hrr(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3", .hrr = 1, .alpn = 1, .client_cert = 1});
}

void test_interop_client_mem_key_update(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .key_update = 1});
}
void test_interop_client_fd_key_update(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3", .key_update = 1});
}

/* tlshs server vs s_client */
void test_interop_server_mem_tls13_rsa(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3"});
}
void test_interop_server_mem_tls12_rsa(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.2"});
}
void test_interop_server_fd_tls13_rsa(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3"});
}
void test_interop_server_fd_tls12_rsa(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.2"});
}
void test_interop_server_mem_tls13_ecdsa(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3", .ecdsa = 1});
}
void test_interop_server_mem_tls12_ecdsa(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.2", .ecdsa = 1});
}
void test_interop_server_fd_tls13_ecdsa(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .ecdsa = 1});
}
void test_interop_server_fd_tls12_ecdsa(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.2", .ecdsa = 1});
}
void test_interop_server_mem_tls13_client_cert(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3", .client_cert = 1});
}
void test_interop_server_mem_tls12_client_cert(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.2", .client_cert = 1, .ecdsa = 1});
}
void test_interop_server_fd_tls13_client_cert(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .client_cert = 1, .ecdsa = 1});
}
void test_interop_server_fd_tls12_client_cert(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.2", .client_cert = 1});
}
void test_interop_server_mem_tls12_alpn(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.2", .alpn = 1});
}
void test_interop_server_fd_tls13_alpn(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .alpn = 1});
}
void test_interop_server_mem_hrr(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3", .hrr = 1});
}
void test_interop_server_fd_hrr(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .hrr = 1, .alpn = 1, .client_cert = 1});
}
void test_interop_server_mem_key_update(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3", .key_update = 1});
}
void test_interop_server_fd_key_update(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .key_update = 1});
}

/* Failures.  tlshs client vs a server whose CA it does not trust: it sends
   unknown_ca (48), says why, and s_server reads the alert. */
static const failure unknown_ca = {.peer_cert = "unknown.pem",
                                   .peer_key = "unknown.key",
                                   .alert_sent = 48,
                                   .alert_received = -1,
                                   .code = TLSHS_E_VERIFY,
                                   .peer_err = "alert unknown ca",
                                   .verify_failed = 1};

void test_interop_client_mem_unknown_ca(void) {
    run_client_failure(&(opts){.fd_mode = MEM, .version = "1.3"}, &unknown_ca);
}
void test_interop_client_fd_unknown_ca(void) {
    run_client_failure(&(opts){.fd_mode = FD, .version = "1.3"}, &unknown_ca);
}
void test_interop_client_mem_tls12_unknown_ca(void) {
    run_client_failure(&(opts){.fd_mode = MEM, .version = "1.2"}, &unknown_ca);
}

/* tlshs client without a certificate vs s_server -Verify 1, TLS 1.2: the
   server answers handshake_failure (40) before tlshs is DONE. */
void test_interop_client_mem_tls12_cert_missing(void) {
    static const failure f = {.peer_cert = "server.pem",
                              .peer_key = "server.key",
                              .alert_sent = -1,
                              .alert_received = 40,
                              .code = TLSHS_E_ALERT,
                              .peer_err = "peer did not return a certificate"};
    run_client_failure(&(opts){.fd_mode = MEM, .version = "1.2", .client_cert = 1}, &f);
}

/* tlshs server (verify require) vs an s_client with an untrusted client
   certificate: unknown_ca (48). */
void test_interop_server_mem_unknown_client_ca(void) {
    static const failure f = {.peer_cert = "unknown-client.pem",
                              .peer_key = "unknown-client.key",
                              .alert_sent = 48,
                              .alert_received = -1,
                              .code = TLSHS_E_VERIFY,
                              .peer_err = "alert unknown ca",
                              .verify_failed = 1};
    run_server_failure(&(opts){.fd_mode = MEM, .version = "1.3"}, &f);
}

/* tlshs server (verify require), TLS 1.3, s_client sends no certificate:
   certificate_required (116). */
void test_interop_server_fd_cert_missing(void) {
    static const failure f = {.peer_cert = NULL,
                              .peer_key = NULL,
                              .alert_sent = 116,
                              .alert_received = -1,
                              .code = TLSHS_E_PROTOCOL,
                              .peer_err = "alert certificate required"};
    run_server_failure(&(opts){.fd_mode = FD, .version = "1.3"}, &f);
}
