/*
 * bench_dtls.c - DTLS 1.2 handshakes in memory: raw OpenSSL against tlshs,
 * both over tlshs's datagram BIO (raw OpenSSL 3.0 has no datagram memory
 * BIO of its own), and lossy handshakes in virtual time.
 *
 * usage: bench-dtls CERTDIR --only raw|tlshs|tlshs-pair|tlshs-cookie --count N
 *          (for bench/instructions.sh: a warm-up and N handshakes)
 *        bench-dtls CERTDIR --lossy N
 *          (N handshakes through 20% loss, 5% duplication, 5% reordering,
 *           seeded; handshakes per second of wall time, in virtual time)
 *
 * Both sides: DTLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256 with server-ec.pem,
 * X25519 (and P-256 for the certificate), mtu 1200, the client verifying the chain and the name; cookies
 * off unless tlshs-cookie (a HelloVerifyRequest round trip more).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tlshs.h"

/* tlshs's datagram BIO (csrc/transport_dgram.c), from the static library:
   raw OpenSSL runs over the very same queue of datagrams. */
struct tlshs_dgram;
BIO *tlshs__dgram_bio(struct tlshs_dgram *dg, int fd);
int tlshs__dgram_push(BIO *b, const void *data, size_t len);
size_t tlshs__dgram_pop(BIO *b, void *buf, size_t cap);

#define CIPHER "ECDHE-ECDSA-AES128-GCM-SHA256"

static const char *certdir = "build/certs";
static unsigned char buf[65536];

