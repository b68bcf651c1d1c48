/*
 * test_moves_interop.c - the moves after the handshake and the protocol
 * options against real peers on 127.0.0.1: openssl s_server and s_client
 * (whose stdin commands k, K, R and c make their own moves), gnutls-serv.
 *
 * tlshs runs on the link of peer.h, in memory mode (one pair of tests in fd
 * mode); the max_fragment_length tests see every byte received through the
 * link's on_recv and measure the records.  Payloads are digits, so no chunk
 * of them is an s_server/s_client command.  Every test runs its body on a
 * fresh link and cleans up with link_close, whatever failed.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_moves_interop.h"
#undef TEST_ENTRY

/* Runs body(l, arg) on a fresh link and releases everything after it. */
static void run(void (*body)(peer_link *l, int arg), int arg, int fd_mode) {
    peer_link l;
    link_init(&l, fd_mode);
    body(&l, arg);
    link_close(&l);
}

static int file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int)st.st_size : -1;
}

/* ---- the peers ---- */

/* s_server's command line with the server certificate, serving naccept
   connections; more arguments may follow. */
static void s_server_args(peer_link *l, const char *version, int naccept) {
    char n[16];
    snprintf(n, sizeof n, "%d", naccept);
    peer_argl(&l->args, "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", n, "-cert",
              cert_path("server.pem"), "-key", cert_path("server.key"), version, (char *)NULL);
}

/* Starts s_server and connects a tlshs client of l->cfg to it: 0 once the
   handshake is DONE. */
static int client_to_s_server(peer_link *l) {
    if (link_to_s_server(l) != 0 || link_attach(l, tlshs_new(l->cfg, "localhost")) != 0) return -1;
    return link_handshake(l) == TLSHS_DONE ? 0 : -1;
}

/* Listens and writes s_client's command line to connect there; more
   arguments may follow. */
static void s_client_args(peer_link *l, const char *version) {
    char port[32];
    if (link_listen(l) != 0) return;
    snprintf(port, sizeof port, "127.0.0.1:%d", l->port);
    peer_argl(&l->args, "openssl", "s_client", "-connect", port, "-CAfile", cert_path("ca.pem"),
              "-servername", "localhost", version, (char *)NULL);
}

/* Starts s_client and accepts it with a tlshs server of cfg. */
static int accept_s_client(peer_link *l, tlshs_config *cfg) {
    if (link_start(l) != 0 || link_accept(l) != 0) return -1;
    return link_attach(l, tlshs_new(cfg, NULL));
}

/* accept_s_client with l->cfg: 0 once the handshake is DONE. */
static int s_client_to_server(peer_link *l) {
    if (accept_s_client(l, l->cfg) != 0) return -1;
    return link_handshake(l) == TLSHS_DONE ? 0 : -1;
}

/* tlshs writes msg, the peer prints it */
static int to_peer(peer_link *l, const char *msg) {
    return link_write(l, msg, strlen(msg)) == 0 &&
           peer_wait_for(&l->peer, PEER_STDOUT, msg, peer_now() + peer_budget(l->phase));
}

/* the peer is told to send msg (on its stdin), tlshs reads it */
static int from_peer(peer_link *l, const char *msg) {
    if (peer_write(&l->peer, msg, strlen(msg), peer_now() + peer_budget(l->phase)) != 0) return 0;
    return link_read_text(l, msg);
}

/* ---- the moves, as link_op ---- */

static tlshs_result op_key_update(peer_link *l, void *request) {
    return tlshs_key_update(l->hs, *(int *)request);
}

static tlshs_result op_renegotiate(peer_link *l, void *arg) {
    (void)arg;
    return tlshs_renegotiate(l->hs);
}

static tlshs_result op_request_cert(peer_link *l, void *arg) {
    (void)arg;
    return tlshs_request_client_cert(l->hs);
}

/* ---- KeyUpdate ---- */

static int received_key_updates(peer_link *l, void *want) {
    return trace_count(l->hs, 0, "KeyUpdate") >= *(int *)want;
}

/* The peer's k or K command; the peer takes a whole chunk of its stdin as
   the command, so the data follows only once the KeyUpdate arrived. */
