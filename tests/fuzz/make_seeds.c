/*
 * make_seeds.c - writes the fuzz targets' seed corpora from real runs, so no
 * binary input is ever committed (`make fuzz-seeds`; built with the plain
 * library, not the fuzzer).
 *
 *   make_seeds OUTDIR   (certificates from $TLSHS_CERTS, default build/certs)
 *
 * OUTDIR/handshake/     for fuzz_handshake: for every combination of the
 *                       first byte's flags, a real conversation is recorded
 *                       flight by flight; each flight of the side not under
 *                       test becomes a "replace flight k" seed, and each an
 *                       "edit flight k" seed (plus one with no edit)
 * OUTDIR/session-config/ for fuzz_session_config: the session a client
 *                       exported after a clean run of each variant, and a
 *                       value for every config key in working combinations
 * OUTDIR/session-config.dict  libFuzzer dictionary: key names and values
 *
 * Prints how many seeds it wrote; exits 1 on any failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static const char *outdir;
static int written;

static void die(const char *what, const char *detail) {
    fprintf(stderr, "make_seeds: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void write_file(const char *dir, const char *name, const void *a, size_t alen,
                       const void *b, size_t blen) {
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s/%s", outdir, dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen) ||
        fclose(f) != 0)
        die("cannot write", path);
    written++;
}

static void make_dir(const char *sub) {
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", outdir, sub ? "/" : "", sub ? sub : "");
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die("cannot make", path);
}

/* ---- fuzz_handshake: flights recorded from real conversations ---- */

#define MAX_FLIGHTS 16
struct recording {
    unsigned char *flight[2][MAX_FLIGHTS]; /* [from_client][k] */
    size_t len[2][MAX_FLIGHTS];
    int count[2];
};

static void record(void *ctx, int from_client, int k, unsigned char *buf, size_t *len, size_t cap) {
    struct recording *r = ctx;
    (void)cap;
    if (k >= MAX_FLIGHTS) return;
    r->flight[from_client][k] = malloc(*len);
    if (!r->flight[from_client][k]) die("out of memory", NULL);
    memcpy(r->flight[from_client][k], buf, *len);
    r->len[from_client][k] = *len;
    r->count[from_client] = k + 1;
}

static void handshake_seeds(void) {
    make_dir("handshake");
    for (int flags = 0; flags < 16; flags++) {
        struct recording rec;
        int v = FZ_VARIANT(flags), peer = (flags & FZ_SERVER) != 0; /* whose flights change */
        tlshs *c = tlshs_new(fz.client[v], "localhost"), *s = tlshs_new(fz.server[v], NULL);
        unsigned char head[5];
        char name[128];
        memset(&rec, 0, sizeof rec);
        if (!c || !s) die("tlshs_new failed", NULL);
        if ((flags & FZ_RESUME) && tlshs_set_session(c, fz.session[v], fz.session_len[v]) != 0)
            die("a saved session refused", tlshs_usage_error(c));
        fz_converse(c, s, NULL, record, &rec);
        if (rec.count[peer] < 2) die("a clean conversation of fewer than two flights", NULL);
        head[0] = (unsigned char)flags;
        snprintf(name, sizeof name, "flags%02x-unchanged", flags);
        write_file("handshake", name, head, 1, NULL, 0);
        for (int k = 0; k < rec.count[peer]; k++) {
            head[0] = (unsigned char)(flags | FZ_REPLACE);
            head[1] = (unsigned char)k;
            snprintf(name, sizeof name, "flags%02x-replace-%s-flight%d", flags | FZ_REPLACE,
                     peer ? "client" : "server", k);
            write_file("handshake", name, head, 2, rec.flight[peer][k], rec.len[peer][k]);
            /* byte 5 is the first message's type (after a record header) */
            head[0] = (unsigned char)flags, head[1] = (unsigned char)k, head[2] = 0, head[3] = 5, head[4] = 1;
            snprintf(name, sizeof name, "flags%02x-edit-%s-flight%d", flags, peer ? "client" : "server", k);
            write_file("handshake", name, head, 5, NULL, 0);
        }
        for (int side = 0; side < 2; side++)
            for (int k = 0; k < rec.count[side]; k++) free(rec.flight[side][k]);
    }
}

/* ---- fuzz_session_config: sessions and config values ---- */

static char *slurp(const char *name) {
    static char text[8][8192];
    static int i;
    char *out = text[i++ % 8];
    FILE *f = fopen(fz_path(name), "rb");
    size_t n;
    if (!f) die("cannot read", fz_path(name));
    n = fread(out, 1, sizeof text[0] - 1, f);
    fclose(f);
    out[n] = '\0';
    return out;
}

/* A config seed: flags byte, then NULL-terminated key, value, key, value... */
static void config_seed(const char *name, int flags, ...) {
    static unsigned char buf[65536];
    size_t n = 0;
    const char *s;
    va_list ap;
    buf[n++] = (unsigned char)flags;
    va_start(ap, flags);
    while ((s = va_arg(ap, const char *)) != NULL) {
        size_t len = strlen(s) + 1;
        if (n + len > sizeof buf) die("seed too long", name);
        memcpy(buf + n, s, len);
        n += len;
    }
    va_end(ap);
    write_file("session-config", name, buf, n, NULL, 0);
}

/* The byte that makes fuzz_session_config's safe_path pick these. */
#define CA "\x0a"          /* ca.pem (10 % 10 = 0) */
#define SERVER_EC "\x01"   /* server-ec.pem */
#define SERVER_EC_KEY "\x02"
#define CLIENT "\x05"      /* client.pem */
#define CLIENT_KEY "\x06"
#define CERTDIR "\x08"     /* the certificates' directory */
#define MISSING "\x09"

