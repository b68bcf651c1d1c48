/* test_sessions.c - sessions in memory: resumption in TLS 1.2 and 1.3, the
   export and its size, what set_session refuses, and which sessions a
   verifying client may resume. */
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "check.h"

static void check_resumption(const char *max_version) {
    tlshs_config *cc = client_with("max_version", max_version, (char *)NULL);
    tlshs_config *sc = server_config();
    unsigned char sess[8192];
    size_t len;
    tlshs *c, *s;
    CHECK(cc && sc);
    len = session_from(cc, sc, sess, sizeof sess);
    CHECK_INT(len, >, 0);
    CHECK_INT(len, <=, sizeof sess);
    c = tlshs_new(cc, "localhost");
    s = tlshs_new(sc, NULL);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    CHECK(c && s);
    CHECK_INT(tlshs_set_session(c, sess, len), ==, 0);
    tlshs_set_trace(c, 1);
    if (pump(c, s, 20)) {
        CHECK_INT(tlshs_resumed(c), ==, 1);
        CHECK_INT(tlshs_resumed(s), ==, 1);
        CHECK_INT(trace_count(c, 0, "Certificate"), ==, 0);
    } else {
        check_fail(__FILE__, __LINE__, "resumed handshake failed: %s / %s", tlshs_error(c),
                   tlshs_error(s));
    }
    tlshs_free(c);
    tlshs_free(s);
}

TEST(test_session_resumption_tls13) {
    check_resumption("1.3");
}

TEST(test_session_resumption_tls12) {
    check_resumption("1.2");
}

TEST(test_session_size_query) {
    tlshs_config *cc = client_config(), *sc = server_config();
    tlshs *c = NULL, *s = NULL;
    unsigned char small[8] = {0}, junk[64], *big = NULL;
    size_t len;
    CHECK(cc && sc);
    c = tlshs_new(cc, "localhost");
    s = tlshs_new(sc, NULL);
    if (c && s && pump(c, s, 20)) {
        CHECK_RESULT(tlshs_read(c, junk, sizeof junk, NULL), TLSHS_WANT_READ);
        len = tlshs_session(c, NULL, 0);
        CHECK_INT(len, >, sizeof small);
        CHECK_INT(tlshs_session(c, small, sizeof small), ==, len); /* too small: nothing copied */
        CHECK_INT(small[0], ==, 0);
        big = malloc(len);
        CHECK(big);
        CHECK_INT(tlshs_session(c, big, len), ==, len);
        CHECK_INT(big[0], ==, 0x30);                 /* a DER SEQUENCE */
        CHECK_INT(tlshs_session(s, NULL, 0), ==, 0); /* a server exports none */
    } else {
        check_fail(__FILE__, __LINE__, "handshake failed");
    }
    free(big);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

TEST(test_tickets_off_leaves_no_session) {
    tlshs_config *cc = client_config();
    tlshs_config *sc = server_with("tickets", "off", (char *)NULL);
    unsigned char sess[8192];
    CHECK(cc && sc);
    CHECK_INT(session_from(cc, sc, sess, sizeof sess), ==, 0);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

TEST(test_bad_sessions_refused) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    static const unsigned char junk[] = {0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x01};
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_set_session(p.c, junk, sizeof junk), ==, -1);
    CHECK_STR(tlshs_usage_error(p.c), "set_session: not a DER-encoded TLS session");
    CHECK_INT(tlshs_set_session(p.c, "hello", 5), ==, -1);
    CHECK_INT(tlshs_set_session(p.c, NULL, 10), ==, -1);
    CHECK_INT(tlshs_set_session(p.c, junk, 0), ==, -1);
    CHECK_INT(tlshs_set_session(p.s, junk, sizeof junk), ==, -1);
    CHECK_CONTAINS(tlshs_usage_error(p.s), "only a client");
    CHECK_INT(tlshs_set_session(NULL, junk, sizeof junk), ==, -1);
    CHECK(pump(p.c, p.s, 20)); /* refused sessions left nothing behind */
    CHECK_INT(tlshs_set_session(p.c, junk, sizeof junk), ==, -1);
    CHECK_CONTAINS(tlshs_usage_error(p.c), "before its first step");
    CHECK_INT(ERR_peek_error(), ==, 0);
    pair_free(&p);
}

