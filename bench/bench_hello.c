/*
 * bench_hello.c - what parsing one ClientHello costs, with its JA3 (MD5)
 * and JA4 (two SHA-256) fingerprints: the median of ROUNDS rounds of N
 * parses, in ns per parse.
 *
 * The hellos: OpenSSL 3.0's default ClientHello (as tlshs's client sends it,
 * with SNI and ALPN), and a TLS 1.2-only one.
 *
 * Usage: bench-hello [N [ROUNDS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlshs_internal.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The ClientHello message tlshs's client sends with these keys. */
static size_t client_hello(unsigned char *out, size_t cap, const char *key, const char *value) {
    unsigned char rec[16384];
    size_t n = 0;
    tlshs_config *cfg = tlshs_config_new(TLSHS_CLIENT);
    tlshs *c;
    if (!cfg || tlshs_config_set(cfg, "verify", "none") ||
        tlshs_config_set(cfg, "alpn", "h2,http/1.1") || (key && tlshs_config_set(cfg, key, value)))
        return 0;
    c = tlshs_new(cfg, "bench.example");
    if (c && tlshs_step(c) == TLSHS_WANT_WRITE) n = tlshs_take(c, rec, sizeof rec);
    tlshs_free(c);
    tlshs_config_free(cfg);
    if (n < 5 || rec[0] != 22 || n - 5 > cap) return 0;
    memcpy(out, rec + 5, n - 5);
    return n - 5;
}

static void bench(const char *name, const unsigned char *msg, size_t len, int n, int rounds) {
    struct tlshs_hello_store st = {0};
    double *ns = calloc((size_t)rounds, sizeof *ns);
    if (!ns || tlshs__hello_parse(&st, msg, len, 0) != 0) {
        fprintf(stderr, "bench-hello: %s does not parse\n", name);
        exit(1);
    }
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (int i = 0; i < n; i++)
            if (tlshs__hello_parse(&st, msg, len, 0) != 0) exit(1);
        ns[r] = (now() - t0) * 1e9 / n;
    }
    qsort(ns, (size_t)rounds, sizeof *ns, cmp_double);
    printf("%-44s %5zu bytes  %7.0f ns per parse (median of %d x %d; JA4 %s)\n", name, len,
           ns[rounds / 2], rounds, n, st.view.ja4);
    tlshs__hello_clear(&st);
    free(ns);
}

int main(int argc, char **argv) {
    unsigned char a[16384], b[16384];
    int n = argc > 1 ? atoi(argv[1]) : 20000, rounds = argc > 2 ? atoi(argv[2]) : 11;
    size_t la = client_hello(a, sizeof a, NULL, NULL);
    size_t lb = client_hello(b, sizeof b, "max_version", "1.2");
    if (!la || !lb || n < 1 || rounds < 1) {
        fprintf(stderr, "bench-hello: no ClientHello\n");
        return 1;
    }
    bench("ClientHello, OpenSSL default (TLS 1.3)", a, la, n, rounds);
    bench("ClientHello, OpenSSL TLS 1.2 only", b, lb, n, rounds);
    return 0;
}
