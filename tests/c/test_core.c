/* test_core.c - the contract's rules in memory, tlshs against itself: the
   names, the memory rules flight by flight, the outcome, failures and their
   codes, the trace, read, write and shutdown, and bad or NULL arguments.
   The rest of the core by concern: test_config.c, test_sessions.c,
   test_fd.c, test_openssl.c (raw OpenSSL peers), test_soak.c,
   test_threads.c. */
#include <dirent.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "check.h"

static int has_event(const tlshs *hs, int sent, const char *kind, const char *name) {
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e->sent == sent && strcmp(e->kind, kind) == 0 && strcmp(e->name, name) == 0) return 1;
    }
    return 0;
}

/* A verify failure's reason names what verifying found: OpenSSL's words for
   tlshs_verify_result, whatever they are. */
static int says_why_verify_failed(const tlshs *hs) {
    return strstr(tlshs_error(hs), X509_verify_cert_error_string(tlshs_verify_result(hs))) != NULL;
}

/* ---------------------------------------------------------------- names */

TEST(test_result_names) {
    CHECK_INT(TLSHS_WANT_READ, ==, 1);
    CHECK_INT(TLSHS_WANT_WRITE, ==, 2);
    CHECK_INT(TLSHS_DONE, ==, 3);
    CHECK_INT(TLSHS_CLOSED, ==, 4);
    CHECK_STR(tlshs_result_name(TLSHS_WANT_READ), "WANT_READ");
    CHECK_STR(tlshs_result_name(TLSHS_WANT_WRITE), "WANT_WRITE");
    CHECK_STR(tlshs_result_name(TLSHS_DONE), "DONE");
    CHECK_STR(tlshs_result_name(TLSHS_CLOSED), "CLOSED");
    CHECK_STR(tlshs_result_name((tlshs_result)0), "UNKNOWN");
    CHECK_STR(tlshs_result_name((tlshs_result)99), "UNKNOWN");
}

TEST(test_alert_names) {
    CHECK_STR(tlshs_alert_name(0), "close_notify");
    CHECK_STR(tlshs_alert_name(40), "handshake_failure");
    CHECK_STR(tlshs_alert_name(48), "unknown_ca");
    CHECK_STR(tlshs_alert_name(70), "protocol_version");
    CHECK_STR(tlshs_alert_name(116), "certificate_required");
    CHECK_STR(tlshs_alert_name(120), "no_application_protocol");
    CHECK_STR(tlshs_alert_name(-1), "unknown");
    CHECK_STR(tlshs_alert_name(255), "unknown");
    /* the inverse, for every code that has a name */
    CHECK_INT(tlshs_alert_from_name("close_notify"), ==, 0);
    CHECK_INT(tlshs_alert_from_name("unrecognized_name"), ==, 112);
    for (int code = 0; code < 256; code++)
        if (strcmp(tlshs_alert_name(code), "unknown") != 0)
            CHECK_INT(tlshs_alert_from_name(tlshs_alert_name(code)), ==, code);
    CHECK_INT(tlshs_alert_from_name("unknown"), ==, -1);
    CHECK_INT(tlshs_alert_from_name("fatal:handshake_failure"), ==, -1);
    CHECK_INT(tlshs_alert_from_name("Handshake_Failure"), ==, -1);
    CHECK_INT(tlshs_alert_from_name(""), ==, -1);
    CHECK_INT(tlshs_alert_from_name(NULL), ==, -1);
}

/* Every test defined in tests/c (TEST(name), or void test_name(void) {) is
   in test_list.h, so the runner runs it: a test left out of its list_*.h
   would otherwise never run, and never fail. */
TEST(test_every_test_is_listed) {
    DIR *dir = opendir("tests/c");
    struct dirent *d;
    int files = 0, found = 0;
    CHECK(dir);
    while ((d = readdir(dir)) != NULL) {
        char path[512], line[512];
        size_t len = strlen(d->d_name);
        FILE *f;
        if (len < 3 || strcmp(d->d_name + len - 2, ".c") != 0) continue;
        snprintf(path, sizeof path, "tests/c/%s", d->d_name);
        if (!(f = fopen(path, "r"))) continue;
        files++;
        while (fgets(line, sizeof line, f)) {
            char name[128];
            if (sscanf(line, "TEST(%127[a-z0-9_])", name) != 1 &&
                sscanf(line, "void %127[a-z0-9_](void) {", name) != 1)
                continue;
            if (strncmp(name, "test_", 5) != 0) continue;
            found++;
            if (!check_listed(name)) check_fail(path, 0, "%s is not in test_list.h", name);
        }
        fclose(f);
    }
    closedir(dir);
    CHECK_INT(files, >, 10);
    CHECK_INT(found, >, 200);
}

