/* test_hello_api.c - the hellos as a handshake shows them (tlshs_client_hello,
   tlshs_ja3s) and a server's look at the ClientHello (tlshs_set_hello_cb,
   tlshs_use_config), in memory mode between tlshs peers.  The parser itself
   is tested in test_hello.c, against real clients by tests/python. */
#include <stdint.h>

#include "check.h"

static int has_u16(const uint16_t *v, size_t n, unsigned x) {
    for (size_t i = 0; i < n; i++)
        if (v[i] == x) return 1;
    return 0;
}

/* Both sides see the same ClientHello, from the moment it exists: the
   client's as sent, the server's as received; JA3S agrees on both sides. */
TEST(test_client_hello_both_sides) {
    tlshs_config *cc = client_with("alpn", "h2,http/1.1", (char *)NULL), *sc = server_config();
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    const tlshs_hello *hc, *hs;
    CHECK(c && s);
    CHECK(tlshs_client_hello(c) == NULL);
    CHECK(tlshs_ja3s(c) == NULL && tlshs_ja3s_hash(c) == NULL);
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    hc = tlshs_client_hello(c);
    CHECK(hc != NULL);
    CHECK(tlshs_client_hello(s) == NULL);
    CHECK(pump(c, s, 20));
    hc = tlshs_client_hello(c);
    hs = tlshs_client_hello(s);
    CHECK(hc && hs);
    CHECK_INT(hc->raw_len, ==, hs->raw_len);
    CHECK(memcmp(hc->raw, hs->raw, hc->raw_len) == 0);
    CHECK_INT(hc->raw[0], ==, 1);
    CHECK_INT(hc->legacy_version, ==, 0x0303);
    CHECK_STR(hc->server_name, "localhost");
    CHECK_INT(hc->n_alpn, ==, 2);
    CHECK_STR(hc->alpn[0], "h2");
    CHECK_STR(hc->alpn[1], "http/1.1");
    CHECK(has_u16(hc->versions, hc->n_versions, 0x0304));
    CHECK(has_u16(hc->ciphers, hc->n_ciphers, 0x1301));
    CHECK(has_u16(hc->extensions, hc->n_extensions, 43));
    CHECK_STR(hc->ja3, hs->ja3);
    CHECK_STR(hc->ja4, hs->ja4);
    CHECK_INT(strlen(hc->ja3_hash), ==, 32);
    CHECK_CONTAINS(hc->ja4, "t13d");
    CHECK(tlshs_ja3s(c) && tlshs_ja3s(s));
    CHECK_STR(tlshs_ja3s(c), tlshs_ja3s(s));
    CHECK_STR(tlshs_ja3s_hash(c), tlshs_ja3s_hash(s));
    CHECK_CONTAINS(tlshs_ja3s(c), "771,4866,"); /* TLS_AES_256_GCM_SHA384, OpenSSL's first */
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

/* After a HelloRetryRequest both sides report the second ClientHello (its
   key share is the group the server asked for), and JA3S is the real
   ServerHello's, not the HelloRetryRequest's. */
TEST(test_client_hello_after_hrr) {
    tlshs_config *cc = client_with("groups", "X25519:P-256", (char *)NULL);
    tlshs_config *sc = server_with("groups", "P-256", (char *)NULL);
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    const tlshs_hello *h;
    CHECK(c && s);
    CHECK(pump(c, s, 20));
    h = tlshs_client_hello(s);
    CHECK(h != NULL);
    CHECK_INT(h->n_key_shares, ==, 1);
    CHECK_INT(h->key_shares[0], ==, 23); /* secp256r1 */
    h = tlshs_client_hello(c);
    CHECK(h && h->n_key_shares == 1 && h->key_shares[0] == 23);
    CHECK_STR(tlshs_ja3s(c), tlshs_ja3s(s));
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

/* ---- the hello callback ---- */

struct look {
    int calls;
    int refuse;                /* the alert to answer, 0 to go on */
    tlshs_config *by_sni;      /* the config for "wrong.example" */
    char sni[64];
    int use_rc;
    const char *reason;
};

static int on_hello(tlshs *hs, const tlshs_hello *hello, void *arg) {
    struct look *l = arg;
    l->calls++;
    snprintf(l->sni, sizeof l->sni, "%s", hello->server_name ? hello->server_name : "");
    if (l->by_sni && hello->server_name && strcmp(hello->server_name, "wrong.example") == 0)
        l->use_rc = tlshs_use_config(hs, l->by_sni);
    if (l->reason) tlshs_set_hello_reason(hs, l->reason);
    return l->refuse;
}

/* A handshake whose server looks at the hello with l; answers the pair's
   outcome (1 if both DONE) and leaves c and s for the caller to free. */
static int looked(struct look *l, tlshs_config *cc, const char *name, tlshs **c, tlshs **s) {
    tlshs_config *sc = server_config();
    int ok;
    *c = tlshs_new(cc, name);
    *s = tlshs_new(sc, NULL);
    tlshs_config_free(sc);
    if (!*c || !*s || tlshs_set_hello_cb(*s, on_hello, l) != 0) return -1;
    ok = pump(*c, *s, 20);
    return ok;
}

/* SNI picks the certificate: "wrong.example" gets wrongname.pem (the client,
   verifying that name, accepts it), "localhost" the default server.pem. */
TEST(test_hello_cb_sni_picks_certificate) {
    struct look l = {0};
    tlshs_config *cc = client_config();
    tlshs *c, *s;
    size_t len;
    l.by_sni = make_config(TLSHS_SERVER, "cert_file", cert_path("wrongname.pem"), "key_file",
                           cert_path("wrongname.key"), "alpn", "h2", (char *)NULL);
    CHECK(cc && l.by_sni);
    CHECK_INT(looked(&l, cc, "wrong.example", &c, &s), ==, 1);
    CHECK_INT(l.calls, ==, 1);
    CHECK_STR(l.sni, "wrong.example");
    CHECK_INT(l.use_rc, ==, 0);
    CHECK_INT(tlshs_verify_result(c), ==, 0);
    CHECK(tlshs_peer_cert(c, &len) != NULL);
    tlshs_free(c);
    tlshs_free(s);
    /* the switched config is held by the handshake: the caller's reference
       can go first */
    l.calls = 0;
    CHECK_INT(looked(&l, cc, "localhost", &c, &s), ==, 1);
    CHECK_INT(l.calls, ==, 1);
    CHECK_STR(l.sni, "localhost");
    tlshs_free(c);
    tlshs_free(s);
    /* without the switch, wrong.example fails the client's name check */
    tlshs_config_free(l.by_sni);
    l.by_sni = NULL;
    CHECK_INT(looked(&l, cc, "wrong.example", &c, &s), ==, 0);
    CHECK_INT(tlshs_error_code(c), ==, TLSHS_E_VERIFY);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
}

/* The switched config's ALPN list and versions apply. */
TEST(test_hello_cb_switch_applies_alpn_and_versions) {
    struct look l = {0};
    tlshs_config *cc = client_with("alpn", "http/1.1,h2", (char *)NULL);
    tlshs *c, *s;
    l.by_sni = make_config(TLSHS_SERVER, "cert_file", cert_path("wrongname.pem"), "key_file",
                           cert_path("wrongname.key"), "alpn", "h2", "max_version", "1.2",
                           (char *)NULL);
    CHECK(cc && l.by_sni);
    CHECK_INT(looked(&l, cc, "wrong.example", &c, &s), ==, 1);
    CHECK_STR(tlshs_alpn(c), "h2");
    CHECK_STR(tlshs_version(c), "TLSv1.2");
    CHECK_STR(tlshs_version(s), "TLSv1.2");
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(l.by_sni);
    tlshs_config_free(cc);
}

/* A refusal sends the chosen alert, which the client receives; the server
   closes with TLSHS_E_REFUSED and the callback's words. */
TEST(test_hello_cb_refuses_with_alert) {
    struct look l = {0};
    tlshs_config *cc = client_config();
    tlshs *c, *s;
    char buf[16];
    l.refuse = 112; /* unrecognized_name */
    CHECK_INT(looked(&l, cc, "localhost", &c, &s), ==, 0);
    CHECK_RESULT(tlshs_last_result(s), TLSHS_CLOSED);
    CHECK_INT(tlshs_error_code(s), ==, TLSHS_E_REFUSED);
    CHECK_STR(tlshs_error(s), "refused by the hello callback with unrecognized_name");
    CHECK_INT(tlshs_alert_sent(s), ==, 112);
    CHECK_INT(tlshs_alert_received(c), ==, 112);
    CHECK_INT(tlshs_error_code(c), ==, TLSHS_E_ALERT);
    CHECK_RESULT(tlshs_read(c, buf, sizeof buf, NULL), TLSHS_CLOSED);
    tlshs_free(c);
    tlshs_free(s);
    /* with a reason, and an out-of-range answer: internal_error */
    l.refuse = 4000;
    l.reason = "on_client_hello raised ValueError: no";
    CHECK_INT(looked(&l, cc, "localhost", &c, &s), ==, 0);
    CHECK_STR(tlshs_error(s), "on_client_hello raised ValueError: no");
    CHECK_INT(tlshs_alert_sent(s), ==, 80);
    CHECK_INT(tlshs_alert_received(c), ==, 80);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
}

static int use_client_config(tlshs *hs, const tlshs_hello *hello, void *arg) {
    (void)hello;
    *(int *)arg = tlshs_use_config(hs, NULL) * 10 + (int)tlshs_usage_code(hs);
    return 0;
}

/* Misuse: a client cannot look; the callback is set before the first step;
   use_config works only inside it, only with a server config. */
TEST(test_hello_cb_misuse) {
    tlshs_config *cc = client_config(), *sc = server_config();
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    int inside = 0;
    CHECK(c && s);
    CHECK_INT(tlshs_set_hello_cb(c, on_hello, NULL), ==, -1);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_STATE);
    CHECK_INT(tlshs_use_config(s, sc), ==, -1);
    CHECK_INT(tlshs_usage_code(s), ==, TLSHS_E_STATE);
    CHECK_INT(tlshs_set_hello_reason(s, "x"), ==, -1);
    CHECK_INT(tlshs_set_hello_cb(s, use_client_config, &inside), ==, 0);
    CHECK(pump(c, s, 20));
    CHECK_INT(inside, ==, -10 + (int)TLSHS_E_ARGUMENT);
    CHECK_INT(tlshs_set_hello_cb(s, on_hello, NULL), ==, -1); /* started */
    CHECK_INT(tlshs_usage_code(s), ==, TLSHS_E_STATE);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

struct wrong_role {
    tlshs_config *client_cfg;
    int rc;
    tlshs_code code;
    char why[256];
};

static int use_wrong_role(tlshs *hs, const tlshs_hello *hello, void *arg) {
    struct wrong_role *w = arg;
    (void)hello;
    w->rc = tlshs_use_config(hs, w->client_cfg);
    w->code = tlshs_usage_code(hs);
    snprintf(w->why, sizeof w->why, "%s", tlshs_usage_error(hs));
    return 0;
}

/* A config of the wrong role is a clear usage error inside the callback;
   the handshake goes on with the first config. */
TEST(test_hello_cb_wrong_role_config) {
    struct wrong_role w = {client_config(), 0, TLSHS_OK, ""};
    tlshs_config *cc = client_config(), *sc = server_config();
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    CHECK(c && s && w.client_cfg);
    CHECK_INT(tlshs_set_hello_cb(s, use_wrong_role, &w), ==, 0);
    CHECK(pump(c, s, 20));
    CHECK_INT(w.rc, ==, -1);
    CHECK_INT(w.code, ==, TLSHS_E_ARGUMENT);
    CHECK_CONTAINS(w.why, "client config");
    /* the step that ran the callback, and those since, were not refused */
    CHECK_INT(tlshs_usage_code(s), ==, TLSHS_OK);
    CHECK_STR(tlshs_usage_error(s), "");
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    tlshs_config_free(w.client_cfg);
}

/* ---- the bytes in the trace ---- */

/* Every handshake message one side sent is, byte for byte, the one the other
   received, in order; the ClientHello's bytes are tlshs_client_hello's raw. */
static void same_messages(tlshs *from, tlshs *to) {
    size_t j = 0, nt = tlshs_trace_count(to), matched = 0;
    for (size_t i = 0; i < tlshs_trace_count(from); i++) {
        const tlshs_event *e = tlshs_trace_event(from, i), *f = NULL;
        if (!e->sent || strcmp(e->kind, "handshake") != 0) continue;
        while (j < nt && !f) {
            const tlshs_event *g = tlshs_trace_event(to, j++);
            if (!g->sent && strcmp(g->kind, "handshake") == 0) f = g;
        }
        CHECK(f != NULL);
        CHECK_STR(f->name, e->name);
        CHECK_INT(f->length, ==, e->length);
        CHECK(e->data != NULL && f->data != NULL);
        CHECK(memcmp(e->data, f->data, e->length) == 0);
        CHECK_INT(e->data[0], !=, 0xff);
        matched++;
    }
    CHECK_INT(matched, >=, 1);
}

static void traced_pair(const char *version) {
    tlshs_config *cc = client_with("max_version", version, (char *)NULL), *sc = server_config();
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    const tlshs_event *e;
    char buf[64];
    CHECK(c && s);
    tlshs_set_trace(c, 1);
    tlshs_set_trace(s, 1);
    CHECK(pump(c, s, 20));
    tlshs_read(c, buf, sizeof buf, NULL); /* the TLS 1.3 tickets */
    same_messages(c, s);
    same_messages(s, c);
    e = tlshs_trace_event(c, 0);
    CHECK_STR(e->name, "ClientHello");
    CHECK_INT(e->length, ==, tlshs_client_hello(c)->raw_len);
    CHECK(memcmp(e->data, tlshs_client_hello(c)->raw, e->length) == 0);
    for (size_t i = 0; i < tlshs_trace_count(c); i++) {
        e = tlshs_trace_event(c, i);
        if (strcmp(e->kind, "change_cipher_spec") == 0) {
            CHECK_INT(e->length, ==, 1);
            CHECK_INT(e->data[0], ==, 1);
        } else if (strcmp(e->kind, "handshake") == 0) {
            /* the 4-byte header: type, then the body's 24-bit length */
            CHECK_INT(e->length, ==, 4 + ((size_t)e->data[1] << 16 | (size_t)e->data[2] << 8 | e->data[3]));
        }
    }
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

TEST(test_trace_carries_the_bytes) {
    traced_pair("1.3");
    if (check_current_failed) return;
    traced_pair("1.2");
}

/* An alert's two bytes, on both sides. */
TEST(test_trace_alert_bytes) {
    struct look l = {0};
    tlshs_config *cc = client_config();
    tlshs *c, *s;
    int seen = 0;
    l.refuse = 112;
    c = tlshs_new(cc, "localhost");
    {
        tlshs_config *sc = server_config();
        s = tlshs_new(sc, NULL);
        tlshs_config_free(sc);
    }
    CHECK(c && s);
    tlshs_set_trace(c, 1);
    tlshs_set_trace(s, 1);
    CHECK_INT(tlshs_set_hello_cb(s, on_hello, &l), ==, 0);
    CHECK_INT(pump(c, s, 20), ==, 0);
    for (int side = 0; side < 2; side++) {
        tlshs *hs = side ? s : c;
        for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
            const tlshs_event *e = tlshs_trace_event(hs, i);
            if (strcmp(e->kind, "alert") != 0) continue;
            CHECK_STR(e->name, "fatal:unrecognized_name");
            CHECK_INT(e->length, ==, 2);
            CHECK_INT(e->data[0], ==, 2);
            CHECK_INT(e->data[1], ==, 112);
            CHECK_INT(e->sent, ==, side);
            seen++;
        }
    }
    CHECK_INT(seen, ==, 2);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
}
