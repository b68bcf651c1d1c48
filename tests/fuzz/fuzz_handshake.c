/*
 * fuzz_handshake.c - a libFuzzer target: whatever bytes reach a tlshs object,
 * it must end DONE, or CLOSED with a reason, within a bounded number of
 * steps, and leave nothing in OpenSSL's error queue.
 *
 * The first input byte picks a mode:
 *   0  the input is a client's bytes, fed to a server
 *   1  the input edits a real ClientHello (offset, xor) before a server reads it
 *   2  the input is a server's bytes, fed to a client that sent its ClientHello
 *   3  the input edits the real answer of a server before its client reads it
 *
 * Certificates: $TLSHS_CERTS (default build/certs).  Run with `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "tlshs.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tlshs_config *client_cfg, *server_cfg;
static unsigned char hello[8192];
static size_t hello_len;
static unsigned char buf[65536];

static const char *path(const char *name) {
    static char p[2][512];
    static int i;
    const char *dir = getenv("TLSHS_CERTS");
    char *out = p[i++ % 2];
    snprintf(out, sizeof p[0], "%s/%s", dir && *dir ? dir : "build/certs", name);
    return out;
}

static void must(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_handshake: %s\n", what);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    tlshs *c;
    (void)argc, (void)argv;
    client_cfg = tlshs_config_new(TLSHS_CLIENT);
    server_cfg = tlshs_config_new(TLSHS_SERVER);
    must(client_cfg && server_cfg, "out of memory");
    must(!tlshs_config_set(client_cfg, "ca_file", path("ca.pem")), tlshs_config_error(client_cfg));
    must(!tlshs_config_set(server_cfg, "cert_file", path("server-ec.pem")) &&
             !tlshs_config_set(server_cfg, "key_file", path("server-ec.key")),
         tlshs_config_error(server_cfg));
    c = tlshs_new(client_cfg, "localhost");
    must(c && tlshs_step(c) == TLSHS_WANT_WRITE, "no ClientHello");
    hello_len = tlshs_take(c, hello, sizeof hello);
    tlshs_free(c);
    return 0;
}

/* Applies (offset hi, offset lo, xor) triples from edits to msg. */
static void edit(unsigned char *msg, size_t len, const uint8_t *edits, size_t n) {
    for (size_t i = 0; i + 3 <= n && len; i += 3)
        msg[((size_t)edits[i] << 8 | edits[i + 1]) % len] ^= edits[i + 2];
}

/* Steps hs, taking what it writes, until it stops asking to write. */
static tlshs_result settle(tlshs *hs) {
    tlshs_result r = TLSHS_WANT_READ;
    for (int i = 0; i < 16; i++) {
        r = tlshs_step(hs);
        while (tlshs_take(hs, buf, sizeof buf) > 0) {}
        if (r != TLSHS_WANT_WRITE) break;
    }
    return r;
}

/* The end of every run: input over, then the result must be final. */
static void finish(tlshs *hs) {
    tlshs_result r = settle(hs);
    if (r == TLSHS_WANT_READ) {
        tlshs_feed_eof(hs);
        r = settle(hs);
    }
    must(r == TLSHS_DONE || r == TLSHS_CLOSED, "not final after the input ended");
    must(r != TLSHS_CLOSED || *tlshs_error(hs), "CLOSED without a reason");
    must(tlshs_step(hs) == r, "a final result changed");
    must(ERR_peek_error() == 0, "errors left in OpenSSL's queue");
    tlshs_free(hs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tlshs *c, *s;
    unsigned char msg[sizeof hello];
    size_t n;
    if (size < 1) return 0;
    switch (data[0] % 4) {
    case 0:
        s = tlshs_new(server_cfg, NULL);
        tlshs_feed(s, data + 1, size - 1);
        finish(s);
        break;
    case 1:
        memcpy(msg, hello, hello_len);
        edit(msg, hello_len, data + 1, size - 1);
        s = tlshs_new(server_cfg, NULL);
        tlshs_feed(s, msg, hello_len);
        finish(s);
        break;
    case 2:
        c = tlshs_new(client_cfg, "localhost");
        settle(c);
        tlshs_feed(c, data + 1, size - 1);
        finish(c);
        break;
    default:
        c = tlshs_new(client_cfg, "localhost");
        s = tlshs_new(server_cfg, NULL);
        tlshs_step(c);
        n = tlshs_take(c, buf, sizeof buf);
        tlshs_feed(s, buf, n);
        tlshs_step(s);
        n = tlshs_take(s, buf, sizeof buf);
        edit(buf, n, data + 1, size - 1);
        tlshs_feed(c, buf, n);
        tlshs_free(s);
        finish(c);
        break;
    }
    return 0;
}