/* ----------------------------------------------------- the memory rules */

/* Rule 1 and 2 of the contract, flight by flight, in TLS 1.3. */
TEST(test_memory_rules_tls13_flights) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    CHECK(p.c && p.s);
    CHECK_RESULT(tlshs_last_result(p.c), TLSHS_WANT_READ);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE); /* ClientHello */
    CHECK_INT(tlshs_pending(p.c), >, 0);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE); /* still pending: still WANT_WRITE */
    CHECK_INT(move_bytes(p.c, p.s), >, 0);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_READ);  /* taken: waits for the server */
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE); /* ServerHello .. Finished */
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE);
    move_bytes(p.s, p.c);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_READ);
    /* the client completes, but its Finished waits: WANT_WRITE before DONE */
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE);
    CHECK(tlshs_handshake_done(p.c));
    CHECK_STR(tlshs_version(p.c), "TLSv1.3");
    move_bytes(p.c, p.s);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_DONE);
    CHECK_RESULT(tlshs_last_result(p.c), TLSHS_DONE);
    /* the server completes and its tickets wait: WANT_WRITE before DONE */
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE);
    move_bytes(p.s, p.c);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_DONE);
    /* DONE is sticky and has no side effects: fed bytes stay unread */
    CHECK_INT(tlshs_feed(p.c, "xyz", 3), ==, 0);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_DONE);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_DONE);
    CHECK_INT(tlshs_pending(p.c), ==, 0);
    CHECK_STR(tlshs_error(p.c), "");
    pair_free(&p);
}

TEST(test_tls12_handshake) {
    struct pair p =
        pair_of(client_with("max_version", "1.2", (char *)NULL), server_config(), "localhost");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_STR(tlshs_version(p.c), "TLSv1.2");
    CHECK_STR(tlshs_version(p.s), "TLSv1.2");
    CHECK_STR(tlshs_cipher(p.c), tlshs_cipher(p.s));
    CHECK_INT(tlshs_resumed(p.c), ==, 0);
    pair_free(&p);
}

TEST(test_outcome_before_done_is_empty) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    CHECK(p.c && p.s);
    CHECK(tlshs_version(p.c) == NULL);
    CHECK(tlshs_cipher(p.c) == NULL);
    CHECK(tlshs_alpn(p.c) == NULL);
    CHECK(tlshs_peer_cert(p.c, NULL) == NULL);
    CHECK_INT(tlshs_alert_sent(p.c), ==, -1);
    CHECK_INT(tlshs_alert_received(p.c), ==, -1);
    CHECK_STR(tlshs_error(p.c), "");
    CHECK_INT(tlshs_session(p.c, NULL, 0), ==, 0);
    CHECK_INT(tlshs_trace_count(p.c), ==, 0);
    CHECK(tlshs_trace_event(p.c, 0) == NULL);
    CHECK_INT(tlshs_get_role(p.c), ==, TLSHS_CLIENT);
    CHECK_INT(tlshs_get_role(p.s), ==, TLSHS_SERVER);
    pair_free(&p);
}

TEST(test_outcome_after_done) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    const unsigned char *der;
    size_t len = 0;
    X509 *x;
    char cn[64] = "";
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_STR(tlshs_server_name(p.c), "localhost");
    CHECK_STR(tlshs_server_name(p.s), "localhost"); /* as the server received it */
    CHECK_STR(tlshs_cipher(p.c), "TLS_AES_256_GCM_SHA384");
    CHECK_INT(tlshs_verify_result(p.c), ==, X509_V_OK);
    der = tlshs_peer_cert(p.c, &len);
    CHECK(der && len > 100);
    x = d2i_X509(NULL, &der, (long)len);
    CHECK(x);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    X509_free(x);
    CHECK_STR(cn, "localhost");
    CHECK(tlshs_peer_cert(p.s, &len) == NULL); /* no client certificate */
    CHECK_INT(len, ==, 0);
    CHECK_INT(tlshs_alert_sent(p.c), ==, -1);
    pair_free(&p);
}

