/*
 * test_moves.c - the moves after the handshake and the protocol options,
 * between two tlshs objects in memory: KeyUpdate, renegotiation,
 * post-handshake authentication, 0-RTT (accepted, rejected, not sent,
 * replayed), OCSP stapling, custom extensions, ticket counts, self-signed
 * certificates, and the refusals of misuse.  The same moves against openssl
 * s_server/s_client and gnutls: test_moves_interop.c; the values their keys
 * refuse: test_config.c.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"

#define TEST_ENTRY(name) void name(void);
#include "list_moves.h"
#undef TEST_ENTRY

/* ---- helpers ---- */

/* Drives a move's call on hs: WANT_WRITE (its message), then DONE once taken. */
#define CHECK_MOVE(call, hs, peer)                                                                 \
    do {                                                                                           \
        CHECK_RESULT(call, TLSHS_WANT_WRITE);                                                      \
        CHECK(move_bytes(hs, peer) > 0);                                                           \
        CHECK_RESULT(call, TLSHS_DONE);                                                            \
    } while (0)

/* ---- KeyUpdate ---- */

static void key_update_case(int client_moves, int request_peer) {
    tlshs_config *ccfg = client_config(), *scfg = server_config();
    tlshs *c = NULL, *s = NULL, *mover, *other;
    CHECK(ccfg && scfg);
    if (connect_pair(ccfg, scfg, &c, &s) != 0) {
        check_fail(__FILE__, __LINE__, "handshake failed");
        goto out;
    }
    settle(c, s); /* the tickets */
    mover = client_moves ? c : s;
    other = client_moves ? s : c;
    CHECK_RESULT(tlshs_key_update(mover, request_peer), TLSHS_WANT_WRITE);
    CHECK(move_bytes(mover, other) > 0);
    CHECK_RESULT(tlshs_key_update(mover, request_peer), TLSHS_DONE);
    CHECK_INT(tlshs_pending(mover), ==, 0);
    {
        char buf[64];
        size_t n = 0;
        /* the peer takes it; asked, it owes its own: WANT_WRITE */
        CHECK_RESULT(tlshs_read(other, buf, sizeof buf, &n),
                     request_peer ? TLSHS_WANT_WRITE : TLSHS_WANT_READ);
    }
    move_bytes(other, mover);
    CHECK(flows(mover, other, "after the update, this way"));
    CHECK(flows(other, mover, "and that way"));
    CHECK_INT(trace_count(mover, 1, "KeyUpdate"), ==, 1);
    CHECK_INT(trace_count(other, 0, "KeyUpdate"), ==, 1);
    CHECK_INT(trace_count(other, 1, "KeyUpdate"), ==, request_peer ? 1 : 0);
    CHECK_INT(trace_count(mover, 0, "KeyUpdate"), ==, request_peer ? 1 : 0);
out:
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

TEST(test_moves_key_update_client) { key_update_case(1, 0); }
TEST(test_moves_key_update_client_request) { key_update_case(1, 1); }
TEST(test_moves_key_update_server) { key_update_case(0, 0); }
TEST(test_moves_key_update_server_request) { key_update_case(0, 1); }

/* ---- misuse ---- */

/* A refused call answers the last result, says TLSHS_E_STATE, changes nothing. */
#define CHECK_REFUSED(call, hs)                                                                    \
    do {                                                                                           \
        tlshs_result before_ = tlshs_last_result(hs);                                              \
        size_t pending_ = tlshs_pending(hs);                                                       \
        CHECK_RESULT(call, before_);                                                               \
        CHECK_INT(tlshs_usage_code(hs), ==, TLSHS_E_STATE);                                        \
        CHECK(*tlshs_usage_error(hs) != '\0');                                                     \
        CHECK_INT(tlshs_pending(hs), ==, pending_);                                                \
    } while (0)

TEST(test_moves_misuse_before_done) {
    tlshs_config *ccfg = client_config(), *scfg = server_config();
    tlshs *c = tlshs_new(ccfg, "localhost"), *s = tlshs_new(scfg, NULL);
    char buf[16];
    size_t n = 99;
    CHECK(c && s);
    CHECK_REFUSED(tlshs_key_update(c, 0), c);
    CHECK_REFUSED(tlshs_renegotiate(c), c);
    CHECK_REFUSED(tlshs_request_client_cert(s), s);
    CHECK_REFUSED(tlshs_read_early(c, buf, sizeof buf, &n), c);
    CHECK_INT(n, ==, 0);
    CHECK_REFUSED(tlshs_write_early(s, "x", 1, &n), s);
    /* a client without a session */
    CHECK_REFUSED(tlshs_write_early(c, "x", 1, &n), c);
    CHECK_CONTAINS(tlshs_usage_error(c), "session");
    /* mid-handshake */
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    CHECK_REFUSED(tlshs_key_update(c, 1), c);
    CHECK_REFUSED(tlshs_write_early(c, "x", 1, &n), c);
    move_bytes(c, s);
    CHECK_RESULT(tlshs_step(s), TLSHS_WANT_WRITE);
    CHECK_REFUSED(tlshs_read_early(s, buf, sizeof buf, &n), s); /* started with step */
    CHECK_REFUSED(tlshs_key_update(s, 0), s);
    CHECK_RESULT(tlshs_key_update(NULL, 0), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_renegotiate(NULL), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_request_client_cert(NULL), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_write_early(NULL, "x", 1, &n), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_read_early(NULL, buf, 1, &n), TLSHS_CLOSED);
    CHECK_STR(tlshs_early_data(NULL), "not_sent");
    CHECK(tlshs_ocsp_response(NULL, &n) == NULL);
    CHECK(tlshs_peer_extension(NULL, 1, &n) == NULL);
    CHECK_INT(tlshs_peer_extension_count(NULL), ==, 0);
    CHECK_INT(tlshs_peer_extension_type(NULL, 0), ==, -1);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

TEST(test_moves_misuse_versions) {
    tlshs_config *c13 = client_config(), *s13 = server_config();
    tlshs_config *c12 = client_with("max_version", "1.2", NULL), *s12 = server_config();
    tlshs *c = NULL, *s = NULL, *c2 = NULL, *s2 = NULL;
    CHECK(c13 && s13 && c12 && s12);
    CHECK_INT(connect_pair(c13, s13, &c, &s), ==, 0);
    settle(c, s);
    CHECK_REFUSED(tlshs_renegotiate(c), c);
    CHECK_CONTAINS(tlshs_usage_error(c), "TLS 1.2");
    CHECK_REFUSED(tlshs_renegotiate(s), s);
    CHECK_REFUSED(tlshs_request_client_cert(c), c); /* a client */
    CHECK_REFUSED(tlshs_request_client_cert(s), s); /* no post_handshake_auth */
    CHECK_CONTAINS(tlshs_usage_error(s), "post_handshake_auth");
    /* a move under way refuses another */
    CHECK_RESULT(tlshs_key_update(c, 0), TLSHS_WANT_WRITE);
    CHECK_REFUSED(tlshs_renegotiate(c), c);
    CHECK_INT(connect_pair(c12, s12, &c2, &s2), ==, 0);
    CHECK_REFUSED(tlshs_key_update(c2, 0), c2);
    CHECK_CONTAINS(tlshs_usage_error(c2), "TLS 1.3");
    CHECK_REFUSED(tlshs_key_update(s2, 1), s2);
    CHECK_REFUSED(tlshs_request_client_cert(s2), s2);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_free(c2);
    tlshs_free(s2);
    tlshs_config_free(c13);
    tlshs_config_free(s13);
    tlshs_config_free(c12);
    tlshs_config_free(s12);
}

/* ---- renegotiation (TLS 1.2) ---- */

/* A server's HelloRequest: the client renegotiates inside read. */
TEST(test_moves_renegotiate_server) {
    tlshs_config *ccfg = client_with("max_version", "1.2", NULL), *scfg = server_config();
    tlshs *c = NULL, *s = NULL;
    CHECK(ccfg && scfg);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    CHECK_MOVE(tlshs_renegotiate(s), s, c);
    CHECK_INT(trace_count(s, 1, "HelloRequest"), ==, 1);
    settle(c, s);
    CHECK_INT(trace_count(c, 0, "HelloRequest"), ==, 1);
    CHECK_INT(trace_count(c, 1, "ClientHello"), ==, 2);
    CHECK_INT(trace_count(s, 0, "Finished"), ==, 2);
    CHECK_INT(trace_count(c, 0, "Finished"), ==, 2);
    CHECK(flows(c, s, "renegotiated"));
    CHECK(flows(s, c, "both ways"));
    CHECK_STR(tlshs_error(c), "");
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

/* A client's renegotiation: an OpenSSL 3 server refuses it (no_renegotiation),
   and OpenSSL's client then ends the connection. */
TEST(test_moves_renegotiate_client_refused) {
    tlshs_config *ccfg = client_with("max_version", "1.2", NULL), *scfg = server_config();
    tlshs *c = NULL, *s = NULL;
    char buf[64];
    size_t n;
    tlshs_result r = TLSHS_WANT_READ;
    CHECK(ccfg && scfg);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    CHECK_MOVE(tlshs_renegotiate(c), c, s);
    CHECK_INT(trace_count(c, 1, "ClientHello"), ==, 2);
    CHECK_REFUSED(tlshs_renegotiate(c), c); /* still under way */
    for (int i = 0; i < 10 && r != TLSHS_CLOSED; i++) {
        tlshs_read(s, buf, sizeof buf, &n);
        move_bytes(s, c);
        r = tlshs_read(c, buf, sizeof buf, &n);
        move_bytes(c, s);
    }
    CHECK_RESULT(r, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_received(c), ==, 100); /* no_renegotiation */
    CHECK_INT(tlshs_alert_sent(c), ==, 40);      /* handshake_failure */
    CHECK_INT(tlshs_error_code(c), ==, TLSHS_E_PROTOCOL);
    CHECK_INT(tlshs_alert_sent(s), ==, 100);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

/* ---- post-handshake authentication ---- */

/* A server whose verify is none asks only after the handshake; it takes the
   client's certificate (verified against ca.pem all the same), or none. */
static void pha_case(int with_cert) {
    tlshs_config *ccfg = with_cert ? client_with("post_handshake_auth", "on", "cert_file",
                                                 cert_path("client.pem"), "key_file",
                                                 cert_path("client.key"), NULL)
                                   : client_with("post_handshake_auth", "on", NULL);
    tlshs_config *scfg = server_with("ca_file", cert_path("ca.pem"), NULL);
    tlshs *c = NULL, *s = NULL;
    size_t len = 0;
    CHECK(ccfg && scfg);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    settle(c, s);
    CHECK(tlshs_peer_cert(s, NULL) == NULL);
    CHECK_INT(trace_count(s, 1, "CertificateRequest"), ==, 0);
    CHECK_MOVE(tlshs_request_client_cert(s), s, c);
    CHECK_INT(trace_count(s, 1, "CertificateRequest"), ==, 1);
    settle(c, s);
    CHECK_INT(trace_count(c, 0, "CertificateRequest"), ==, 1);
    CHECK_INT(trace_count(c, 1, "Certificate"), ==, 1);
    if (with_cert) {
        CHECK(tlshs_peer_cert(s, &len) != NULL);
        CHECK(len > 100);
        CHECK_INT(tlshs_verify_result(s), ==, 0);
        CHECK_INT(trace_count(c, 1, "CertificateVerify"), ==, 1);
        CHECK(flows(c, s, "authenticated"));
    } else {
        CHECK(tlshs_peer_cert(s, NULL) == NULL);
        CHECK(flows(c, s, "anonymous still"));
    }
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

TEST(test_moves_pha_with_cert) { pha_case(1); }
TEST(test_moves_pha_without_cert) { pha_case(0); }

/* An untrusted certificate asked for by a server whose verify is none is
   taken, and tlshs_verify_result says what verifying found. */
TEST(test_moves_pha_untrusted) {
    tlshs_config *ccfg = client_with("post_handshake_auth", "on", "cert_file",
                                     cert_path("unknown-client.pem"), "key_file",
                                     cert_path("unknown-client.key"), NULL);
    tlshs_config *scfg = server_with("verify", "none", NULL);
    tlshs *c = NULL, *s = NULL;
    CHECK(ccfg && scfg);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    settle(c, s);
    CHECK_MOVE(tlshs_request_client_cert(s), s, c);
    settle(c, s);
    /* verify none: taken, and what verifying found is told */
    CHECK(tlshs_peer_cert(s, NULL) != NULL);
    CHECK(tlshs_verify_result(s) != 0);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

/* ---- 0-RTT ---- */

static const char early_msg[] = "GET / early";

/* Client with a session of origin, writes early data to a server of scfg. */
static void early_case(tlshs_config *origin, tlshs_config *scfg, const char *want) {
    tlshs_config *ccfg = client_config();
    unsigned char der[8192];
    char got[256];
    size_t len, n = 0;
    tlshs *c = NULL, *s = NULL;
    CHECK(ccfg);
    len = session_from(ccfg, origin, der, sizeof der);
    CHECK(len > 0);
    c = tlshs_new(ccfg, "localhost");
    s = tlshs_new(scfg, NULL);
    CHECK(c && s);
    tlshs_set_trace(c, 1);
    tlshs_set_trace(s, 1);
    CHECK_INT(tlshs_set_session(c, der, len), ==, 0);
    CHECK_RESULT(tlshs_write_early(c, early_msg, sizeof early_msg - 1, &n), TLSHS_WANT_WRITE);
    CHECK_INT(n, ==, sizeof early_msg - 1);
    CHECK(move_bytes(c, s) > 0);
    CHECK_INT(early_handshake(c, s, got, sizeof got, &len), ==, 0);
    CHECK_STR(tlshs_early_data(c), want);
    CHECK_STR(tlshs_early_data(s), want);
    if (strcmp(want, "accepted") == 0) {
        CHECK_INT(len, ==, sizeof early_msg - 1);
        CHECK(memcmp(got, early_msg, len) == 0);
        CHECK_INT(tlshs_resumed(c), ==, 1);
        CHECK_INT(trace_count(c, 1, "EndOfEarlyData"), ==, 1);
        CHECK_INT(trace_count(s, 0, "EndOfEarlyData"), ==, 1);
    } else {
        CHECK_INT(len, ==, 0);
        CHECK_INT(trace_count(c, 1, "EndOfEarlyData"), ==, 0);
    }
    CHECK(flows(c, s, "after the early data"));
    CHECK(flows(s, c, "and back"));
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
}

TEST(test_moves_early_accepted) {
    tlshs_config *scfg = server_with("max_early_data", "16384", NULL);
    CHECK(scfg);
    early_case(scfg, scfg, "accepted");
    tlshs_config_free(scfg);
}

/* The session comes from another config: its ticket is not ours. */
TEST(test_moves_early_rejected_other_config) {
    tlshs_config *origin = server_with("max_early_data", "16384", NULL);
    tlshs_config *other = server_with("max_early_data", "16384", NULL);
    tlshs_config *refuses = server_with("max_early_data", "0", NULL);
    CHECK(origin && other && refuses);
    early_case(origin, other, "rejected");
    early_case(origin, refuses, "rejected");
    tlshs_config_free(origin);
    tlshs_config_free(other);
    tlshs_config_free(refuses);
}

/* Resumption without early data; and a session that does not allow it. */
TEST(test_moves_early_not_sent) {
    tlshs_config *scfg = server_with("max_early_data", "16384", NULL), *plain = server_config();
    tlshs_config *ccfg = client_config();
    unsigned char der[8192];
    size_t len, n = 0;
    tlshs *c = NULL, *s = NULL;
    CHECK(scfg && plain && ccfg);
    len = session_from(ccfg, scfg, der, sizeof der);
    CHECK(len > 0);
    c = tlshs_new(ccfg, "localhost");
    s = tlshs_new(scfg, NULL);
    CHECK(c && s);
    CHECK_INT(tlshs_set_session(c, der, len), ==, 0);
    CHECK(pump(c, s, 20));
    CHECK_INT(tlshs_resumed(c), ==, 1);
    CHECK_STR(tlshs_early_data(c), "not_sent");
    CHECK_STR(tlshs_early_data(s), "not_sent");
    tlshs_free(c);
    tlshs_free(s);
    /* a server without max_early_data: its session does not allow 0-RTT */
    len = session_from(ccfg, plain, der, sizeof der);
    CHECK(len > 0);
    c = tlshs_new(ccfg, "localhost");
    CHECK(c);
    CHECK_INT(tlshs_set_session(c, der, len), ==, 0);
    CHECK_RESULT(tlshs_write_early(c, "x", 1, &n), TLSHS_WANT_READ);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_STATE);
    CHECK_CONTAINS(tlshs_usage_error(c), "early data");
    tlshs_free(c);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
    tlshs_config_free(plain);
}

/* The same ClientHello with early data, fed to two servers of one config:
   the first accepts, the second (a replay) rejects the early data. */
TEST(test_moves_early_replay) {
    tlshs_config *scfg = server_with("max_early_data", "16384", NULL), *ccfg = client_config();
    unsigned char der[8192], flight[8192];
    char got[256];
    size_t len, flen, n = 0;
    tlshs *c = NULL, *s1 = NULL, *s2 = NULL;
    tlshs_result r = TLSHS_WANT_READ;
    CHECK(scfg && ccfg);
    len = session_from(ccfg, scfg, der, sizeof der);
    CHECK(len > 0);
    c = tlshs_new(ccfg, "localhost");
    s1 = tlshs_new(scfg, NULL);
    s2 = tlshs_new(scfg, NULL);
    CHECK(c && s1 && s2);
    CHECK_INT(tlshs_set_session(c, der, len), ==, 0);
    CHECK_RESULT(tlshs_write_early(c, early_msg, sizeof early_msg - 1, &n), TLSHS_WANT_WRITE);
    flen = tlshs_take(c, flight, sizeof flight);
    CHECK(flen > 0 && tlshs_pending(c) == 0);
    CHECK_INT(tlshs_feed(s1, flight, flen), ==, 0);
    CHECK_INT(tlshs_feed(s2, flight, flen), ==, 0);
    CHECK_INT(early_handshake(c, s1, got, sizeof got, &len), ==, 0);
    CHECK_STR(tlshs_early_data(s1), "accepted");
    CHECK_INT(len, ==, sizeof early_msg - 1);
    /* the replay: the early data is skipped, the handshake goes on */
    for (int i = 0; i < 5 && r != TLSHS_CLOSED; i++) {
        r = tlshs_read_early(s2, got, sizeof got, &n);
        CHECK_INT(n, ==, 0);
        if (r == TLSHS_WANT_WRITE) tlshs_take(s2, flight, sizeof flight);
        if (r == TLSHS_WANT_READ) break;
    }
    CHECK_RESULT(r, TLSHS_WANT_READ);
    CHECK_STR(tlshs_early_data(s2), "rejected");
    CHECK_INT(tlshs_resumed(s2), ==, 0);
    tlshs_free(c);
    tlshs_free(s1);
    tlshs_free(s2);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

/* While a server reads early data, step, read and write are refused. */
TEST(test_moves_early_step_refused) {
    tlshs_config *scfg = server_with("max_early_data", "16384", NULL), *ccfg = client_config();
    tlshs *c = NULL, *s = NULL;
    char buf[64];
    size_t n = 0;
    CHECK(scfg && ccfg);
    c = tlshs_new(ccfg, "localhost");
    s = tlshs_new(scfg, NULL);
    CHECK(c && s);
    CHECK_RESULT(tlshs_read_early(s, buf, sizeof buf, &n), TLSHS_WANT_READ);
    CHECK_REFUSED(tlshs_step(s), s);
    CHECK_REFUSED(tlshs_write(s, "x", 1, &n), s);
    CHECK_REFUSED(tlshs_read(s, buf, sizeof buf, &n), s);
    /* a client that sends none: the early data ends at once */
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    move_bytes(c, s);
    CHECK(early_handshake(c, s, buf, sizeof buf, &n) == 0);
    CHECK_INT(n, ==, 0);
    CHECK_STR(tlshs_early_data(s), "not_sent");
    CHECK_RESULT(tlshs_read_early(s, buf, sizeof buf, &n), TLSHS_DONE); /* as step */
    CHECK_INT(n, ==, 0);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

/* ---- tickets ---- */

static void tickets_case(const char *count, int want) {
    tlshs_config *ccfg = client_config(), *scfg = server_with("num_tickets", count, NULL);
    tlshs *c = NULL, *s = NULL;
    CHECK(ccfg && scfg);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    settle(c, s);
    CHECK_INT(trace_count(c, 0, "NewSessionTicket"), ==, want);
    CHECK_INT(trace_count(s, 1, "NewSessionTicket"), ==, want);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

TEST(test_moves_num_tickets_0) { tickets_case("0", 0); }
TEST(test_moves_num_tickets_1) { tickets_case("1", 1); }
TEST(test_moves_num_tickets_5) { tickets_case("5", 5); }

/* ---- OCSP stapling ---- */

static size_t read_file(const char *path, unsigned char *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f) return 0;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

TEST(test_moves_ocsp_staple) {
    tlshs_config *ccfg = client_with("status_request", "on", NULL), *plain = client_config();
    tlshs_config *scfg = server_with("ocsp_response_file", cert_path("ocsp-server.der"), NULL);
    unsigned char want[8192];
    size_t wlen = read_file(cert_path("ocsp-server.der"), want, sizeof want), len = 0;
    const unsigned char *got;
    tlshs *c = NULL, *s = NULL, *c2 = NULL, *s2 = NULL;
    CHECK(wlen > 0);
    CHECK(ccfg && scfg && plain);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    got = tlshs_ocsp_response(c, &len);
    CHECK(got != NULL);
    CHECK_INT(len, ==, wlen);
    CHECK(memcmp(got, want, len) == 0);
    CHECK(tlshs_ocsp_response(s, &len) == NULL); /* a server */
    CHECK_INT(len, ==, 0);
    /* not asked, not stapled */
    CHECK_INT(connect_pair(plain, scfg, &c2, &s2), ==, 0);
    CHECK(tlshs_ocsp_response(c2, &len) == NULL);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_free(c2);
    tlshs_free(s2);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
    tlshs_config_free(plain);
}

/* TLS 1.2: the response travels in a CertificateStatus message. */
TEST(test_moves_ocsp_staple_tls12) {
    tlshs_config *ccfg = client_with("status_request", "on", "max_version", "1.2", NULL);
    tlshs_config *scfg = server_with("ocsp_response_file", cert_path("ocsp-server.der"), NULL);
    tlshs *c = NULL, *s = NULL;
    size_t len = 0;
    CHECK(ccfg && scfg);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    CHECK(tlshs_ocsp_response(c, &len) != NULL);
    CHECK(len > 0);
    CHECK_INT(trace_count(c, 0, "CertificateStatus"), ==, 1);
    CHECK_INT(trace_count(s, 1, "CertificateStatus"), ==, 1);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

/* ---- custom extensions ---- */

TEST(test_moves_extensions_exchange) {
    tlshs_config *ccfg = client_with("extensions", "65280:cafe,65290:", NULL);
    tlshs_config *scfg = server_with("extensions", "65280:beef01,4660:00", NULL);
    tlshs *c = NULL, *s = NULL;
    const unsigned char *d;
    size_t len = 99;
    CHECK(ccfg && scfg);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    /* the server saw the one type it names (65290 is not its) */
    d = tlshs_peer_extension(s, 65280, &len);
    CHECK(d != NULL);
    CHECK_INT(len, ==, 2);
    CHECK(memcmp(d, "\xca\xfe", 2) == 0);
    CHECK(tlshs_peer_extension(s, 65290, &len) == NULL);
    CHECK_INT(len, ==, 0);
    CHECK_INT(tlshs_peer_extension_count(s), ==, 1);
    /* the client got the answer to the type it sent, not 4660 */
    d = tlshs_peer_extension(c, 65280, &len);
    CHECK(d != NULL);
    CHECK_INT(len, ==, 3);
    CHECK(memcmp(d, "\xbe\xef\x01", 3) == 0);
    CHECK(tlshs_peer_extension(c, 4660, NULL) == NULL);
    CHECK_INT(tlshs_peer_extension_count(c), ==, 1);
    CHECK_INT(tlshs_peer_extension_type(c, 0), ==, 65280);
    CHECK_INT(tlshs_peer_extension_type(c, 1), ==, -1);
    CHECK_INT(tlshs_peer_extension_type(s, 0), ==, 65280);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

/* An empty extension is told apart from none. */
TEST(test_moves_extensions_empty) {
    tlshs_config *ccfg = client_with("extensions", "65290:", "max_version", "1.2", NULL);
    tlshs_config *scfg = server_with("extensions", "65290:", NULL);
    tlshs *c = NULL, *s = NULL;
    size_t len = 99;
    CHECK(ccfg && scfg);
    CHECK_INT(connect_pair(ccfg, scfg, &c, &s), ==, 0);
    CHECK(tlshs_peer_extension(s, 65290, &len) != NULL);
    CHECK_INT(len, ==, 0);
    CHECK(tlshs_peer_extension(c, 65290, &len) != NULL);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}

/* ---- self-signed ---- */

/* The SHA-256 of der as "AB:CD:..." */
static void fingerprint_of(const unsigned char *der, size_t len, char *out) {
    unsigned char md[32];
    unsigned mdlen = 0;
    EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < mdlen; i++)
        sprintf(out + 3 * i, i + 1 < mdlen ? "%02X:" : "%02X", md[i]);
}

static void self_signed_case(const char *name) {
    tlshs_config *scfg = make_config(TLSHS_SERVER, "self_signed", name, NULL);
    tlshs_config *pin = make_config(TLSHS_CLIENT, "verify", "none", NULL), *trust = NULL;
    tlshs *c = NULL, *s = NULL, *c2 = NULL, *s2 = NULL;
    char fp[100];
    const unsigned char *der;
    size_t len = 0;
    CHECK(scfg && pin);
    CHECK_INT(strlen(tlshs_config_fingerprint(scfg)), ==, 95);
    CHECK(tlshs_config_cert_pem(scfg) != NULL);
    CHECK_CONTAINS(tlshs_config_cert_pem(scfg), "-----BEGIN CERTIFICATE-----");
    /* a client that pins the fingerprint */
    CHECK_INT(connect_pair(pin, scfg, &c, &s), ==, 0);
    der = tlshs_peer_cert(c, &len);
    CHECK(der != NULL);
    fingerprint_of(der, len, fp);
    CHECK_STR(fp, tlshs_config_fingerprint(scfg));
    /* a client that trusts the certificate itself, and checks the name */
    trust = make_config(TLSHS_CLIENT, "ca_pem", tlshs_config_cert_pem(scfg), NULL);
    CHECK(trust);
    c2 = tlshs_new(trust, name);
    s2 = tlshs_new(scfg, NULL);
    CHECK(c2 && s2);
    CHECK(pump(c2, s2, 20));
    CHECK_INT(tlshs_verify_result(c2), ==, 0);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_free(c2);
    tlshs_free(s2);
    tlshs_config_free(scfg);
    tlshs_config_free(pin);
    tlshs_config_free(trust);
}

TEST(test_moves_self_signed_name) { self_signed_case("test.example"); }
TEST(test_moves_self_signed_ip) { self_signed_case("127.0.0.1"); }

/* Another name fails verification; each config makes its own key. */
TEST(test_moves_self_signed_wrong_name) {
    tlshs_config *scfg = make_config(TLSHS_SERVER, "self_signed", "a.example", NULL);
    tlshs_config *other = make_config(TLSHS_SERVER, "self_signed", "a.example", NULL), *trust = NULL;
    tlshs *c = NULL, *s = NULL;
    CHECK(scfg && other);
    CHECK(strcmp(tlshs_config_fingerprint(scfg), tlshs_config_fingerprint(other)) != 0);
    trust = make_config(TLSHS_CLIENT, "ca_pem", tlshs_config_cert_pem(scfg), NULL);
    CHECK(trust);
    c = tlshs_new(trust, "b.example");
    s = tlshs_new(scfg, NULL);
    CHECK(c && s);
    CHECK(!pump(c, s, 20));
    CHECK_INT(tlshs_error_code(c), ==, TLSHS_E_VERIFY);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(scfg);
    tlshs_config_free(other);
    tlshs_config_free(trust);
}

/* The fingerprint of a certificate from cert_file is the openssl command's. */
TEST(test_moves_fingerprint_cert_file) {
    tlshs_config *scfg = server_config(), *none = tlshs_config_new(TLSHS_CLIENT);
    unsigned char pem[16384];
    size_t len = read_file(cert_path("server.pem"), pem, sizeof pem - 1);
    BIO *bio;
    X509 *x;
    unsigned char *der = NULL;
    int dlen;
    char fp[100];
    CHECK(scfg && none && len > 0);
    pem[len] = 0;
    bio = BIO_new_mem_buf(pem, (int)len);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    CHECK(x != NULL);
    dlen = i2d_X509(x, &der);
    X509_free(x);
    CHECK(dlen > 0);
    fingerprint_of(der, (size_t)dlen, fp);
    OPENSSL_free(der);
    CHECK_STR(tlshs_config_fingerprint(scfg), fp);
    CHECK_STR(tlshs_config_fingerprint(none), "");
    CHECK(tlshs_config_cert_pem(none) == NULL);
    CHECK_STR(tlshs_config_fingerprint(NULL), "");
    tlshs_config_free(scfg);
    tlshs_config_free(none);
}

/* self_signed with a certificate or key of cert_* / key_*: refused, in
   either order */
TEST(test_moves_self_signed_with_cert_file) {
    tlshs_config *a = make_config(TLSHS_SERVER, "self_signed", "a.example", "cert_file",
                                  cert_path("server.pem"), "key_file", cert_path("server.key"), NULL);
    tlshs_config *b = server_with("self_signed", "a.example", NULL);
    CHECK(a && b);
    CHECK_INT(tlshs_config_check(a), ==, -1);
    CHECK_INT(tlshs_config_error_code(a), ==, TLSHS_E_INCOMPLETE);
    CHECK_CONTAINS(tlshs_config_error(a), "self_signed");
    CHECK(tlshs_new(b, NULL) == NULL);
    CHECK_INT(tlshs_config_error_code(b), ==, TLSHS_E_INCOMPLETE);
    tlshs_config_free(a);
    tlshs_config_free(b);
}

/* write_early once the handshake went on with step: refused */
TEST(test_moves_write_early_after_step) {
    tlshs_config *scfg = server_with("max_early_data", "16384", NULL), *ccfg = client_config();
    unsigned char der[8192];
    size_t len, n = 0;
    tlshs *c = NULL;
    CHECK(scfg && ccfg);
    len = session_from(ccfg, scfg, der, sizeof der);
    CHECK(len > 0);
    c = tlshs_new(ccfg, "localhost");
    CHECK(c);
    CHECK_INT(tlshs_set_session(c, der, len), ==, 0);
    CHECK_RESULT(tlshs_write_early(c, "a", 1, &n), TLSHS_WANT_WRITE);
    CHECK_INT(n, ==, 1);
    CHECK_RESULT(tlshs_write_early(c, "b", 1, &n), TLSHS_WANT_WRITE); /* more may follow */
    CHECK_INT(n, ==, 1);
    CHECK_RESULT(tlshs_write_early(c, NULL, 0, &n), TLSHS_WANT_WRITE);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_ARGUMENT);
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    CHECK_REFUSED(tlshs_write_early(c, "c", 1, &n), c);
    CHECK_INT(n, ==, 0);
    tlshs_free(c);
    tlshs_config_free(ccfg);
    tlshs_config_free(scfg);
}