static int peer_command_key_update(peer_link *l, const char *cmd) {
    int want = trace_count(l->hs, 0, "KeyUpdate") + 1;
    if (peer_write(&l->peer, cmd, 2, peer_now() + peer_budget(l->phase)) != 0) return -1;
    link_read(l, l->phase, received_key_updates, &want);
    return received_key_updates(l, &want) ? 0 : -1;
}

static void ku_client(peer_link *l, int request) {
    s_server_args(l, "-tls1_3", 1);
    l->cfg = client_config();
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    link_read(l, 0.3, NULL, NULL); /* the tickets */
    CHECK_RESULT(link_drive(l, "key_update", op_key_update, &request), TLSHS_DONE);
    CHECK(to_peer(l, "1111 after our update\n"));
    /* s_server answers a request on its next write */
    CHECK(from_peer(l, "2222 from s_server\n"));
    CHECK_INT(trace_count(l->hs, 1, "KeyUpdate"), ==, 1);
    CHECK_INT(trace_count(l->hs, 0, "KeyUpdate"), ==, request);
    /* the peer's own, unasked (s_server's k) */
    CHECK(peer_command_key_update(l, "k\n") == 0);
    CHECK(from_peer(l, "3333 after its update\n"));
    CHECK_INT(trace_count(l->hs, 0, "KeyUpdate"), ==, request + 1);
    CHECK_INT(trace_count(l->hs, 1, "KeyUpdate"), ==, 1);
    CHECK(to_peer(l, "4444 still flowing\n"));
}

TEST(test_moves_interop_key_update_s_server) {
    run(ku_client, 0, 0);
}
TEST(test_moves_interop_key_update_s_server_request) {
    run(ku_client, 1, 0);
}

static void ku_server(peer_link *l, int request) {
    s_client_args(l, "-tls1_3");
    l->cfg = server_config();
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK_RESULT(link_drive(l, "key_update", op_key_update, &request), TLSHS_DONE);
    CHECK(to_peer(l, "1111 after our update\n"));
    CHECK(from_peer(l, "2222 from s_client\n"));
    CHECK_INT(trace_count(l->hs, 1, "KeyUpdate"), ==, 1);
    CHECK_INT(trace_count(l->hs, 0, "KeyUpdate"), ==, request);
    /* s_client's K: its own, asking for ours */
    CHECK(peer_command_key_update(l, "K\n") == 0);
    CHECK(from_peer(l, "3333 after its update\n"));
    CHECK_INT(trace_count(l->hs, 0, "KeyUpdate"), ==, request + 1);
    CHECK_INT(trace_count(l->hs, 1, "KeyUpdate"), ==, 2);
    CHECK(to_peer(l, "4444 still flowing\n"));
}

TEST(test_moves_interop_key_update_s_client) {
    run(ku_server, 0, 0);
}
TEST(test_moves_interop_key_update_s_client_request) {
    run(ku_server, 1, 0);
}

/* ---- renegotiation (TLS 1.2) ---- */

static int renegotiated(peer_link *l, void *arg) {
    (void)arg;
    return trace_count(l->hs, 0, "Finished") >= 2;
}

/* tlshs client renegotiates with an s_server that allows it */
static void renegotiate_s_server(peer_link *l, int unused) {
    (void)unused;
    s_server_args(l, "-tls1_2", 1);
    peer_arg(&l->args, "-client_renegotiation");
    l->cfg = client_config();
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    CHECK_RESULT(link_drive(l, "renegotiate", op_renegotiate, NULL), TLSHS_DONE);
    link_read(l, l->phase, renegotiated, NULL);
    CHECK_INT(trace_count(l->hs, 1, "ClientHello"), ==, 2);
    CHECK_INT(trace_count(l->hs, 0, "Finished"), ==, 2);
    CHECK(to_peer(l, "1111 renegotiated\n"));
    CHECK(from_peer(l, "2222 from s_server\n"));
    CHECK_INT(tlshs_verify_result(l->hs), ==, 0);
}

TEST(test_moves_interop_renegotiate_s_server) {
    run(renegotiate_s_server, 0, 0);
}