TEST(test_alpn_server_order) {
    struct pair p = pair_of(client_with("alpn", "h2,http/1.1", (char *)NULL),
                            server_with("alpn", "http/1.1,h2", (char *)NULL), "localhost");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_STR(tlshs_alpn(p.c), "http/1.1");
    CHECK_STR(tlshs_alpn(p.s), "http/1.1");
    pair_free(&p);
}

TEST(test_alpn_no_overlap_fails) {
    struct pair p = pair_of(client_with("alpn", "h2", (char *)NULL),
                            server_with("alpn", "spdy/3", (char *)NULL), "localhost");
    tlshs_result rc, rs;
    CHECK(p.c && p.s);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_sent(p.s), ==, 120);
    CHECK_INT(tlshs_alert_received(p.c), ==, 120);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_ALERT);
    CHECK_STR(tlshs_error(p.c), "peer sent fatal alert no_application_protocol");
    pair_free(&p);
}

TEST(test_ip_literal_server_name) {
    struct pair p = pair_of(client_config(), server_config(), "127.0.0.1");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20)); /* checked against the IP SAN */
    CHECK_STR(tlshs_server_name(p.c), "127.0.0.1");
    CHECK(tlshs_server_name(p.s) == NULL); /* no SNI for an address (RFC 6066) */
    pair_free(&p);
}

/* ------------------------------------------------------------- failures */

TEST(test_unknown_ca_fails_with_alert) {
    struct pair p = pair_of(client_config(),
                            make_config(TLSHS_SERVER, "cert_file", cert_path("unknown.pem"),
                                        "key_file", cert_path("unknown.key"), (char *)NULL),
                            "localhost");
    tlshs_result r = TLSHS_WANT_READ;
    CHECK(p.c && p.s);
    tlshs_set_trace(p.c, 1);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE);
    move_bytes(p.c, p.s);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE);
    move_bytes(p.s, p.c);
    /* the client rejects the chain: its alert goes out before CLOSED */
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE);
    CHECK_STR(tlshs_error(p.c), ""); /* not CLOSED yet */
    CHECK_INT(tlshs_alert_sent(p.c), ==, 48);
    move_bytes(p.c, p.s);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_VERIFY);
    CHECK_INT(tlshs_verify_result(p.c), ==, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    CHECK(says_why_verify_failed(p.c));
    CHECK(has_event(p.c, 1, "alert", "fatal:unknown_ca"));
    CHECK(tlshs_peer_cert(p.c, NULL) != NULL); /* what the server presented */
    r = tlshs_step(p.s);
    CHECK_RESULT(r, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_received(p.s), ==, 48);
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_ALERT);
    CHECK_STR(tlshs_error(p.s), "peer sent fatal alert unknown_ca");
    /* CLOSED is sticky, the reason stays, and feeding is refused */
    CHECK_RESULT(tlshs_step(p.c), TLSHS_CLOSED);
    CHECK_INT(tlshs_feed(p.c, "x", 1), ==, -1);
    CHECK_CODE(tlshs_usage_code(p.c), TLSHS_E_STATE);
    CHECK_CONTAINS(tlshs_usage_error(p.c), "feed: the connection is closed");
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_VERIFY);
    CHECK(says_why_verify_failed(p.c));
    CHECK_INT(ERR_peek_error(), ==, 0);
    pair_free(&p);
}

TEST(test_wrong_host_name_fails) {
    struct pair p = pair_of(client_config(),
                            make_config(TLSHS_SERVER, "cert_file", cert_path("wrongname.pem"),
                                        "key_file", cert_path("wrongname.key"), (char *)NULL),
                            "localhost");
    tlshs_result rc, rs;
    CHECK(p.c && p.s);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_VERIFY);
    CHECK_INT(tlshs_verify_result(p.c), ==, X509_V_ERR_HOSTNAME_MISMATCH);
    CHECK(says_why_verify_failed(p.c));
    CHECK_INT(tlshs_alert_sent(p.c), >=, 0);
    CHECK_INT(tlshs_alert_received(p.s), ==, tlshs_alert_sent(p.c));
    pair_free(&p);
}

