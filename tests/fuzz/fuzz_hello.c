/*
 * fuzz_hello.c - a libFuzzer target over the hello parser (csrc/hello.c):
 * whatever the bytes, it must not crash or read out of bounds, and what it
 * accepts must be consistent (raw is the input, every list fits in it, the
 * fingerprints have their shapes, a failed parse reports nothing).
 *
 * The first input byte picks what the rest is:
 *   0  a ClientHello message, as is
 *   1  a ServerHello message, as is
 *   2  a ClientHello whose 4-byte header is rewritten to fit (so the fuzzer
 *      works on the body, not on getting the length right)
 *   3  the same for a ServerHello
 *   4 to 7  the same four as DTLS messages: a 12-byte handshake header
 *      (rewritten whole, offset 0 and full length, in 6 and 7) and the
 *      ClientHello's cookie
 *
 * Each input goes to a fresh exact-size copy (so ASan sees any over-read)
 * and to stores that live across inputs (so reuse is exercised too).
 * Seeds: real hellos, written by tests/fuzz/hello_seeds.py.  Run with
 * `make fuzz-hello`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlshs_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tlshs_hello_store store;
static struct tlshs_server_hello server;

static void broken(const char *rule) {
    fprintf(stderr, "fuzz_hello: broken rule: %s\n", rule);
    abort();
}

/* s starts with n lowercase hex digits */
static int is_hex(const char *s, size_t n) {
    return strspn(s, "0123456789abcdef") >= n;
}

static void check_client(const unsigned char *msg, size_t len, int dtls) {
    int rc = tlshs__hello_parse(&store, msg, len, dtls);
    const tlshs_hello *h = tlshs__hello_get(&store);
    if (rc != 0) {
        if (h) broken("a failed parse reports a hello");
        if (rc != TLSHS__HELLO_MALFORMED) broken("an answer other than 0 or malformed");
        return;
    }
    if (!h || h->raw_len != len || memcmp(h->raw, msg, len) != 0) broken("raw is not the input");
    if (len < (dtls ? 12 + 1 : 4) + 2 + 32 + 1 + 2 + 1) broken("a hello shorter than its fixed fields");
    if (dtls ? !h->cookie || h->cookie < h->raw || h->cookie_len > 255 ||
                   h->cookie + h->cookie_len > h->raw + h->raw_len
             : h->cookie != NULL)
        broken("a cookie out of bounds");
    if (2 * (h->n_ciphers + h->n_extensions + h->n_versions + h->n_groups + h->n_sigalgs) +
            4 * h->n_key_shares >
        len)
        broken("more values than bytes");
    if (h->server_name && (!*h->server_name || strlen(h->server_name) > len))
        broken("a server name out of bounds");
    for (size_t i = 0; i < h->n_alpn; i++)
        if (strlen(h->alpn[i]) > 255) broken("an ALPN name out of bounds");
    if (strlen(h->ja4) != 36 || h->ja4[0] != (dtls ? 'd' : 't') || h->ja4[10] != '_' || h->ja4[23] != '_' ||
        !is_hex(h->ja4 + 11, 12) || !is_hex(h->ja4 + 24, 12))
        broken("a JA4 of the wrong shape");
    if (strlen(h->ja3_hash) != 32 || !is_hex(h->ja3_hash, 32) || strlen(h->ja3) > 8 * len + 16)
        broken("a JA3 of the wrong shape");
    for (const char *p = h->ja3; *p; p++)
        if (!strchr("0123456789,-", *p)) broken("a JA3 with a stray character");
}

static void check_server(const unsigned char *msg, size_t len, int dtls) {
    int rc = tlshs__server_hello_parse(&server, msg, len, dtls);
    if (rc != 0) {
        if (server.parsed) broken("a failed ServerHello parse reports one");
        return;
    }
    if (!server.parsed || strlen(server.ja3s_hash) != 32 || !is_hex(server.ja3s_hash, 32) ||
        strlen(server.ja3s) > 6 * len + 16)
        broken("a JA3S of the wrong shape");
    for (const char *p = server.ja3s; *p; p++)
        if (!strchr("0123456789,-", *p)) broken("a JA3S with a stray character");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned char *msg;
    size_t len, header;
    int mode, dtls;
    if (size < 1) return 0;
    mode = data[0] % 8;
    dtls = mode >= 4;
    len = size - 1;
    msg = malloc(len ? len : 1);
    if (!msg) return 0;
    memcpy(msg, data + 1, len);
    header = dtls ? 12 : 4;
    if (mode % 4 >= 2 && len >= header) {
        size_t body = len - header;
        msg[0] = mode % 2 == 0 ? 1 : 2;
        msg[1] = (unsigned char)(body >> 16), msg[2] = (unsigned char)(body >> 8);
        msg[3] = (unsigned char)body;
        if (dtls) {
            memset(msg + 6, 0, 3);         /* fragment_offset */
            memcpy(msg + 9, msg + 1, 3);   /* fragment_length */
        }
    }
    if (mode % 2 == 0)
        check_client(msg, len, dtls);
    else
        check_server(msg, len, dtls);
    free(msg);
    return 0;
}