/* OpenSSL 3 servers refuse a client's renegotiation by default */
static void renegotiate_s_server_refuses(peer_link *l, int unused) {
    (void)unused;
    s_server_args(l, "-tls1_2", 1);
    l->cfg = client_config();
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    CHECK_RESULT(link_drive(l, "renegotiate", op_renegotiate, NULL), TLSHS_DONE);
    CHECK_RESULT(link_read(l, l->phase, NULL, NULL), TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_received(l->hs), ==, 100); /* no_renegotiation */
    CHECK_INT(tlshs_alert_sent(l->hs), ==, 40);      /* handshake_failure */
    CHECK_INT(tlshs_error_code(l->hs), ==, TLSHS_E_PROTOCOL);
}

TEST(test_moves_interop_renegotiate_s_server_refuses) {
    run(renegotiate_s_server_refuses, 0, 0);
}

/* tlshs server sends a HelloRequest; s_client renegotiates */
static void renegotiate_s_client(peer_link *l, int unused) {
    (void)unused;
    s_client_args(l, "-tls1_2");
    l->cfg = server_config();
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK_RESULT(link_drive(l, "renegotiate", op_renegotiate, NULL), TLSHS_DONE);
    link_read(l, l->phase, renegotiated, NULL);
    CHECK_INT(trace_count(l->hs, 1, "HelloRequest"), ==, 1);
    CHECK_INT(trace_count(l->hs, 0, "ClientHello"), ==, 2);
    CHECK_INT(trace_count(l->hs, 0, "Finished"), ==, 2);
    CHECK(to_peer(l, "1111 renegotiated\n"));
    CHECK(from_peer(l, "2222 from s_client\n"));
}

TEST(test_moves_interop_renegotiate_s_client) {
    run(renegotiate_s_client, 0, 0);
}

/* s_client's R: a tlshs server (OpenSSL 3) refuses with a warning, and
   s_client ends the connection */
static void renegotiate_s_client_r_refused(peer_link *l, int unused) {
    (void)unused;
    s_client_args(l, "-tls1_2");
    l->cfg = server_config();
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK_INT(peer_write(&l->peer, "R\n", 2, peer_now() + peer_budget(l->phase)), ==, 0);
    CHECK_RESULT(link_read(l, l->phase, NULL, NULL), TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_sent(l->hs), ==, 100); /* no_renegotiation */
    CHECK_INT(tlshs_alert_received(l->hs), ==, 40);
    CHECK_INT(tlshs_error_code(l->hs), ==, TLSHS_E_ALERT);
}

TEST(test_moves_interop_renegotiate_s_client_r_refused) {
    run(renegotiate_s_client_r_refused, 0, 0);
}

/* A client that forbids renegotiation answers our HelloRequest with
   no_renegotiation */
static void renegotiate_s_client_refuses(peer_link *l, int unused) {
    (void)unused;
    s_client_args(l, "-tls1_2");
    peer_arg(&l->args, "-no_renegotiation");
    l->cfg = server_config();
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK_RESULT(link_drive(l, "renegotiate", op_renegotiate, NULL), TLSHS_DONE);
    CHECK_RESULT(link_read(l, l->phase, NULL, NULL), TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_received(l->hs), ==, 100);
    CHECK_INT(tlshs_alert_sent(l->hs), ==, 40);
    CHECK_INT(tlshs_error_code(l->hs), ==, TLSHS_E_PROTOCOL);
}

TEST(test_moves_interop_renegotiate_s_client_refuses) {
    run(renegotiate_s_client_refuses, 0, 0);
}

/* ---- post-handshake authentication ---- */

static int got_peer_cert(peer_link *l, void *arg) {
    (void)arg;
    return tlshs_peer_cert(l->hs, NULL) != NULL;
}

static void pha_s_client(peer_link *l, int unused) {
    (void)unused;
    s_client_args(l, "-tls1_3");
    peer_argl(&l->args, "-enable_pha", "-cert", cert_path("client.pem"), "-key",
              cert_path("client.key"), (char *)NULL);
    /* verify none: asks only after the handshake (peer would ask in it too) */
    l->cfg = server_with("ca_file", cert_path("ca.pem"), NULL);
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK(tlshs_peer_cert(l->hs, NULL) == NULL);
    CHECK_RESULT(link_drive(l, "request_client_cert", op_request_cert, NULL), TLSHS_DONE);
    link_read(l, l->phase, got_peer_cert, NULL);
    CHECK(got_peer_cert(l, NULL));
    CHECK_INT(trace_count(l->hs, 0, "CertificateVerify"), ==, 1);
    CHECK_INT(tlshs_verify_result(l->hs), ==, 0);
    CHECK(from_peer(l, "2222 authenticated\n"));
    CHECK(to_peer(l, "1111 welcome\n"));
}