TEST(test_verify_none_accepts_anything) {
    struct pair p = pair_of(make_config(TLSHS_CLIENT, "verify", "none", (char *)NULL),
                            make_config(TLSHS_SERVER, "cert_file", cert_path("unknown.pem"),
                                        "key_file", cert_path("unknown.key"), (char *)NULL),
                            "localhost");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_INT(tlshs_verify_result(p.c), !=, X509_V_OK); /* recorded, not enforced */
    pair_free(&p);
}

TEST(test_version_mismatch) {
    struct pair p = pair_of(client_with("max_version", "1.2", (char *)NULL),
                            server_with("min_version", "1.3", (char *)NULL), "localhost");
    tlshs_result rc, rs;
    CHECK(p.c && p.s);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_sent(p.s), ==, 70);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_ALERT);
    CHECK_STR(tlshs_error(p.c), "peer sent fatal alert protocol_version");
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_PROTOCOL);
    pair_free(&p);
}

static tlshs_config *server_requiring_cert(void) {
    return server_with("verify", "require", "ca_file", cert_path("ca.pem"), (char *)NULL);
}

TEST(test_client_certificate) {
    struct pair p = pair_of(client_with("cert_file", cert_path("client.pem"), "key_file",
                                        cert_path("client.key"), (char *)NULL),
                            server_requiring_cert(), "localhost");
    size_t len = 0;
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK(tlshs_peer_cert(p.s, &len) != NULL);
    CHECK_INT(len, >, 100);
    CHECK_INT(tlshs_verify_result(p.s), ==, X509_V_OK);
    pair_free(&p);
}

TEST(test_missing_client_certificate) {
    struct pair p = pair_of(client_config(), server_requiring_cert(), "localhost");
    tlshs_result rc = TLSHS_WANT_READ, rs;
    CHECK(p.c && p.s);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_PROTOCOL);
    CHECK_INT(tlshs_alert_sent(p.s), ==, 116);
    /* In TLS 1.3 (the default) the client is DONE before the server judges
       it; the alert reaches it on its first read. */
    CHECK_RESULT(rc, TLSHS_DONE);
    {
        char buf[64];
        CHECK_RESULT(tlshs_read(p.c, buf, sizeof buf, NULL), TLSHS_CLOSED);
        CHECK_INT(tlshs_error_code(p.c), ==, TLSHS_E_ALERT);
    }
    CHECK_STR(tlshs_error(p.c), "peer sent fatal alert certificate_required");
    pair_free(&p);
}

TEST(test_client_certificate_unknown_ca) {
    struct pair p = pair_of(client_with("cert_file", cert_path("unknown-client.pem"), "key_file",
                                        cert_path("unknown-client.key"), (char *)NULL),
                            server_requiring_cert(), "localhost");
    tlshs_result rc, rs;
    CHECK(p.c && p.s);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_VERIFY);
    CHECK_INT(tlshs_verify_result(p.s), ==, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    CHECK(says_why_verify_failed(p.s));
    CHECK_INT(tlshs_alert_sent(p.s), ==, 48);
    pair_free(&p);
}

TEST(test_garbage_bytes) {
    static const char http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    unsigned char junk[512];
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_feed(p.s, http, sizeof http - 1), ==, 0);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_CLOSED); /* not TLS at all: no alert */
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_PROTOCOL);
    CHECK_INT(tlshs_pending(p.s), ==, 0);
    /* random bytes at a client that has sent its ClientHello */
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 131 + 7);
    tlshs_step(p.c);
    move_bytes(p.c, p.s);
    tlshs_feed(p.c, junk, sizeof junk);
    tlshs_step(p.c);
    tlshs_take(p.c, junk, sizeof junk);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_PROTOCOL);
    CHECK(strlen(tlshs_error(p.c)) > 0);
    CHECK_INT(ERR_peek_error(), ==, 0);
    pair_free(&p);
}

TEST(test_truncated_record_then_eof) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    unsigned char hello[4096];
    size_t n;
    CHECK(p.c && p.s);
    tlshs_step(p.c);
    n = tlshs_take(p.c, hello, sizeof hello);
    CHECK_INT(n, >, 50);
    CHECK_INT(tlshs_feed(p.s, hello, n / 2), ==, 0);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_READ); /* half a record: waits */
    CHECK_INT(tlshs_feed_eof(p.s), ==, 0);
    CHECK_INT(tlshs_feed_eof(p.s), ==, 0);           /* twice is harmless */
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE); /* OpenSSL's decode_error alert */
    CHECK_STR(tlshs_error(p.s), "");
    CHECK_INT(tlshs_alert_sent(p.s), ==, 50);
    tlshs_take(p.s, hello, sizeof hello);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_EOF);
    CHECK_STR(tlshs_error(p.s), "peer closed the connection during the handshake");
    pair_free(&p);
}

