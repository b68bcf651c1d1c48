/* Shared helpers of the C suite: see check.h. */
#include <stdarg.h>
#include <stdlib.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <openssl/crypto.h>

#include "check.h"

const char *cert_path(const char *name) {
    static char bufs[8][512];
    static int next;
    const char *dir = getenv("TLSHS_CERTS");
    char *buf = bufs[next++ % 8];
    snprintf(buf, sizeof bufs[0], "%s/%s", dir && *dir ? dir : "build/certs", name);
    return buf;
}

/* Sets one key; on failure the test fails and cfg is freed (NULL returned). */
static tlshs_config *set_or_fail(tlshs_config *cfg, const char *key, const char *value) {
    if (cfg && tlshs_config_set(cfg, key, value) != 0) {
        check_fail(__FILE__, __LINE__, "config_set(%s, %s): %s", key, value,
                   tlshs_config_error(cfg));
        tlshs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* Sets the NULL-terminated key, value pairs of ap, starting with key. */
static tlshs_config *set_pairs(tlshs_config *cfg, const char *key, va_list ap) {
    for (; cfg && key; key = va_arg(ap, const char *))
        cfg = set_or_fail(cfg, key, va_arg(ap, const char *));
    return cfg;
}

static tlshs_config *new_config(tlshs_role role) {
    tlshs_config *cfg = tlshs_config_new(role);
    if (!cfg) check_fail(__FILE__, __LINE__, "tlshs_config_new failed");
    return cfg;
}

tlshs_config *make_config(tlshs_role role, ...) {
    va_list ap;
    tlshs_config *cfg;
    va_start(ap, role);
    cfg = set_pairs(new_config(role), va_arg(ap, const char *), ap);
    va_end(ap);
    return cfg;
}

tlshs_config *server_with(const char *key, ...) {
    tlshs_config *cfg = new_config(TLSHS_SERVER);
    va_list ap;
    cfg = set_or_fail(cfg, "cert_file", cert_path("server.pem"));
    cfg = set_or_fail(cfg, "key_file", cert_path("server.key"));
    va_start(ap, key);
    cfg = set_pairs(cfg, key, ap);
    va_end(ap);
    return cfg;
}

tlshs_config *client_with(const char *key, ...) {
    tlshs_config *cfg = set_or_fail(new_config(TLSHS_CLIENT), "ca_file", cert_path("ca.pem"));
    va_list ap;
    va_start(ap, key);
    cfg = set_pairs(cfg, key, ap);
    va_end(ap);
    return cfg;
}

tlshs_config *server_config(void) {
    return server_with(NULL);
}

tlshs_config *client_config(void) {
    return client_with(NULL);
}

size_t move_bytes(tlshs *from, tlshs *to) {
    unsigned char buf[4096];
    size_t total = 0, n;
    while ((n = tlshs_take(from, buf, sizeof buf)) > 0) {
        if (tlshs_feed(to, buf, n) != 0) return total;
        total += n;
    }
    return total;
}

int pump(tlshs *client, tlshs *server, int max_rounds) {
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    tlshs_pair(client, server, NULL, NULL, max_rounds, &rc, &rs);
    return rc == TLSHS_DONE && rs == TLSHS_DONE;
}

struct pair pair_of(tlshs_config *cc, tlshs_config *sc, const char *name) {
    struct pair p = {NULL, NULL};
    if (cc && sc) {
        p.c = tlshs_new(cc, name);
        p.s = tlshs_new(sc, NULL);
    }
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    return p;
}

void pair_free(struct pair *p) {
    tlshs_free(p->c);
    tlshs_free(p->s);
}

void run_pair(struct pair *p, tlshs_result *rc, tlshs_result *rs) {
    *rc = *rs = TLSHS_WANT_READ;
    tlshs_pair(p->c, p->s, NULL, NULL, 30, rc, rs);
}

int connect_pair(tlshs_config *cc, tlshs_config *sc, tlshs **c, tlshs **s) {
    *c = tlshs_new(cc, "localhost");
    *s = tlshs_new(sc, NULL);
    if (!*c || !*s) return -1;
    tlshs_set_trace(*c, 1);
    tlshs_set_trace(*s, 1);
    return pump(*c, *s, 20) ? 0 : -1;
}

void settle(tlshs *a, tlshs *b) {
    for (int i = 0; i < 20; i++) {
        char buf[4096];
        size_t n = 0;
        tlshs_read(a, buf, sizeof buf, &n);
        move_bytes(a, b);
        tlshs_read(b, buf, sizeof buf, &n);
        move_bytes(b, a);
        if (tlshs_pending(a) == 0 && tlshs_pending(b) == 0 &&
            tlshs_last_result(a) == TLSHS_WANT_READ && tlshs_last_result(b) == TLSHS_WANT_READ)
            break;
    }
}

int flows(tlshs *from, tlshs *to, const char *msg) {
    char buf[256];
    size_t n = 0, got = 0, len = strlen(msg);
    if (len > sizeof buf || tlshs_write(from, msg, len, &n) != TLSHS_DONE || n != len) return 0;
    move_bytes(from, to);
    for (int i = 0; i < 10 && got < len; i++) {
        if (tlshs_read(to, buf + got, sizeof buf - got, &n) == TLSHS_DONE) got += n;
        move_bytes(to, from);
        tlshs_read(from, buf + got, 1, &n); /* takes what to answered (a KeyUpdate) */
        if (n) return 0;                    /* data the other way: not ours to take */
        move_bytes(from, to);
    }
    return got == len && memcmp(buf, msg, len) == 0;
}

int early_handshake(tlshs *c, tlshs *s, char *got, size_t cap, size_t *len) {
    tlshs_result rs = TLSHS_WANT_READ, rc = TLSHS_WANT_READ;
    *len = 0;
    for (int i = 0; i < 30; i++) {
        size_t n = 0;
        rs = tlshs_read_early(s, got + *len, cap - *len, &n);
        *len += n;
        move_bytes(s, c);
        rc = tlshs_step(c);
        move_bytes(c, s);
        if (rs == TLSHS_DONE && n == 0 && rc == TLSHS_DONE && !tlshs_pending(s) &&
            !tlshs_pending(c))
            return 0;
        if (rs == TLSHS_CLOSED || rc == TLSHS_CLOSED) break;
    }
    fprintf(stderr, "  early handshake: server %s (%s), client %s (%s)\n", tlshs_result_name(rs),
            tlshs_error(s), tlshs_result_name(rc), tlshs_error(c));
    return -1;
}

size_t session_from(tlshs_config *cc, tlshs_config *sc, unsigned char *der, size_t cap) {
    tlshs *c = NULL, *s = NULL;
    size_t len = 0;
    if (connect_pair(cc, sc, &c, &s) == 0) {
        settle(c, s);
        len = tlshs_session(c, der, cap);
        tlshs_shutdown(s);
    }
    tlshs_free(c);
    tlshs_free(s);
    return len <= cap ? len : 0;
}

int tests_slow(void) {
    const char *s = getenv("TLSHS_TEST_SLOW");
    return s && *s && *s != '0';
}

int trace_count(const tlshs *hs, int sent, const char *name) {
    int n = 0;
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        n += e && e->sent == sent && e->name && strcmp(e->name, name) == 0;
    }
    return n;
}

long trace_index(const tlshs *hs, int sent, const char *name, int nth) {
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e && e->sent == sent && e->name && strcmp(e->name, name) == 0 && nth-- == 0)
            return (long)i;
    }
    return -1;
}

void trace_print(const tlshs *hs) {
    fprintf(stderr, "  trace (%zu events):", tlshs_trace_count(hs));
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e)
            fprintf(stderr, " %s%s(%zu)", e->sent ? ">" : "<", e->name ? e->name : "?", e->length);
    }
    fputc('\n', stderr);
}

/* The DER of the first certificate in a PEM file (OPENSSL_free it), or NULL. */
static unsigned char *pem_cert_der(const char *path, int *len) {
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL;
    if (f) fclose(f);
    *len = x ? i2d_X509(x, &der) : -1;
    X509_free(x);
    return der;
}

int peer_cert_is(const tlshs *hs, const char *pem) {
    int wlen;
    unsigned char *want = pem_cert_der(pem, &wlen);
    size_t len = 0;
    const unsigned char *got = tlshs_peer_cert(hs, &len);
    int same = want && got && (size_t)wlen == len && memcmp(want, got, len) == 0;
    if (!same)
        fprintf(stderr, "  peer cert: got %zu bytes%s, %s has %d\n", len, got ? "" : " (NULL)", pem,
                wlen);
    OPENSSL_free(want);
    return same;
}

int openssl_minor(void) {
    return (int)((OpenSSL_version_num() >> 20) & 0xff);
}