TEST(test_truncated_session_refused) {
    tlshs_config *cc = client_config(), *sc = server_config();
    unsigned char sess[8192];
    size_t len;
    tlshs *c;
    CHECK(cc && sc);
    len = session_from(cc, sc, sess, sizeof sess);
    CHECK_INT(len, >, 10);
    c = tlshs_new(cc, "localhost");
    CHECK(c);
    CHECK_INT(tlshs_set_session(c, sess, len - 1), ==, -1);
    CHECK_INT(tlshs_set_session(c, sess, len / 2), ==, -1);
    sess[len] = 0;
    CHECK_INT(tlshs_set_session(c, sess, len + 1), ==, -1); /* trailing bytes */
    CHECK_INT(tlshs_set_session(c, sess, len), ==, 0);
    tlshs_free(c);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

/* ------------------------------- sessions a verifying client may resume */

/* A session saved by a client that does not verify, from a server whose
   certificate chains to a CA the verifying client does not trust: the
   verifying client must not resume it (that would skip verification). */
TEST(test_session_of_non_verifying_client_refused) {
    tlshs_config *none = make_config(TLSHS_CLIENT, "verify", "none", (char *)NULL);
    tlshs_config *sc = make_config(TLSHS_SERVER, "cert_file", cert_path("unknown.pem"), "key_file",
                                   cert_path("unknown.key"), (char *)NULL);
    unsigned char sess[8192];
    size_t len;
    struct pair p;
    tlshs_result rc, rs;
    CHECK(none && sc);
    len = session_from(none, sc, sess, sizeof sess);
    tlshs_config_free(none);
    CHECK_INT(len, >, 0);
    p = pair_of(client_config(), sc, "localhost"); /* takes sc's reference */
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_set_session(p.c, sess, len), ==, -1);
    CHECK_INT(tlshs_usage_code(p.c), ==, TLSHS_E_SESSION);
    CHECK_CONTAINS(tlshs_usage_error(p.c), "not made with this config");
    /* refused, so the handshake is a full one, and verification fails */
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_INT(tlshs_error_code(p.c), ==, TLSHS_E_VERIFY);
    CHECK_INT(tlshs_resumed(p.c), ==, 0);
    CHECK_INT(tlshs_verify_result(p.c), ==, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    pair_free(&p);
}

/* A session saved for localhost must not resume under another name. */
TEST(test_session_for_another_name_refused) {
    tlshs_config *cc = client_config(), *sc = server_config();
    unsigned char sess[8192];
    size_t len;
    tlshs *c, *s;
    tlshs_result rc = TLSHS_WANT_READ;
    CHECK(cc && sc);
    len = session_from(cc, sc, sess, sizeof sess);
    c = tlshs_new(cc, "wrong.example");
    s = tlshs_new(sc, NULL);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    CHECK_INT(len, >, 0);
    if (!c || !s) {
        check_fail(__FILE__, __LINE__, "tlshs_new failed");
    } else if (tlshs_set_session(c, sess, len) != -1 || tlshs_usage_code(c) != TLSHS_E_SESSION ||
               !strstr(tlshs_usage_error(c), "does not match server_name")) {
        check_fail(__FILE__, __LINE__, "set_session for wrong.example: usage %d \"%s\"",
                   tlshs_usage_code(c), tlshs_usage_error(c));
    } else {
        tlshs_pair(c, s, NULL, NULL, 20, &rc, NULL);
        if (rc != TLSHS_CLOSED || tlshs_error_code(c) != TLSHS_E_VERIFY ||
            tlshs_verify_result(c) != X509_V_ERR_HOSTNAME_MISMATCH || tlshs_resumed(c))
            check_fail(__FILE__, __LINE__, "wrong.example: %s, \"%s\", verify %ld, resumed %d",
                       tlshs_result_name(rc), tlshs_error(c), tlshs_verify_result(c),
                       tlshs_resumed(c));
    }
    tlshs_free(c);
    tlshs_free(s);
}

/* Offers sess to a new client of cc named name against sc; returns 1 if it
   was accepted and the handshake resumed, 0 if set_session refused it, -1
   on anything else (reported). */
static int offer_session(tlshs_config *cc, tlshs_config *sc, const char *name,
                         const unsigned char *sess, size_t len) {
    tlshs *c = tlshs_new(cc, name), *s = tlshs_new(sc, NULL);
    int r = -1;
    if (!c || !s) {
        check_fail(__FILE__, __LINE__, "tlshs_new failed");
    } else if (tlshs_set_session(c, sess, len) != 0) {
        r = tlshs_usage_code(c) == TLSHS_E_SESSION ? 0 : -1;
        if (r) check_fail(__FILE__, __LINE__, "set_session: %s", tlshs_usage_error(c));
    } else if (pump(c, s, 20) && tlshs_resumed(c) && tlshs_resumed(s)) {
        r = 1;
    } else {
        check_fail(__FILE__, __LINE__, "%s: not resumed: \"%s\"", name, tlshs_error(c));
    }
    tlshs_free(c);
    tlshs_free(s);
    return r;
}

/* What may resume: the config that made the session, under a name its
   certificate holds (a DNS name or an IP address); a client that does not
   verify, anything.  Another verifying config, even with the same trust,
   may not: a session is tied to the config that verified its peer. */
TEST(test_session_resumes_only_where_verified) {
    tlshs_config *cc = client_config(), *sc = server_config(), *other = client_config();
    tlshs_config *none = make_config(TLSHS_CLIENT, "verify", "none", (char *)NULL);
    unsigned char sess[8192];
    size_t len;
    CHECK(cc && sc && other && none);
    len = session_from(cc, sc, sess, sizeof sess);
    CHECK_INT(len, >, 0);
    CHECK_INT(offer_session(cc, sc, "localhost", sess, len), ==, 1);
    CHECK_INT(offer_session(cc, sc, "127.0.0.1", sess, len), ==, 1); /* the IP SAN */
    CHECK_INT(offer_session(cc, sc, "LOCALHOST", sess, len), ==, 1); /* names ignore case */
    CHECK_INT(offer_session(cc, sc, "127.0.0.2", sess, len), ==, 0);
    CHECK_INT(offer_session(none, sc, "localhost", sess, len), ==, 1);
    CHECK_INT(offer_session(none, sc, "wrong.example", sess, len), ==, 1);
    CHECK_INT(offer_session(other, sc, "localhost", sess, len), ==, 0);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    tlshs_config_free(other);
    tlshs_config_free(none);
}