TEST(test_eof_mid_handshake) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    unsigned char buf[64];
    CHECK(p.c && p.s);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE);
    move_bytes(p.c, p.s);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_READ);
    CHECK_INT(tlshs_feed_eof(p.c), ==, 0);
    CHECK_INT(tlshs_feed(p.c, "x", 1), ==, -1);
    CHECK_STR(tlshs_usage_error(p.c), "feed: the input has ended (feed_eof)");
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE); /* the alert goes first */
    CHECK_INT(tlshs_take(p.c, buf, sizeof buf), >, 0);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_EOF);
    CHECK_STR(tlshs_error(p.c), "peer closed the connection during the handshake");
    pair_free(&p);
}

TEST(test_one_byte_fragments) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    unsigned char b;
    int feeds = 0;
    CHECK(p.c && p.s);
    for (int i = 0; i < 20000 && !(rc == TLSHS_DONE && rs == TLSHS_DONE); i++) {
        rc = tlshs_step(p.c);
        if (tlshs_take(p.c, &b, 1) == 1) tlshs_feed(p.s, &b, 1), feeds++;
        rs = tlshs_step(p.s);
        if (tlshs_take(p.s, &b, 1) == 1) tlshs_feed(p.c, &b, 1), feeds++;
    }
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    CHECK_INT(feeds, >, 1000);
    pair_free(&p);
}

/* ---------------------------------------------------------------- trace */

TEST(test_trace_tls13) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    const tlshs_event *e;
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_set_trace(p.c, 1), ==, 0);
    CHECK_INT(tlshs_set_trace(p.s, 1), ==, 0);
    CHECK_INT(tlshs_set_trace(NULL, 1), ==, -1);
    CHECK(pump(p.c, p.s, 20));
    e = tlshs_trace_event(p.c, 0);
    CHECK(e);
    CHECK_INT(e->sent, ==, 1);
    CHECK_STR(e->kind, "handshake");
    CHECK_STR(e->name, "ClientHello");
    CHECK_INT(e->length, >, 100);
    CHECK(has_event(p.c, 0, "handshake", "ServerHello"));
    CHECK(has_event(p.c, 0, "handshake", "EncryptedExtensions"));
    CHECK(has_event(p.c, 0, "handshake", "Certificate"));
    CHECK(has_event(p.c, 0, "handshake", "CertificateVerify"));
    CHECK(has_event(p.c, 0, "handshake", "Finished"));
    CHECK(has_event(p.c, 1, "handshake", "Finished"));
    CHECK(!has_event(p.c, 0, "handshake", "HelloRetryRequest"));
    CHECK(has_event(p.s, 0, "handshake", "ClientHello"));
    CHECK(has_event(p.s, 1, "handshake", "NewSessionTicket"));
    CHECK_INT(trace_count(p.c, 1, "ClientHello"), ==, 1);
    /* the server saw as many messages as the client sent, and the same sizes */
    CHECK(tlshs_trace_event(p.s, 0)->length == e->length);
    CHECK(tlshs_trace_event(p.c, tlshs_trace_count(p.c)) == NULL);
    pair_free(&p);
}

TEST(test_trace_hello_retry_request) {
    struct pair p = pair_of(client_with("groups", "X25519:P-256", (char *)NULL),
                            server_with("groups", "P-256", (char *)NULL), "localhost");
    CHECK(p.c && p.s);
    tlshs_set_trace(p.c, 1);
    tlshs_set_trace(p.s, 1);
    CHECK(pump(p.c, p.s, 20));
    CHECK(has_event(p.c, 0, "handshake", "HelloRetryRequest"));
    CHECK(has_event(p.s, 1, "handshake", "HelloRetryRequest"));
    CHECK_INT(trace_count(p.c, 1, "ClientHello"), ==, 2);
    CHECK_INT(trace_count(p.c, 0, "ServerHello"), ==, 1); /* the real one */
    pair_free(&p);
}