TEST(test_moves_interop_pha_s_client) {
    run(pha_s_client, 0, 0);
}

/* s_client without -enable_pha: the request is refused, nothing changes */
static void pha_s_client_not_offered(peer_link *l, int unused) {
    (void)unused;
    s_client_args(l, "-tls1_3");
    l->cfg = server_config();
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK_RESULT(tlshs_request_client_cert(l->hs), TLSHS_DONE);
    CHECK_INT(tlshs_usage_code(l->hs), ==, TLSHS_E_STATE);
    CHECK_INT(tlshs_pending(l->hs), ==, 0);
    CHECK(from_peer(l, "2222 still here\n"));
}

TEST(test_moves_interop_pha_s_client_not_offered) {
    run(pha_s_client_not_offered, 0, 0);
}

static int got_cert_request(peer_link *l, void *arg) {
    (void)arg;
    return trace_count(l->hs, 0, "CertificateRequest") >= 1 &&
           trace_count(l->hs, 1, "Finished") >= 2;
}

/* s_server -verify asks in the handshake, and again after it with c */
static void pha_s_server(peer_link *l, int unused) {
    (void)unused;
    s_server_args(l, "-tls1_3", 1);
    peer_argl(&l->args, "-verify", "1", "-CAfile", cert_path("ca.pem"), (char *)NULL);
    l->cfg = client_with("post_handshake_auth", "on", "cert_file", cert_path("client.pem"),
                         "key_file", cert_path("client.key"), NULL);
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    link_read(l, 0.3, NULL, NULL);
    CHECK_INT(peer_write(&l->peer, "c\n", 2, peer_now() + peer_budget(l->phase)), ==, 0);
    link_read(l, l->phase, got_cert_request, NULL);
    /* once in the handshake, once after it */
    CHECK(got_cert_request(l, NULL));
    CHECK_INT(trace_count(l->hs, 0, "CertificateRequest"), ==, 2);
    CHECK_INT(trace_count(l->hs, 1, "Certificate"), ==, 2);
    CHECK_INT(trace_count(l->hs, 1, "CertificateVerify"), ==, 2);
    CHECK(to_peer(l, "1111 authenticated\n"));
    CHECK(from_peer(l, "2222 from s_server\n"));
}

TEST(test_moves_interop_pha_s_server) {
    run(pha_s_server, 0, 0);
}

/* ---- 0-RTT ---- */

static const char early_line[] = "5555 early\n";

/* Writes early_line as early data: DONE once it is taken (the ClientHello
   and the data then wait to be sent). */
static tlshs_result op_write_early(peer_link *l, void *arg) {
    size_t n = 0;
    tlshs_result r = tlshs_write_early(l->hs, early_line, sizeof early_line - 1, &n);
    (void)arg;
    return n == sizeof early_line - 1 ? TLSHS_DONE : r;
}

/* tlshs client to s_server -early_data: a session, then 0-RTT with it */
static void early_s_server(peer_link *l, int unused) {
    unsigned char der[8192];
    size_t len;
    (void)unused;
    s_server_args(l, "-tls1_3", 2);
    peer_arg(&l->args, "-early_data");
    l->cfg = client_config();
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    link_read(l, 0.5, NULL, NULL);
    len = tlshs_session(l->hs, der, sizeof der);
    CHECK(len > 0 && len <= sizeof der);
    CHECK_STR(tlshs_early_data(l->hs), "not_sent");
    CHECK_RESULT(link_shutdown(l), TLSHS_CLOSED);
    link_hangup(l);
    /* the second connection to the same s_server */
    CHECK(link_connect(l, l->port) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_INT(tlshs_set_session(l->hs, der, len), ==, 0);
    CHECK_RESULT(link_drive(l, "write_early", op_write_early, NULL), TLSHS_DONE);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK_STR(tlshs_early_data(l->hs), "accepted");
    CHECK_INT(tlshs_resumed(l->hs), ==, 1);
    CHECK_INT(trace_count(l->hs, 1, "EndOfEarlyData"), ==, 1);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, early_line, peer_now() + peer_budget(l->phase)));
    CHECK(to_peer(l, "1111 after early\n"));
}

