/*
 * seed_record.c - writes the seed corpus of fuzz_record: every flight of a
 * TLS 1.3 and a TLS 1.2 handshake between tlshs objects (carried by
 * tlshs_pair), each as one file DIR/flight-V-N with a first byte that picks
 * max_body (see fuzz_record.c).  Made at build time, never committed.
 *
 * Usage: seed-record DIR   (certificates: $TLSHS_CERTS, default build/certs)
 */
#include <stdio.h>
#include <stdlib.h>

#include "tlshs.h"

static const char *dir;
static const char *version;
static int count;

static const char *path(const char *name) {
    static char p[2][512];
    static int i;
    const char *certs = getenv("TLSHS_CERTS");
    char *out = p[i++ % 2];
    snprintf(out, sizeof p[0], "%s/%s", certs && *certs ? certs : "build/certs", name);
    return out;
}

/* Tamper that writes each flight to a file and delivers it unchanged. */
static size_t save(tlshs_direction d, unsigned char *flight, size_t len, const unsigned char **out,
                   void *arg) {
    char name[1024];
    unsigned char max_body = (unsigned char)(count * 37 % 256); /* varied */
    FILE *f;
    (void)d, (void)out, (void)arg;
    snprintf(name, sizeof name, "%s/flight-%s-%d", dir, version, count++);
    f = fopen(name, "wb");
    if (!f || fwrite(&max_body, 1, 1, f) != 1 || fwrite(flight, 1, len, f) != len) {
        fprintf(stderr, "seed-record: cannot write %s\n", name);
        exit(1);
    }
    fclose(f);
    return len;
}

static void one(const char *v) {
    tlshs_config *cc = tlshs_config_new(TLSHS_CLIENT), *sc = tlshs_config_new(TLSHS_SERVER);
    tlshs *c, *s;
    tlshs_result rc, rs;
    version = v;
    if (!cc || !sc || tlshs_config_set(cc, "ca_file", path("ca.pem")) ||
        tlshs_config_set(cc, "max_version", v) ||
        tlshs_config_set(sc, "cert_file", path("server.pem")) ||
        tlshs_config_set(sc, "key_file", path("server.key"))) {
        fprintf(stderr, "seed-record: config: %s%s\n", tlshs_config_error(cc),
                tlshs_config_error(sc));
        exit(1);
    }
    c = tlshs_new(cc, "localhost");
    s = tlshs_new(sc, NULL);
    if (tlshs_pair(c, s, save, NULL, 20, &rc, &rs) != 0 || rc != TLSHS_DONE || rs != TLSHS_DONE) {
        fprintf(stderr, "seed-record: handshake: %s%s\n", tlshs_error(c), tlshs_error(s));
        exit(1);
    }
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: seed-record DIR\n");
        return 2;
    }
    dir = argv[1];
    one("1.3");
    one("1.2");
    printf("seed-record: %d flights in %s\n", count, dir);
    return 0;
}