TEST(test_trace_tls12_change_cipher_spec) {
    struct pair p =
        pair_of(client_with("max_version", "1.2", (char *)NULL), server_config(), "localhost");
    CHECK(p.c && p.s);
    tlshs_set_trace(p.c, 1);
    CHECK(pump(p.c, p.s, 20));
    CHECK(has_event(p.c, 0, "handshake", "ServerKeyExchange"));
    CHECK(has_event(p.c, 0, "handshake", "ServerHelloDone"));
    CHECK(has_event(p.c, 1, "handshake", "ClientKeyExchange"));
    CHECK(has_event(p.c, 1, "change_cipher_spec", "ChangeCipherSpec"));
    CHECK(has_event(p.c, 0, "change_cipher_spec", "ChangeCipherSpec"));
    pair_free(&p);
}

/* --------------------------------------------- read, write and shutdown */

TEST(test_read_write_and_shutdown) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    char buf[64];
    size_t n = 99;
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, &n), TLSHS_WANT_READ);
    CHECK_INT(n, ==, 0);
    CHECK(flows(p.c, p.s, "hello server"));
    CHECK(flows(p.s, p.c, "hello client"));
    CHECK_RESULT(tlshs_write(p.c, "", 0, &n), TLSHS_DONE);
    CHECK_INT(n, ==, 0);
    /* the client closes: its close_notify goes out first */
    CHECK_RESULT(tlshs_shutdown(p.c), TLSHS_WANT_WRITE);
    move_bytes(p.c, p.s);
    CHECK_RESULT(tlshs_shutdown(p.c), TLSHS_WANT_READ);
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, &n), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_CLOSE_NOTIFY);
    CHECK_STR(tlshs_error(p.s), "peer sent close_notify");
    CHECK_INT(tlshs_alert_received(p.s), ==, 0);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_CLOSED);
    /* the server answers with its own */
    CHECK_RESULT(tlshs_shutdown(p.s), TLSHS_WANT_WRITE);
    move_bytes(p.s, p.c);
    CHECK_RESULT(tlshs_shutdown(p.s), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_shutdown(p.c), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_SHUTDOWN);
    CHECK_STR(tlshs_error(p.c), "shut down: close_notify sent and received");
    CHECK_RESULT(tlshs_write(p.c, "x", 1, &n), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_read(p.c, buf, sizeof buf, &n), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_shutdown(p.c), TLSHS_CLOSED);
    pair_free(&p);
}

TEST(test_eof_after_handshake) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    char buf[64];
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_INT(tlshs_feed_eof(p.s), ==, 0);
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, NULL), TLSHS_WANT_WRITE); /* an alert */
    CHECK_INT(tlshs_take(p.s, buf, sizeof buf), >, 0);
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, NULL), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_EOF);
    CHECK_STR(tlshs_error(p.s), "peer closed the connection without close_notify");
    pair_free(&p);
}

TEST(test_shutdown_before_done) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    CHECK(p.c && p.s);
    tlshs_step(p.c);
    CHECK_RESULT(tlshs_shutdown(p.c), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_SHUTDOWN);
    CHECK_STR(tlshs_error(p.c), "shut down before the handshake completed");
    CHECK_RESULT(tlshs_step(p.c), TLSHS_CLOSED);
    pair_free(&p);
}

TEST(test_write_before_done_continues_handshake) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    size_t n = 7;
    char buf[64];
    tlshs_result r = TLSHS_WANT_READ;
    CHECK(p.c && p.s);
    CHECK_RESULT(tlshs_write(p.c, "early", 5, &n), TLSHS_WANT_WRITE); /* the ClientHello */
    CHECK_INT(n, ==, 0);
    for (int i = 0; i < 10 && r != TLSHS_DONE; i++) {
        move_bytes(p.c, p.s);
        tlshs_step(p.s);
        move_bytes(p.s, p.c);
        r = tlshs_write(p.c, "early", 5, &n);
    }
    CHECK_RESULT(r, TLSHS_DONE);
    CHECK_INT(n, ==, 5);
    move_bytes(p.c, p.s);
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, &n), TLSHS_DONE);
    CHECK_INT(n, ==, 5);
    pair_free(&p);
}

/* ------------------------------------------------------- bad input, NULL */