TEST(test_moves_interop_early_s_server) {
    run(early_s_server, 0, 0);
}

/* The early data a server read. */
struct early {
    char got[256];
    size_t len;
};

/* The server side of 0-RTT: read_early until the handshake is DONE. */
static tlshs_result op_read_early(peer_link *l, void *arg) {
    struct early *e = arg;
    size_t n = 0;
    tlshs_result r = tlshs_read_early(l->hs, e->got + e->len, sizeof e->got - 1 - e->len, &n);
    e->len += n;
    return r == TLSHS_DONE && n > 0 ? TLSHS_WANT_WRITE : r; /* data: go on */
}

/* s_client -sess_out, then s_client -early_data FILE -sess_in, to a tlshs
   server of scfg; other_config: the second server has another config, and
   rejects the early data. */
static void early_s_client_body(peer_link *l, tlshs_config *scfg, const char *dir,
                                int other_config) {
    char sess[64], early[64];
    struct early e = {"", 0};
    FILE *f;
    snprintf(sess, sizeof sess, "%s/sess.pem", dir);
    snprintf(early, sizeof early, "%s/early.txt", dir);
    f = fopen(early, "w");
    CHECK(f);
    fputs("6666 early from s_client\n", f);
    fclose(f);
    /* the first connection leaves the session in sess */
    s_client_args(l, "-tls1_3");
    peer_argl(&l->args, "-sess_out", sess, (char *)NULL);
    CHECK(accept_s_client(l, scfg) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    link_read(l, 0.3, NULL, NULL);
    for (int i = 0; i < 50 && file_size(sess) <= 0; i++)
        poll(NULL, 0, 20);
    CHECK(file_size(sess) > 0);
    CHECK_RESULT(link_shutdown(l), TLSHS_CLOSED);
    link_close(l);
    /* the second sends early data with it */
    link_init(l, 0);
    s_client_args(l, "-tls1_3");
    peer_argl(&l->args, "-sess_in", sess, "-early_data", early, (char *)NULL);
    if (other_config) l->cfg = server_with("max_early_data", "16384", NULL);
    CHECK(accept_s_client(l, other_config ? l->cfg : scfg) == 0);
    CHECK_RESULT(link_drive(l, "read_early", op_read_early, &e), TLSHS_DONE);
    CHECK_STR(tlshs_early_data(l->hs), other_config ? "rejected" : "accepted");
    if (other_config) {
        CHECK_INT(e.len, ==, 0);
    } else {
        CHECK_STR(e.got, "6666 early from s_client\n");
        CHECK_INT(trace_count(l->hs, 0, "EndOfEarlyData"), ==, 1);
    }
    CHECK(to_peer(l, "1111 after early\n"));
}

static void early_s_client(int other_config) {
    char dir[] = "/tmp/tlshs-early-XXXXXX", path[64];
    tlshs_config *scfg = server_with("max_early_data", "16384", NULL);
    peer_link l;
    link_init(&l, 0);
    if (!scfg || !mkdtemp(dir)) {
        check_fail(__FILE__, __LINE__, "set-up: %s", scfg ? "mkdtemp" : "server config");
        tlshs_config_free(scfg);
        return;
    }
    early_s_client_body(&l, scfg, dir, other_config);
    link_close(&l);
    tlshs_config_free(scfg);
    snprintf(path, sizeof path, "%s/sess.pem", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/early.txt", dir);
    remove(path);
    rmdir(dir);
}

TEST(test_moves_interop_early_s_client) {
    early_s_client(0);
}
TEST(test_moves_interop_early_s_client_rejected) {
    early_s_client(1);
}

/* ---- OCSP ---- */

static void ocsp_s_server(peer_link *l, int unused) {
    size_t len = 0;
    (void)unused;
    s_server_args(l, "-tls1_3", 1);
    peer_argl(&l->args, "-status_file", cert_path("ocsp-server.der"), (char *)NULL);
    l->cfg = client_with("status_request", "on", NULL);
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    CHECK(tlshs_ocsp_response(l->hs, &len) != NULL);
    CHECK_INT(len, ==, file_size(cert_path("ocsp-server.der")));
}

TEST(test_moves_interop_ocsp_s_server) {
    run(ocsp_s_server, 0, 0);
}

static void ocsp_s_client(peer_link *l, int tls12) {
    s_client_args(l, tls12 ? "-tls1_2" : "-tls1_3");
    peer_arg(&l->args, "-status");
    l->cfg = server_with("ocsp_response_file", cert_path("ocsp-server.der"), NULL);
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "OCSP Response Status: successful",
                        peer_now() + peer_budget(l->phase)));
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "Cert Status: good",
                        peer_now() + peer_budget(l->phase)));
}