#define CLIENT_SEED 0x80
#define SYSTEM_STORE 0x20 /* a client config without the test CA set first */
#define SERVER_SEED 0xc0

static void session_config_seeds(void) {
    make_dir("session-config");
    for (int v = 0; v < FZ_VARIANTS; v++) {
        unsigned char head[1];
        char name[64];
        for (int noverify = 0; noverify < 2; noverify++) {
            head[0] = (unsigned char)(v << 1 | (noverify ? 0x20 : 0));
            snprintf(name, sizeof name, "session-variant%d%s", v, noverify ? "-verify-none" : "");
            write_file("session-config", name, head, 1, fz.session[v], fz.session_len[v]);
        }
        /* edit mode: no edit (resumes), and one edit each in the first and last bytes */
        for (int e = 0; e < 3; e++) {
            unsigned char edit[4] = {(unsigned char)(v << 1 | 0x10), 0, 0, 0};
            size_t at = e == 1 ? 7 : fz.session_len[v] - 3;
            edit[1] = (unsigned char)(at >> 8), edit[2] = (unsigned char)at, edit[3] = 1;
            snprintf(name, sizeof name, "session-variant%d-edit%d", v, e);
            write_file("session-config", name, edit, e ? 4 : 1, NULL, 0);
        }
    }
    config_seed("client-system-store", CLIENT_SEED | SYSTEM_STORE, "alpn", "h2", NULL);
    config_seed("client-ca-file", CLIENT_SEED | SYSTEM_STORE, "ca_file", CA, NULL);
    config_seed("client-ca-pem", CLIENT_SEED, "ca_pem", slurp("ca.pem"), NULL);
    config_seed("client-ca-path", CLIENT_SEED, "ca_path", CERTDIR, NULL);
    config_seed("client-missing-file", CLIENT_SEED, "ca_file", MISSING, NULL);
    config_seed("client-cert-file", CLIENT_SEED, "ca_file", CA, "cert_file", CLIENT, "key_file",
                CLIENT_KEY, NULL);
    config_seed("client-cert-pem", CLIENT_SEED, "ca_pem", slurp("ca.pem"), "cert_pem",
                slurp("client.pem"), "key_pem", slurp("client.key"), NULL);
    config_seed("client-verify-none", CLIENT_SEED, "verify", "none", NULL);
    config_seed("client-versions", CLIENT_SEED, "ca_file", CA, "min_version", "1.2", "max_version",
                "1.3", NULL);
    config_seed("client-tls12", CLIENT_SEED, "ca_file", CA, "max_version", "1.2", "ciphers",
                "ECDHE-ECDSA-AES128-GCM-SHA256", NULL);
    config_seed("client-tls13-only", CLIENT_SEED, "ca_file", CA, "min_version", "1.3",
                "ciphersuites", "TLS_AES_128_GCM_SHA256", NULL);
    config_seed("client-alpn", CLIENT_SEED, "ca_file", CA, "alpn", "h2,http/1.1", NULL);
    config_seed("client-groups-sigalgs", CLIENT_SEED, "ca_file", CA, "groups", "X25519:P-256",
                "sigalgs", "ECDSA+SHA256:RSA-PSS+SHA256", NULL);
    config_seed("client-tickets-keylog", CLIENT_SEED, "ca_file", CA, "tickets", "off",
                "keylog_file", "x", NULL);
    config_seed("server-cert-file", SERVER_SEED, "cert_file", SERVER_EC, "key_file", SERVER_EC_KEY,
                NULL);
    config_seed("server-cert-pem-rsa", SERVER_SEED, "cert_pem", slurp("server.pem"), "key_pem",
                slurp("server.key"), NULL);
    config_seed("server-verify-require", SERVER_SEED, "cert_file", SERVER_EC, "key_file",
                SERVER_EC_KEY, "verify", "require", "ca_file", CA, NULL);
    config_seed("server-mismatched-key", SERVER_SEED, "cert_file", SERVER_EC, "key_file",
                CLIENT_KEY, NULL);
    config_seed("server-alpn-tickets", SERVER_SEED, "cert_file", SERVER_EC, "key_file",
                SERVER_EC_KEY, "alpn", "http/1.1,h2", "tickets", "off", NULL);
    config_seed("server-tls12", SERVER_SEED, "cert_file", SERVER_EC, "key_file", SERVER_EC_KEY,
                "max_version", "1.2", "ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384", "groups", "P-256",
                NULL);
    config_seed("server-no-cert", SERVER_SEED, "verify", "peer", NULL);
}

static void dictionary(void) {
    static const char *const words[] = {
        "ca_file", "ca_path", "ca_pem", "cert_file", "key_file", "cert_pem", "key_pem",
        "verify", "min_version", "max_version", "alpn", "ciphers", "ciphersuites", "groups",
        "sigalgs", "tickets", "keylog_file", "none", "peer", "require", "1.0", "1.1", "1.2",
        "1.3", "TLSv1.3", "on", "off", "h2", "http/1.1", "X25519", "P-256", "ECDSA+SHA256",
        "TLS_AES_128_GCM_SHA256", "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----",
        "-----BEGIN PRIVATE KEY-----"};
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/session-config.dict", outdir);
    f = fopen(path, "w");
    if (!f) die("cannot write", path);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) fprintf(f, "\"%s\"\n", words[i]);
    if (fclose(f) != 0) die("cannot write", path);
}

int main(int argc, char **argv) {
    if (argc != 2) die("usage: make_seeds OUTDIR", NULL);
    outdir = argv[1];
    make_dir(NULL);
    fz_setup();
    handshake_seeds();
    session_config_seeds();
    dictionary();
    printf("make_seeds: %d seeds in %s/handshake and %s/session-config\n", written, outdir, outdir);
    return 0;
}