TEST(test_null_handshake_is_safe) {
    size_t n = 5;
    char buf[4];
    CHECK_RESULT(tlshs_step(NULL), TLSHS_CLOSED);
    CHECK_INT(tlshs_feed(NULL, "x", 1), ==, -1);
    CHECK_INT(tlshs_feed_eof(NULL), ==, -1);
    CHECK_INT(tlshs_pending(NULL), ==, 0);
    CHECK_INT(tlshs_take(NULL, buf, 4), ==, 0);
    CHECK_RESULT(tlshs_read(NULL, buf, 4, &n), TLSHS_CLOSED);
    CHECK_INT(n, ==, 0);
    CHECK_RESULT(tlshs_write(NULL, "x", 1, &n), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_shutdown(NULL), TLSHS_CLOSED);
    CHECK_STR(tlshs_error(NULL), "");
    CHECK_STR(tlshs_usage_error(NULL), "");
    CHECK_INT(tlshs_alert_sent(NULL), ==, -1);
    CHECK_INT(tlshs_alert_received(NULL), ==, -1);
    CHECK(tlshs_version(NULL) == NULL);
    CHECK(tlshs_cipher(NULL) == NULL);
    CHECK(tlshs_alpn(NULL) == NULL);
    CHECK(tlshs_server_name(NULL) == NULL);
    CHECK_INT(tlshs_resumed(NULL), ==, 0);
    CHECK_INT(tlshs_verify_result(NULL), ==, -1);
    CHECK(tlshs_peer_cert(NULL, &n) == NULL);
    CHECK_INT(n, ==, 0);
    CHECK_INT(tlshs_session(NULL, NULL, 0), ==, 0);
    CHECK_INT(tlshs_trace_count(NULL), ==, 0);
    CHECK(tlshs_trace_event(NULL, 0) == NULL);
    CHECK_RESULT(tlshs_last_result(NULL), TLSHS_CLOSED);
    CHECK_INT(tlshs_handshake_done(NULL), ==, 0);
    tlshs_free(NULL);
}

TEST(test_bad_buffers) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    size_t n = 3;
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_feed(p.c, NULL, 5), ==, -1);
    CHECK_STR(tlshs_usage_error(p.c), "feed: data is NULL");
    CHECK_INT(tlshs_feed(p.c, NULL, 0), ==, 0);
    CHECK_INT(tlshs_take(p.c, NULL, 10), ==, 0);
    CHECK_RESULT(tlshs_read(p.c, NULL, 10, &n), TLSHS_WANT_READ); /* the last result */
    CHECK_STR(tlshs_usage_error(p.c), "read: buf is NULL: no buffer to read into");
    CHECK_RESULT(tlshs_write(p.c, NULL, 10, &n), TLSHS_WANT_READ);
    CHECK_STR(tlshs_error(p.c), ""); /* refusals do not close the connection */
    CHECK(pump(p.c, p.s, 20));
    pair_free(&p);
}

TEST(test_free_mid_handshake) {
    for (int stop = 0; stop < 6; stop++) {
        struct pair p = pair_of(client_config(), server_config(), "localhost");
        CHECK(p.c && p.s);
        tlshs_set_trace(p.c, 1);
        for (int i = 0; i < stop; i++) {
            tlshs_step(p.c);
            move_bytes(p.c, p.s);
            tlshs_step(p.s);
            if (i % 2) move_bytes(p.s, p.c);
        }
        pair_free(&p); /* pending bytes, half-read input: all freed */
    }
}