TEST(test_moves_interop_ocsp_s_client) {
    run(ocsp_s_client, 0, 0);
}
TEST(test_moves_interop_ocsp_s_client_tls12) {
    run(ocsp_s_client, 1, 0);
}

/* ---- max_fragment_length ---- */

/* The state of a parser of the records received. */
struct records {
    unsigned char hdr[5];
    size_t hdr_have, body_left, max_record;
};

/* on_recv: notes the length of every application_data record. */
static void note_records(peer_link *l, const unsigned char *p, size_t n) {
    struct records *rec = l->user;
    while (n > 0) {
        if (rec->body_left) {
            size_t k = n < rec->body_left ? n : rec->body_left;
            rec->body_left -= k, p += k, n -= k;
            continue;
        }
        rec->hdr[rec->hdr_have++] = *p++, n--;
        if (rec->hdr_have == 5) {
            size_t len = (size_t)rec->hdr[3] << 8 | rec->hdr[4];
            if (len > rec->max_record && rec->hdr[0] == 23) rec->max_record = len;
            rec->body_left = len;
            rec->hdr_have = 0;
        }
    }
}

static int got_3000(peer_link *l, void *arg) {
    (void)arg;
    return l->rx_len >= 3000;
}

static void mfl_body(peer_link *l, const char *version, const char *mfl) {
    static char payload[3001];
    for (int i = 0; i < 3000; i++)
        payload[i] = i % 64 == 63 ? '\n' : (char)('0' + i % 10);
    payload[2999] = '\n';
    s_server_args(l, version, 1);
    l->cfg = mfl ? client_with("max_fragment_length", mfl, NULL) : client_config();
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    CHECK_INT(peer_write(&l->peer, payload, 3000, peer_now() + peer_budget(l->phase)), ==, 0);
    link_read(l, l->phase, got_3000, NULL);
    CHECK_INT(l->rx_len, ==, 3000);
}

/* The largest application_data record s_server sends for 3000 bytes; 0 if
   the exchange failed. */
static size_t mfl_max_record(const char *version, const char *mfl) {
    struct records rec = {{0}, 0, 0, 0};
    peer_link l;
    link_init(&l, 0);
    l.on_recv = note_records;
    l.user = &rec;
    mfl_body(&l, version, mfl);
    link_close(&l);
    return check_current_failed ? 0 : rec.max_record;
}

/* a record holds at most 512 bytes of data, plus the AEAD's overhead (TLS
   1.3: the content type and a 16-byte tag; TLS 1.2: an 8-byte nonce and the
   tag) */
TEST(test_moves_interop_mfl_tls13) {
    size_t max = mfl_max_record("-tls1_3", "512");
    CHECK(max > 0);
    CHECK_INT(max, <=, 512 + 1 + 16);
    /* without it, s_server's records are larger */
    CHECK_INT(mfl_max_record("-tls1_3", NULL), >, 1024);
}

TEST(test_moves_interop_mfl_tls12) {
    size_t max = mfl_max_record("-tls1_2", "512");
    CHECK(max > 0);
    CHECK_INT(max, <=, 512 + 8 + 16);
    max = mfl_max_record("-tls1_2", "1024");
    CHECK_INT(max, >, 512 + 24);
    CHECK_INT(max, <=, 1024 + 8 + 16);
}

/* ---- custom extensions ---- */

/* s_server does not know 65280: it ignores it and answers nothing */
static void extension_s_server(peer_link *l, int unused) {
    (void)unused;
    s_server_args(l, "-tls1_3", 1);
    l->cfg = client_with("extensions", "65280:cafe,4660:", NULL);
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    CHECK(tlshs_peer_extension(l->hs, 65280, NULL) == NULL);
    CHECK_INT(tlshs_peer_extension_count(l->hs), ==, 0);
    CHECK(to_peer(l, "1111 with an extension\n"));
}

