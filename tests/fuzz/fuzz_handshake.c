/*
 * fuzz_handshake.c - a libFuzzer target: a real tlshs client and server talk
 * in memory (fuzz_common.h: handshake, "ping"/"pong", close_notify) while
 * the input changes the flights of one of them, so the other side, the one
 * under test, reads hostile bytes at every stage.  Whatever it reads, both
 * sides must keep the rules of fuzz_common.h.
 *
 * The first input byte (FZ_* in fuzz_common.h):
 *   bit 0  FZ_SERVER   the server is under test (the client's flights change);
 *                      else the client is (the server's flights change)
 *   bit 1  FZ_TLS12    TLS 1.2 at most: Certificate, ServerKeyExchange,
 *                      ClientKeyExchange and CertificateVerify in the clear
 *   bit 2  FZ_MUTUAL   the server requires and verifies a client certificate
 *   bit 3  FZ_RESUME   the client offers a session saved from a clean run
 *   bit 4  FZ_REPLACE  the rest is [k, bytes...]: the peer's flight k is
 *                      replaced by bytes (k 0 with any bytes: raw input to a
 *                      fresh server, or to a client after its ClientHello);
 *                      else the rest is edits [k, offset hi, offset lo, x]:
 *                      flight k's byte at offset (mod its length) is xored
 *                      with x, or, for x 0, the flight is cut there
 *
 * Seeds: make_seeds.c records real flights of every variant into
 * build/fuzz-seeds/handshake (`make fuzz-seeds`).  Run with `make fuzz`.
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct plan {
    int peer_is_client; /* whose flights change */
    int replace;
    const uint8_t *body;
    size_t n;
};

static void change(void *ctx, int from_client, int k, unsigned char *buf, size_t *len, size_t cap) {
    const struct plan *p = ctx;
    if (from_client != p->peer_is_client) return;
    if (p->replace) {
        if (p->n > 0 && p->body[0] == k) {
            *len = p->n - 1 < cap ? p->n - 1 : cap;
            memcpy(buf, p->body + 1, *len);
        }
        return;
    }
    for (size_t i = 0; i + 4 <= p->n && *len > 0; i += 4) {
        size_t at;
        if (p->body[i] != k) continue;
        at = ((size_t)p->body[i + 1] << 8 | p->body[i + 2]) % *len;
        if (p->body[i + 3]) buf[at] ^= p->body[i + 3];
        else *len = at;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fz_setup();
    atexit(fz_print_tally);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int flags, v;
    tlshs *c, *s;
    struct plan p;
    if (size < 1) return 0;
    flags = data[0];
    v = FZ_VARIANT(flags);
    p.peer_is_client = (flags & FZ_SERVER) != 0;
    p.replace = (flags & FZ_REPLACE) != 0;
    p.body = data + 1;
    p.n = size - 1;
    c = tlshs_new(fz.client[v], "localhost");
    s = tlshs_new(fz.server[v], NULL);
    must(c && s, "tlshs_new failed");
    if (flags & FZ_RESUME)
        must(tlshs_set_session(c, fz.session[v], fz.session_len[v]) == 0, "a saved session refused");
    fz_runs++;
    fz_count(flags & FZ_SERVER ? "server under test" : "client under test",
             p.replace ? "a flight replaced" : "flights edited");
    fz_converse(c, s, flags & FZ_SERVER ? s : c, change, &p);
    return 0;
}