static const char *path(const char *name) {
    static char p[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", certdir, name);
    return p[k];
}

static void die(const char *what) {
    fprintf(stderr, "bench-dtls: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- raw OpenSSL ---- */

static SSL_CTX *raw_ctx(int server) {
    SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
    if (!ctx) die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
    if (!SSL_CTX_set_cipher_list(ctx, CIPHER) || !SSL_CTX_set1_groups_list(ctx, "X25519:P-256")) die("ciphers");
    if (server) {
        if (!SSL_CTX_use_certificate_chain_file(ctx, path("server-ec.pem")) ||
            !SSL_CTX_use_PrivateKey_file(ctx, path("server-ec.key"), SSL_FILETYPE_PEM))
            die("server certificate");
    } else {
        if (!SSL_CTX_load_verify_file(ctx, path("ca.pem"))) die("ca.pem");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

static SSL *raw_ssl(SSL_CTX *ctx, int server) {
    SSL *ssl = SSL_new(ctx);
    BIO *r = tlshs__dgram_bio(NULL, -1), *w = tlshs__dgram_bio(NULL, -1);
    if (!ssl || !r || !w) die("SSL_new");
    SSL_set_bio(ssl, r, w);
    SSL_set_mtu(ssl, 1200);
    if (server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_tlsext_host_name(ssl, "localhost");
        SSL_set1_host(ssl, "localhost");
        SSL_set_connect_state(ssl);
    }
    return ssl;
}

static void raw_move(SSL *from, SSL *to) {
    size_t n;
    while ((n = tlshs__dgram_pop(SSL_get_wbio(from), buf, sizeof buf)) > 0)
        tlshs__dgram_push(SSL_get_rbio(to), buf, n);
}

static int raw_drive(SSL *ssl, int *done) {
    int r;
    if (*done) return 1;
    r = SSL_do_handshake(ssl);
    if (r == 1) return *done = 1;
    return SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ;
}

static void raw_handshake(SSL_CTX *cctx, SSL_CTX *sctx) {
    SSL *c = raw_ssl(cctx, 0), *s = raw_ssl(sctx, 1);
    int cd = 0, sd = 0;
    for (int i = 0; i < 20 && !(cd && sd); i++) {
        if (!raw_drive(c, &cd)) die("raw client failed");
        raw_move(c, s);
        if (!raw_drive(s, &sd)) die("raw server failed");
        raw_move(s, c);
    }
    if (!cd || !sd) die("raw handshake did not finish");
    SSL_free(c);
    SSL_free(s);
}

/* ---- tlshs ---- */

static tlshs_config *hs_config(tlshs_role role, int cookie, const char *retransmit_ms) {
    tlshs_config *cfg = tlshs_config_new(role);
    int bad = !cfg || tlshs_config_set(cfg, "transport", "datagram") ||
              tlshs_config_set(cfg, "ciphers", CIPHER) || tlshs_config_set(cfg, "groups", "X25519:P-256") ||
              (retransmit_ms && tlshs_config_set(cfg, "retransmit_ms", retransmit_ms));
    if (!bad && role == TLSHS_SERVER)
        bad = tlshs_config_set(cfg, "cert_file", path("server-ec.pem")) ||
              tlshs_config_set(cfg, "key_file", path("server-ec.key")) ||
              tlshs_config_set(cfg, "cookie", cookie ? "on" : "off");
    if (!bad && role == TLSHS_CLIENT) bad = tlshs_config_set(cfg, "ca_file", path("ca.pem"));
    if (bad) die(cfg ? tlshs_config_error(cfg) : "out of memory");
    return cfg;
}

static void hs_move(tlshs *from, tlshs *to) {
    size_t n;
    while ((n = tlshs_take(from, buf, sizeof buf)) > 0) tlshs_feed(to, buf, n);
}

static void hs_handshake(tlshs_config *cc, tlshs_config *sc) {
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    for (int i = 0; i < 20 && !(rc == TLSHS_DONE && rs == TLSHS_DONE); i++) {
        rc = tlshs_step(c);
        hs_move(c, s);
        rs = tlshs_step(s);
        hs_move(s, c);
        if (rc == TLSHS_CLOSED || rs == TLSHS_CLOSED) die(tlshs_error(rc == TLSHS_CLOSED ? c : s));
    }
    if (rc != TLSHS_DONE || rs != TLSHS_DONE) die("tlshs handshake did not finish");
    tlshs_free(c);
    tlshs_free(s);
}

static void hs_pair_handshake(tlshs_config *cc, tlshs_config *sc) {
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    tlshs_result rc, rs;
    if (tlshs_pair(c, s, NULL, NULL, 20, &rc, &rs) != 0 || rc != TLSHS_DONE || rs != TLSHS_DONE)
        die("tlshs_pair did not finish");
    tlshs_free(c);
    tlshs_free(s);
}

/* ---- lossy handshakes in virtual time ---- */

struct lossy {
    unsigned long long state;
    unsigned char held[2][2048];
    size_t held_len[2];
    tlshs *to[2];
};

static unsigned rnd(struct lossy *l) {
    l->state = l->state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(l->state >> 33);
}

static size_t lossy_tamper(tlshs_direction d, unsigned char *dg, size_t len, const unsigned char **out,
                           void *arg) {
    struct lossy *l = arg;
    unsigned r = rnd(l) % 100;
    (void)out;
    if (r < 20) return 0;
    if (r < 25) {
        tlshs_feed(l->to[d], dg, len);
        return len;
    }
    if (r < 30 && !l->held_len[d] && len <= sizeof l->held[d]) {
        memcpy(l->held[d], dg, len);
        l->held_len[d] = len;
        return 0;
    }
    if (l->held_len[d]) {
        tlshs_feed(l->to[d], dg, len);
        memcpy(dg, l->held[d], l->held_len[d]);
        len = l->held_len[d];
        l->held_len[d] = 0;
    }
    return len;
}

static void lossy(int n) {
    /* OpenSSL 3.2 and later: a fired timer waits out its timeout (see
       tlshs_on_timeout), so the run takes 20 ms timeouts there */
    const char *first = OPENSSL_VERSION_NUMBER >= 0x30200000L ? "20" : NULL;
    tlshs_config *cc = hs_config(TLSHS_CLIENT, 1, first), *sc = hs_config(TLSHS_SERVER, 1, first);
    struct lossy l;
    int done = 0;
    double t0 = now(), t;
    memset(&l, 0, sizeof l);
    l.state = 20261207;
    for (int i = 0; i < n; i++) {
        tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
        tlshs_result rc, rs;
        l.to[TLSHS_C2S] = s;
        l.to[TLSHS_S2C] = c;
        l.held_len[0] = l.held_len[1] = 0;
        if (tlshs_pair(c, s, lossy_tamper, &l, 1000, &rc, &rs) < 0) die("pair");
        done += rc == TLSHS_DONE && rs == TLSHS_DONE;
        tlshs_free(c);
        tlshs_free(s);
    }
    t = now() - t0;
    printf("DTLS 1.2 through 20%% loss, 5%% duplication, 5%% reordering (%s, seeded):\n",
           OpenSSL_version(OPENSSL_VERSION));
    printf("  %d handshakes, %d DONE, in %.2f s of wall time: %.0f handshakes/s%s\n", n, done, t, n / t,
           first ? " (retransmit_ms 20, timers waited out: OpenSSL 3.2+)" : " (virtual time)");
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

int main(int argc, char **argv) {
    if (argc > 1) certdir = argv[1];
    if (argc == 6 && strcmp(argv[2], "--only") == 0 && strcmp(argv[4], "--count") == 0) {
        int raw = strcmp(argv[3], "raw") == 0, count = atoi(argv[5]);
        int cookie = strcmp(argv[3], "tlshs-cookie") == 0;
        void (*hs)(tlshs_config *, tlshs_config *) =
            strcmp(argv[3], "tlshs-pair") == 0 ? hs_pair_handshake : hs_handshake;
        SSL_CTX *rc = NULL, *rs = NULL;
        tlshs_config *cc = NULL, *sc = NULL;
        if (raw) rc = raw_ctx(0), rs = raw_ctx(1);
        else cc = hs_config(TLSHS_CLIENT, 0, NULL), sc = hs_config(TLSHS_SERVER, cookie, NULL);
        for (int i = 0; i <= count; i++) raw ? raw_handshake(rc, rs) : hs(cc, sc);
        SSL_CTX_free(rc);
        SSL_CTX_free(rs);
        tlshs_config_free(cc);
        tlshs_config_free(sc);
        return 0;
    }
    if (argc == 4 && strcmp(argv[2], "--lossy") == 0) {
        lossy(atoi(argv[3]));
        return 0;
    }
    fprintf(stderr, "usage: bench-dtls CERTDIR --only raw|tlshs|tlshs-pair|tlshs-cookie --count N\n"
                    "       bench-dtls CERTDIR --lossy N\n");
    return 2;
}