TEST(test_moves_interop_extension_s_server) {
    run(extension_s_server, 0, 0);
}

/* nor does gnutls-serv (TLS 1.2 and 1.3) */
static void ext_gnutls(peer_link *l, int tls12) {
    static const char *const extra[] = {"--disable-client-cert", NULL};
    l->cfg = client_with("extensions", "65280:cafe", NULL);
    CHECK(l->cfg);
    CHECK(link_to_gnutls_serv(
              l, tls12 ? "NORMAL:-VERS-ALL:+VERS-TLS1.2" : "NORMAL:-VERS-ALL:+VERS-TLS1.3",
              extra) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK(tlshs_peer_extension(l->hs, 65280, NULL) == NULL);
    CHECK_INT(link_write(l, "7777 echo\n", 10), ==, 0);
    CHECK(link_read_text(l, "7777 echo\n"));
    CHECK_STR(l->rx, "7777 echo\n");
}

TEST(test_moves_interop_extension_gnutls_tls13) {
    run(ext_gnutls, 0, 0);
}
TEST(test_moves_interop_extension_gnutls_tls12) {
    run(ext_gnutls, 1, 0);
}

/* A tlshs server with extensions serves s_client, which sends none */
static void extension_server_s_client(peer_link *l, int unused) {
    (void)unused;
    s_client_args(l, "-tls1_3");
    l->cfg = server_with("extensions", "65280:beef", NULL);
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK_INT(tlshs_peer_extension_count(l->hs), ==, 0);
    CHECK(from_peer(l, "2222 plain client\n"));
}

TEST(test_moves_interop_extension_server_s_client) {
    run(extension_server_s_client, 0, 0);
}

/* ---- tickets, counted by s_client ---- */

static void tickets_s_client(peer_link *l, int count) {
    static const char needle[] = "Post-Handshake New Session Ticket arrived";
    char value[16];
    snprintf(value, sizeof value, "%d", count);
    s_client_args(l, "-tls1_3");
    l->cfg = server_with("num_tickets", value, NULL);
    CHECK(l->cfg);
    CHECK(s_client_to_server(l) == 0);
    CHECK(from_peer(l, "2222 after the tickets\n"));
    CHECK_INT(trace_count(l->hs, 1, "NewSessionTicket"), ==, count);
    /* s_client prints one "Post-Handshake New Session Ticket" block each */
    if (count > 0)
        CHECK(peer_wait_for(&l->peer, PEER_STDOUT, needle, peer_now() + peer_budget(l->phase)));
    else
        CHECK(!peer_buf_has(&l->peer.out, needle, strlen(needle)));
}

TEST(test_moves_interop_num_tickets_0) {
    run(tickets_s_client, 0, 0);
}
TEST(test_moves_interop_num_tickets_5) {
    run(tickets_s_client, 5, 0);
}

/* ---- fd mode ---- */

/* In fd mode a move's message goes straight to the socket: DONE at once
   (or WANT_WRITE while the socket is full) */
static void fd_moves(peer_link *l, int tls13) {
    static const char line[] = "8888 fd mode after the move\n";
    s_server_args(l, tls13 ? "-tls1_3" : "-tls1_2", 1);
    if (!tls13) peer_arg(&l->args, "-client_renegotiation");
    l->cfg = client_config();
    CHECK(l->cfg);
    CHECK(client_to_s_server(l) == 0);
    if (tls13) {
        CHECK_RESULT(tlshs_key_update(l->hs, 0), TLSHS_DONE);
        CHECK_INT(trace_count(l->hs, 1, "KeyUpdate"), ==, 1);
    } else {
        CHECK_RESULT(link_drive(l, "renegotiate", op_renegotiate, NULL), TLSHS_DONE);
        link_read(l, l->phase, renegotiated, NULL);
        CHECK(renegotiated(l, NULL));
        CHECK_INT(trace_count(l->hs, 1, "ClientHello"), ==, 2);
    }
    CHECK_INT(link_write(l, line, sizeof line - 1), ==, 0);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, line, peer_now() + peer_budget(l->phase)));
}

TEST(test_moves_interop_fd_key_update) {
    run(fd_moves, 1, 1);
}
TEST(test_moves_interop_fd_renegotiate) {
    run(fd_moves, 0, 1);
}