/* One object's failure leaves nothing in OpenSSL's error queue for another. */
TEST(test_errors_do_not_leak_between_objects) {
    struct pair bad = pair_of(client_config(),
                              make_config(TLSHS_SERVER, "cert_file", cert_path("unknown.pem"),
                                          "key_file", cert_path("unknown.key"), (char *)NULL),
                              "localhost");
    struct pair good = pair_of(client_config(), server_config(), "localhost");
    tlshs_result rc, rs;
    CHECK(bad.c && good.c);
    tlshs_step(good.c);
    run_pair(&bad, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_INT(ERR_peek_error(), ==, 0);
    CHECK(pump(good.c, good.s, 20));
    CHECK_STR(tlshs_error(good.c), "");
    pair_free(&bad);
    pair_free(&good);
}

/* ------------------------------------------ close_notify, names, buffers */

/* A close_notify alert record in the clear (TLS 1.2 record version). */
static const unsigned char close_notify_record[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};

TEST(test_close_notify_during_handshake) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    CHECK(p.c && p.s);
    /* the client has sent its ClientHello; the server says goodbye instead */
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE);
    move_bytes(p.c, p.s);
    CHECK_INT(tlshs_feed(p.c, close_notify_record, sizeof close_notify_record), ==, 0);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_CLOSED);
    CHECK_INT(tlshs_error_code(p.c), ==, TLSHS_E_CLOSE_NOTIFY);
    CHECK_STR(tlshs_error(p.c), "peer sent close_notify during the handshake");
    CHECK_INT(tlshs_alert_received(p.c), ==, 0);
    pair_free(&p);
    /* A server takes nothing but a ClientHello first: OpenSSL 3.0 answers
       any other record, this one too, with unexpected_message. */
    p = pair_of(client_config(), server_config(), "localhost");
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_feed(p.s, close_notify_record, sizeof close_notify_record), ==, 0);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE);
    move_bytes(p.s, p.c);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_CLOSED);
    CHECK_INT(tlshs_error_code(p.s), ==, TLSHS_E_PROTOCOL);
    CHECK_INT(tlshs_alert_sent(p.s), ==, 10);
    CHECK_INT(tlshs_alert_received(p.s), ==, -1);
    pair_free(&p);
}

TEST(test_server_name_too_long) {
    tlshs_config *cfg = client_config();
    char name[300], longest[256];
    tlshs *hs;
    CHECK(cfg);
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    CHECK(tlshs_new(cfg, name) == NULL);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_ARGUMENT, "server_name: ", "299 bytes, longer than the 255");
    CHECK(!strstr(tlshs_config_error(cfg), "aaaaaaaaaaaaaaaa")); /* not echoed */
    /* 255 bytes (four labels of 63) is a host name */
    memset(longest, 'a', 255);
    longest[63] = longest[127] = longest[191] = '.';
    longest[255] = '\0';
    hs = tlshs_new(cfg, longest);
    CHECK(hs);
    CHECK_STR(tlshs_server_name(hs), longest);
    tlshs_free(hs);
    tlshs_config_free(cfg);
}

/* A call refused for its arguments changes nothing and answers the last
   result: it is a usage error, not the end of the connection. */
TEST(test_read_write_bad_arguments) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    char buf[16];
    size_t n = 3;
    CHECK(p.c && p.s);
    CHECK_RESULT(tlshs_read(p.c, NULL, 10, &n), TLSHS_WANT_READ); /* before any step */
    CHECK_INT(n, ==, 0);
    CHECK_INT(tlshs_usage_code(p.c), ==, TLSHS_E_ARGUMENT);
    CHECK_INT(tlshs_pending(p.c), ==, 0); /* the handshake did not start */
    CHECK(pump(p.c, p.s, 20));
    CHECK_RESULT(tlshs_read(p.c, NULL, 10, &n), TLSHS_DONE);
    CHECK_INT(tlshs_usage_code(p.c), ==, TLSHS_E_ARGUMENT);
    CHECK_CONTAINS(tlshs_usage_error(p.c), "read: buf is NULL");
    CHECK_RESULT(tlshs_read(p.c, buf, 0, &n), TLSHS_DONE);
    CHECK_CONTAINS(tlshs_usage_error(p.c), "read: cap is 0");
    CHECK_RESULT(tlshs_write(p.c, NULL, 10, &n), TLSHS_DONE);
    CHECK_CONTAINS(tlshs_usage_error(p.c), "write: buf is NULL");
    CHECK_INT(n, ==, 0);
    CHECK_RESULT(tlshs_last_result(p.c), TLSHS_DONE);
    CHECK_STR(tlshs_error(p.c), "");
    CHECK_INT(tlshs_error_code(p.c), ==, TLSHS_OK);
    /* the connection still works */
    CHECK_RESULT(tlshs_write(p.c, "ping", 4, &n), TLSHS_DONE);
    move_bytes(p.c, p.s);
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, &n), TLSHS_DONE);
    CHECK_INT(n, ==, 4);
    /* and a refused call after CLOSED answers CLOSED */
    tlshs_feed_eof(p.c);
    while (tlshs_read(p.c, buf, sizeof buf, &n) == TLSHS_WANT_WRITE) tlshs_take(p.c, buf, sizeof buf);
    CHECK_RESULT(tlshs_read(p.c, NULL, 1, &n), TLSHS_CLOSED);
    pair_free(&p);
}

