/* test_hello_interop.c - a tlshs server's look at the ClientHello, seen from
   a real client: `openssl s_client` on 127.0.0.1 against a tlshs server in
   fd mode whose hello callback picks the certificate by SNI or refuses. */
#include "check.h"
#include "peer.h"

struct sni {
    tlshs_config *other; /* for "wrong.example" */
    int refuse;          /* the alert to refuse with, 0 to go on */
    int calls;
};

static int on_hello(tlshs *hs, const tlshs_hello *hello, void *arg) {
    struct sni *x = arg;
    x->calls++;
    if (x->refuse) return x->refuse;
    if (hello->server_name && strcmp(hello->server_name, "wrong.example") == 0)
        return tlshs_use_config(hs, x->other) == 0 ? 0 : 80;
    return 0;
}

/* Listens on 127.0.0.1, starts s_client asking for name, accepts it, and
   drives a tlshs server of sc in fd mode until it is DONE or CLOSED; then
   lets s_client print its verdict.  Answers the server's last result and
   leaves s_client's output in l (link_close stops it). */
static tlshs_result serve_s_client(peer_link *l, struct sni *x, const char *name,
                                   tlshs_config *sc) {
    char connect_to[64];
    tlshs_result r;
    if (link_listen(l) != 0) return TLSHS_WANT_READ;
    snprintf(connect_to, sizeof connect_to, "127.0.0.1:%d", l->port);
    peer_argl(&l->args, "openssl", "s_client", "-connect", connect_to, "-servername", name,
              "-verify_hostname", name, "-CAfile", cert_path("ca.pem"), "-verify_return_error",
              "-brief", (char *)NULL);
    if (link_start(l) != 0 || link_accept(l) != 0 || link_attach(l, tlshs_new(sc, NULL)) != 0)
        return TLSHS_WANT_READ;
    if (tlshs_set_hello_cb(l->hs, on_hello, x) != 0) {
        check_fail(__FILE__, __LINE__, "set_hello_cb: %s", tlshs_usage_error(l->hs));
        return TLSHS_WANT_READ;
    }
    r = link_handshake(l);
    /* s_client prints its verdict */
    peer_wait_for(&l->peer, PEER_STDERR, r == TLSHS_DONE ? "Verification" : "alert",
                  peer_now() + peer_budget(l->phase));
    return r;
}

/* wrong.example's hello: switched to x->other's certificate (x->other is
   wrongname.pem), s_client verifies; else it refuses localhost's. */
static void sni_case(struct sni *x, tlshs_config *sc, int switched) {
    peer_link l;
    link_init(&l, 1);
    x->calls = 0;
    if (serve_s_client(&l, x, "wrong.example", sc) != (switched ? TLSHS_DONE : TLSHS_CLOSED))
        check_fail(__FILE__, __LINE__, "the handshake did not %s", switched ? "complete" : "fail");
    else if (x->calls != 1)
        check_fail(__FILE__, __LINE__, "the hello callback ran %d times", x->calls);
    else if (peer_buf_has(&l.peer.err, "Verification: OK", 16) != switched)
        check_fail(__FILE__, __LINE__, "s_client's verdict is not %s",
                   switched ? "OK" : "a failure");
    link_close(&l);
}

/* SNI picks the certificate, and s_client verifies the name it asked for
   against the certificate it got: wrongname.pem for wrong.example. */
TEST(test_hello_cb_sni_with_s_client) {
    struct sni x = {0};
    tlshs_config *sc = server_config();
    x.other = make_config(TLSHS_SERVER, "cert_file", cert_path("wrongname.pem"), "key_file",
                          cert_path("wrongname.key"), (char *)NULL);
    if (sc && x.other) sni_case(&x, sc, 1);
    /* without the switch, s_client refuses the localhost certificate */
    tlshs_config_free(x.other);
    x.other = server_config();
    if (sc && x.other && !check_current_failed) sni_case(&x, sc, 0);
    tlshs_config_free(x.other);
    tlshs_config_free(sc);
}

/* A refusal with alert reaches s_client as its "SSL alert number N". */
static void refusal_case(tlshs_config *sc, int alert) {
    struct sni x = {NULL, alert, 0};
    char want[64];
    peer_link l;
    link_init(&l, 1);
    snprintf(want, sizeof want, "SSL alert number %d\n", alert);
    if (serve_s_client(&l, &x, "localhost", sc) != TLSHS_CLOSED || x.calls != 1)
        check_fail(__FILE__, __LINE__, "refused with %d: the hello callback ran %d times, last %s",
                   alert, x.calls, tlshs_result_name(tlshs_last_result(l.hs)));
    else if (!peer_wait_for(&l.peer, PEER_STDERR, want, peer_now() + peer_budget(l.phase)))
        check_fail(__FILE__, __LINE__, "s_client did not say \"%.*s\"", (int)strlen(want) - 1,
                   want);
    link_close(&l);
}

TEST(test_hello_cb_refusal_reaches_s_client) {
    tlshs_config *sc = server_config();
    CHECK(sc);
    refusal_case(sc, 112); /* unrecognized_name */
    if (!check_current_failed) refusal_case(sc, 40);
    tlshs_config_free(sc);
}
