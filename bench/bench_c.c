/*
 * bench_c.c - what a handshake costs through tlshs against the same
 * handshake through raw OpenSSL calls, in one run.
 *
 * Both sides do the same work: one client SSL_CTX and one server SSL_CTX
 * shared by every handshake, a fresh client and server per handshake over
 * memory BIOs, bytes moved through a 16 KiB buffer, TLS 1.3 with X25519 and
 * the ECDSA P-256 certificate, the client verifying the chain and the name.
 * Rounds alternate (raw, tlshs, raw, ...) and the median of each is reported.
 * First of all, the time from tlshs_config_new to tlshs_new for a client
 * with the system trust store: the first in the process (which reads the
 * store) and the mean of those after it (which share it), beside raw
 * OpenSSL reading it for each SSL_CTX.
 *
 * Usage: bench-c [CERTDIR [HANDSHAKES_PER_ROUND [ROUNDS]]]
 *        bench-c CERTDIR --only raw|tlshs|tlshs-pair|raw-mutual|tlshs-mutual --count N
 *        bench-c CERTDIR --heap N   (heap per in-flight client only)
 *        BENCH_GROUPS=LIST in the environment: the groups both sides use
 *        instead of X25519 ("default": OpenSSL's own list, which on 3.5
 *        offers X25519MLKEM768 first)
 *        (one warm-up and N handshakes, for bench/instructions.sh; -mutual:
 *        the server requires and verifies a client certificate; tlshs-pair:
 *        the tlshs handshake carried by tlshs_pair instead of a hand-written
 *        loop)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tlshs.h"
#include "tlshs_internal.h" /* the capture writer (csrc/capture.c) */

static const char *certdir = "build/certs";
static int mutual; /* the server requires a client certificate, verified against ca.pem */
static unsigned char buf[16384];

static const char *path(const char *name) {
    static char p[2][512];
    static int i;
    char *out = p[i++ % 2];
    snprintf(out, sizeof p[0], "%s/%s", certdir, name);
    return out;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "bench-c: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* ---- raw OpenSSL ---- */

/* The groups both sides use: BENCH_GROUPS, X25519 by default; NULL for
   "default" (OpenSSL's list). */
static const char *bench_groups(void) {
    const char *g = getenv("BENCH_GROUPS");
    if (!g || !*g) return "X25519";
    return strcmp(g, "default") == 0 ? NULL : g;
}

static SSL_CTX *raw_ctx(int server) {
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    if (bench_groups() && !SSL_CTX_set1_groups_list(ctx, bench_groups())) die("groups");
    if (server) {
        if (!SSL_CTX_use_certificate_chain_file(ctx, path("server-ec.pem")) ||
            !SSL_CTX_use_PrivateKey_file(ctx, path("server-ec.key"), SSL_FILETYPE_PEM))
            die("server certificate");
    } else {
        if (!SSL_CTX_load_verify_file(ctx, path("ca.pem"))) die("ca.pem");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    if (mutual && server) {
        static const unsigned char sid[] = "bench";
        if (!SSL_CTX_load_verify_file(ctx, path("ca.pem"))) die("ca.pem");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
    } else if (mutual &&
               (!SSL_CTX_use_certificate_chain_file(ctx, path("client.pem")) ||
                !SSL_CTX_use_PrivateKey_file(ctx, path("client.key"), SSL_FILETYPE_PEM))) {
        die("client certificate");
    }
    return ctx;
}

static void raw_move(SSL *from, SSL *to) {
    int n;
    while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof buf)) > 0)
        BIO_write(SSL_get_rbio(to), buf, n);
}

static int raw_drive(SSL *ssl, int *done) {
    int r;
    if (*done) return 1;
    r = SSL_do_handshake(ssl);
    if (r == 1) return *done = 1;
    return SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ;
}

static SSL *raw_ssl(SSL_CTX *ctx, int server) {
    SSL *ssl = SSL_new(ctx);
    SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    if (server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_tlsext_host_name(ssl, "localhost");
        SSL_set1_host(ssl, "localhost");
        SSL_set_connect_state(ssl);
    }
    return ssl;
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

static tlshs_config *hs_config(tlshs_role role) {
    tlshs_config *cfg = tlshs_config_new(role);
    int bad = !cfg || tlshs_config_set(cfg, "min_version", "1.3") ||
              (bench_groups() && tlshs_config_set(cfg, "groups", bench_groups()));
    if (!bad && role == TLSHS_SERVER)
        bad = tlshs_config_set(cfg, "cert_file", path("server-ec.pem")) ||
              tlshs_config_set(cfg, "key_file", path("server-ec.key"));
    if (!bad && role == TLSHS_CLIENT) bad = tlshs_config_set(cfg, "ca_file", path("ca.pem"));
    if (!bad && mutual && role == TLSHS_SERVER)
        bad = tlshs_config_set(cfg, "ca_file", path("ca.pem")) ||
              tlshs_config_set(cfg, "verify", "require");
    if (!bad && mutual && role == TLSHS_CLIENT)
        bad = tlshs_config_set(cfg, "cert_file", path("client.pem")) ||
              tlshs_config_set(cfg, "key_file", path("client.key"));
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

/* ---- the same handshake captured to a pcapng file (tlshs_set_capture on
   the client), the file opened and closed per handshake.  The old file is
   removed first: ext4 writes out a file truncated and rewritten as it is
   closed (auto_da_alloc), about 3 ms here, which is the filesystem's cost
   rather than the capture's (opening over an existing file pays it). */

static const char *bench_keylog[5] = {
    "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "EXPORTER_SECRET",
    "SERVER_TRAFFIC_SECRET_0", "CLIENT_TRAFFIC_SECRET_0"};

static void cap_handshake(tlshs_config *cc, tlshs_config *sc) {
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    tlshs_result rc, rs;
    remove(path("bench-capture.pcapng"));
    if (!c || !s || tlshs_set_capture(c, path("bench-capture.pcapng")) != 0)
        die("capture: cannot open bench-capture.pcapng");
    if (tlshs_pair(c, s, NULL, NULL, 20, &rc, &rs) != 0 || rc != TLSHS_DONE || rs != TLSHS_DONE)
        die("captured handshake did not finish");
    tlshs_free(c); /* closes the capture */
    tlshs_free(s);
}

/* The same handshake carried by tlshs_pair (no tamper) instead of the loop above. */
static void hs_pair_handshake(tlshs_config *cc, tlshs_config *sc) {
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    tlshs_result rc, rs;
    if (tlshs_pair(c, s, NULL, NULL, 20, &rc, &rs) != 0 || rc != TLSHS_DONE || rs != TLSHS_DONE)
        die(rc == TLSHS_CLOSED ? tlshs_error(c) : rs == TLSHS_CLOSED ? tlshs_error(s)
                                                                      : "tlshs_pair did not finish");
    tlshs_free(c);
    tlshs_free(s);
}

/* Writing one handshake's bytes and secrets to a capture already open: the
   flights of a handshake recorded once (sizes alternate client, server),
   replayed n times with five secrets and a flush per flight; us each. */
static double cap_write_us(tlshs_config *cc, tlshs_config *sc, int n) {
    static unsigned char flights[8][16384];
    size_t len[8] = {0}, nf = 0;
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    struct tlshs_capture *cap;
    char line[256];
    double t;
    for (int i = 0; i < 10 && nf < 7; i++) {
        tlshs *from = i % 2 ? s : c, *to = i % 2 ? c : s;
        tlshs_step(from);
        len[nf] = tlshs_take(from, flights[nf], sizeof flights[0]);
        if (len[nf]) tlshs_feed(to, flights[nf], len[nf]);
        nf++;
    }
    tlshs_free(c);
    tlshs_free(s);
    remove(path("bench-capture.pcapng"));
    if (!(cap = tlshs__capture_open(path("bench-capture.pcapng"), NULL, 0))) die("capture open");
    t = now();
    for (int k = 0; k < n; k++)
        for (size_t f = 0; f < nf; f++) {
            if (f == 1)
                for (int j = 0; j < 5; j++) {
                    snprintf(line, sizeof line, "%s %064d %096d", bench_keylog[j], k, j);
                    tlshs__capture_secret(cap, line);
                }
            tlshs__capture_data(cap, f % 2 == 0, flights[f], len[f]);
            tlshs__capture_flush(cap);
        }
    t = now() - t;
    if (tlshs__capture_close(cap) != 0) die("capture: write failed");
    remove(path("bench-capture.pcapng"));
    return t / n * 1e6;
}

/* ---- the no-progress step: a client that has sent its ClientHello ---- */

static double raw_idle_ns(SSL_CTX *cctx, long calls) {
    SSL *c = raw_ssl(cctx, 0);
    double t;
    SSL_do_handshake(c);
    BIO_read(SSL_get_wbio(c), buf, sizeof buf);
    t = now();
    for (long i = 0; i < calls; i++) {
        int r = SSL_do_handshake(c);
        if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ) die("raw idle step");
    }
    t = now() - t;
    SSL_free(c);
    return t / (double)calls * 1e9;
}

static double hs_idle_ns(tlshs_config *cc, long calls) {
    tlshs *c = tlshs_new(cc, "localhost");
    double t;
    tlshs_step(c);
    tlshs_take(c, buf, sizeof buf);
    t = now();
    for (long i = 0; i < calls; i++)
        if (tlshs_step(c) != TLSHS_WANT_READ) die("tlshs idle step");
    t = now() - t;
    tlshs_free(c);
    return t / (double)calls * 1e9;
}

/* ---- a config with the system store, to the first handshake object ---- */

/* Milliseconds from tlshs_config_new to a client made by tlshs_new, with
   the system trust store (no ca_* key). */
static double hs_system_store_ms(void) {
    double t = now();
    tlshs_config *cfg = tlshs_config_new(TLSHS_CLIENT);
    tlshs *hs = cfg ? tlshs_new(cfg, "localhost") : NULL;
    t = now() - t;
    if (!hs) die(cfg ? tlshs_config_error(cfg) : "out of memory");
    tlshs_free(hs);
    tlshs_config_free(cfg);
    return t * 1e3;
}

/* The same with raw OpenSSL: SSL_CTX_new, the default verify paths, SSL_new. */
static double raw_system_store_ms(void) {
    double t = now();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = ctx && SSL_CTX_set_default_verify_paths(ctx) ? SSL_new(ctx) : NULL;
    t = now() - t;
    if (!ssl) die("raw system store");
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return t * 1e3;
}

/* ---- heap per in-flight client after its ClientHello ---- */

/* Bytes in use on the heap now (glibc's mallinfo2: small chunks and mmapped ones). */
static size_t heap_now(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* Makes n clients, each stepped once with its ClientHello taken (as a
   server that has not answered yet would leave it), and answers the heap
   they hold, in bytes per client.  kind: 0 raw OpenSSL, 1 raw OpenSSL with
   SSL_MODE_RELEASE_BUFFERS, 2 tlshs. */
static size_t hello_len; /* the last client's first flight, in bytes */

static double heap_per_client(int kind, int n) {
    SSL_CTX *ctx = kind < 2 ? raw_ctx(0) : NULL;
    tlshs_config *cc = kind == 2 ? hs_config(TLSHS_CLIENT) : NULL;
    void **v = calloc((size_t)n, sizeof *v);
    size_t before, after;
    if (!v) die("out of memory");
    if (kind == 1) SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (kind == 2) tlshs_free(tlshs_new(cc, "localhost")); /* the config's freeze, once */
    before = heap_now();
    for (int i = 0; i < n; i++) {
        if (kind < 2) {
            SSL *c = raw_ssl(ctx, 0);
            int got;
            SSL_do_handshake(c);
            for (hello_len = 0; (got = BIO_read(SSL_get_wbio(c), buf, sizeof buf)) > 0;) hello_len += (size_t)got;
            v[i] = c;
        } else {
            tlshs *c = tlshs_new(cc, "localhost");
            size_t got;
            if (tlshs_step(c) != TLSHS_WANT_WRITE) die("tlshs client step");
            for (hello_len = 0; (got = tlshs_take(c, buf, sizeof buf)) > 0;) hello_len += got;
            v[i] = c;
        }
    }
    after = heap_now();
    for (int i = 0; i < n; i++) kind < 2 ? SSL_free(v[i]) : tlshs_free(v[i]);
    free(v);
    SSL_CTX_free(ctx);
    tlshs_config_free(cc);
    return ((double)after - (double)before) / n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    int per_round = 500, rounds = 7;
    long idle_calls = 2000000;
    double raw_rate[64], hs_rate[64], raw_idle[64], hs_idle[64], r, h;
    double store_first, store_next = 0, store_raw = 0;
    int store_n = 100;
    SSL_CTX *rc, *rs;
    tlshs_config *cc, *sc;
    if (argc > 1) certdir = argv[1];
    if (argc == 6 && strcmp(argv[2], "--only") == 0 && strcmp(argv[4], "--count") == 0) {
        /* for bench/instructions.sh: a warm-up and N handshakes of one kind:
           raw, tlshs, raw-mutual or tlshs-mutual (client certificates);
           tlshs-pair: tlshs carried by tlshs_pair, not the loop */
        int raw = strncmp(argv[3], "raw", 3) == 0, count = atoi(argv[5]);
        void (*hs)(tlshs_config *, tlshs_config *) =
            strstr(argv[3], "-pair") ? hs_pair_handshake : hs_handshake;
        mutual = strstr(argv[3], "-mutual") != NULL;
        if (raw) rc = raw_ctx(0), rs = raw_ctx(1);
        else cc = hs_config(TLSHS_CLIENT), sc = hs_config(TLSHS_SERVER);
        for (int i = 0; i <= count; i++) raw ? raw_handshake(rc, rs) : hs(cc, sc);
        if (raw) SSL_CTX_free(rc), SSL_CTX_free(rs);
        else tlshs_config_free(cc), tlshs_config_free(sc);
        return 0;
    }
    if (argc == 4 && strcmp(argv[2], "--heap") == 0) {
        /* heap per in-flight client only: bench-c CERTDIR --heap N */
        int n = atoi(argv[3]);
        if (n < 1) die("usage: bench-c CERTDIR --heap N");
        printf("heap per in-flight client after its ClientHello (%d clients, mallinfo2 delta / N, kB = 1000 bytes;\n"
               "%s, groups %s), and the ClientHello's record in bytes:\n",
               n, OpenSSL_version(OPENSSL_VERSION), bench_groups() ? bench_groups() : "OpenSSL's default");
        printf("  raw OpenSSL                          %6.1f kB", heap_per_client(0, n) / 1000);
        printf("  (ClientHello %zu bytes)\n", hello_len);
        printf("  raw OpenSSL, SSL_MODE_RELEASE_BUFFERS %5.1f kB\n", heap_per_client(1, n) / 1000);
        printf("  tlshs                                %6.1f kB", heap_per_client(2, n) / 1000);
        printf("  (ClientHello %zu bytes)\n", hello_len);
        return 0;
    }
    if (argc > 2) per_round = atoi(argv[2]);
    if (argc > 3) rounds = atoi(argv[3]);
    if (per_round < 1 || rounds < 1 || rounds > 64) die("usage: bench-c [CERTDIR [N [ROUNDS<=64]]]");
    store_first = hs_system_store_ms(); /* first: nothing has read the store yet */
    for (int i = 0; i < store_n; i++) store_next += hs_system_store_ms() / store_n;
    for (int i = 0; i < 10; i++) store_raw += raw_system_store_ms() / 10;
    rc = raw_ctx(0);
    rs = raw_ctx(1);
    cc = hs_config(TLSHS_CLIENT);
    sc = hs_config(TLSHS_SERVER);
    raw_handshake(rc, rs); /* warm up both */
    hs_handshake(cc, sc);
    for (int k = 0; k < rounds; k++) {
        double t = now();
        for (int i = 0; i < per_round; i++) raw_handshake(rc, rs);
        raw_rate[k] = per_round / (now() - t);
        t = now();
        for (int i = 0; i < per_round; i++) hs_handshake(cc, sc);
        hs_rate[k] = per_round / (now() - t);
        raw_idle[k] = raw_idle_ns(rc, idle_calls / rounds);
        hs_idle[k] = hs_idle_ns(cc, idle_calls / rounds);
    }
    printf("bench-c: TLS 1.3, X25519, ECDSA P-256, client verifies chain and name; "
           "%d rounds of %d handshakes, alternating; medians\n",
           rounds, per_round);
    r = median(raw_rate, rounds);
    h = median(hs_rate, rounds);
    printf("full handshake (client+server, in memory):\n");
    printf("  raw OpenSSL  %8.1f handshakes/s  %7.1f us each\n", r, 1e6 / r);
    printf("  tlshs        %8.1f handshakes/s  %7.1f us each\n", h, 1e6 / h);
    printf("  tlshs costs  %+.1f%% against raw OpenSSL\n", (r / h - 1) * 100);
    r = median(raw_idle, rounds);
    h = median(hs_idle, rounds);
    printf("step with no progress (client waiting for ServerHello):\n");
    printf("  raw SSL_do_handshake+SSL_get_error  %6.1f ns\n", r);
    printf("  tlshs_step                          %6.1f ns\n", h);
    printf("config with the system store, to the first handshake object:\n");
    printf("  tlshs, first in the process         %8.3f ms\n", store_first);
    printf("  tlshs, each after (mean of %d)     %8.3f ms\n", store_n, store_next);
    printf("  raw OpenSSL, SSL_CTX_set_default_verify_paths each time (mean of 10)  %8.3f ms\n", store_raw);
    printf("heap per in-flight client after its ClientHello (10000 clients, mallinfo2 delta / N, kB = 1000 bytes):\n");
    printf("  raw OpenSSL                          %6.1f kB\n", heap_per_client(0, 10000) / 1000);
    printf("  raw OpenSSL, SSL_MODE_RELEASE_BUFFERS %5.1f kB\n", heap_per_client(1, 10000) / 1000);
    printf("  tlshs                                %6.1f kB\n", heap_per_client(2, 10000) / 1000);
    for (int k = 0; k < rounds; k++) { /* capture: alternating with the plain handshake */
        double t = now();
        for (int i = 0; i < per_round; i++) hs_handshake(cc, sc);
        hs_rate[k] = per_round / (now() - t);
        t = now();
        for (int i = 0; i < per_round; i++) cap_handshake(cc, sc);
        raw_rate[k] = per_round / (now() - t);
    }
    h = median(hs_rate, rounds);
    r = median(raw_rate, rounds);
    printf("capture to a pcapng file (memory mode, one file per handshake, flushed per step):\n");
    printf("  tlshs           %7.1f us each\n", 1e6 / h);
    printf("  with capture    %7.1f us each  (capture costs %+.1f us per handshake)\n", 1e6 / r,
           1e6 / r - 1e6 / h);
    for (int k = 0; k < rounds; k++) hs_rate[k] = cap_write_us(cc, sc, per_round);
    printf("  of which writing the bytes and secrets (file open): %.1f us per handshake\n",
           median(hs_rate, rounds));
    SSL_CTX_free(rc);
    SSL_CTX_free(rs);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    return 0;
}
