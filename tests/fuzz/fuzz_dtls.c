/*
 * fuzz_dtls.c - a libFuzzer target: a real tlshs DTLS 1.2 client and server
 * (stateless cookies on, the client verifying) talk in memory, one datagram
 * at a time, while the input changes the datagrams of one of them, so the
 * other side, the one under test, reads hostile datagrams at every stage:
 * the listening server's cookie check (cookie.c), the handshake, the DONE
 * side answering retransmissions, the timers fired in virtual time.
 *
 * The first input byte:
 *   bit 0  the server is under test (the client's datagrams change); else
 *          the client is
 *   bit 1  replace: the rest is [k, bytes...]: the peer's datagram k is
 *          replaced by bytes; else edits [k, offset hi, offset lo, x]:
 *          datagram k's byte at offset (mod its length) is xored with x, or,
 *          for x 0, the datagram is cut there
 *   bit 2  drop the peer's datagram k0 (the second byte) before the edits
 *          (a loss the timers must heal)
 *
 * The rules (fuzz_common.h's fz_finish): every side ends DONE or CLOSED once
 * its input ends, CLOSED with a reason and a code, a final result stays, and
 * nothing is left in OpenSSL's error queue.
 *
 * Built with -DFZ_DTLS_SEEDS it is instead the seed writer: it records the
 * datagrams of clean runs and writes replace seeds for each of them (and a
 * few edits) into the directory it is given (`make fuzz-seeds`).
 */
#include "fuzz_common.h"

enum { FD_SERVER = 1, FD_REPLACE = 2, FD_DROP = 4 };

static tlshs_config *dclient, *dserver;

struct plan {
    int peer_is_client;
    int replace, drop_k;
    const uint8_t *body;
    size_t n;
    FILE *record; /* the seed writer: where clean datagrams are recorded, or NULL */
    int record_client;
};

/* Changes one datagram: answers 0 to drop it. */
static int change(struct plan *p, int from_client, int k, unsigned char *buf, size_t *len, size_t cap) {
    if (from_client != p->peer_is_client) return 1;
    if (k == p->drop_k) return 0;
    if (p->replace) {
        if (p->n > 0 && p->body[0] == k) {
            *len = p->n - 1 < cap ? p->n - 1 : cap;
            memcpy(buf, p->body + 1, *len);
        }
        return 1;
    }
    for (size_t i = 0; i + 4 <= p->n && *len > 0; i += 4) {
        size_t at;
        if (p->body[i] != k) continue;
        at = ((size_t)p->body[i + 1] << 8 | p->body[i + 2]) % *len;
        if (p->body[i + 3]) buf[at] ^= p->body[i + 3];
        else *len = at;
    }
    return 1;
}

/* Moves from's datagrams to to, each through the plan; answers how many. */
static int move(struct plan *p, tlshs *from, tlshs *to, int from_client, int *k) {
    static unsigned char dg[65536];
    size_t len;
    int moved = 0;
    while ((len = tlshs_take(from, dg, sizeof dg)) > 0) {
        int keep = change(p, from_client, *k, dg, &len, sizeof dg);
        if (p->record && from_client == p->record_client) {
            unsigned char head[3] = {(unsigned char)*k, (unsigned char)(len >> 8), (unsigned char)len};
            fwrite(head, 1, 3, p->record);
            fwrite(dg, 1, len, p->record);
        }
        (*k)++;
        moved++;
        if (keep && len > 0 && tlshs_last_result(to) != TLSHS_CLOSED) tlshs_feed(to, dg, len);
    }
    return moved;
}

/* One side's turn: the handshake, then "ping"/"pong" and the close. */
static void act(tlshs *hs, int client, int *wrote) {
    unsigned char buf[4096];
    size_t n;
    if (!tlshs_handshake_done(hs)) {
        tlshs_step(hs);
        return;
    }
    tlshs_step(hs); /* a DONE side answers retransmissions */
    while (tlshs_read(hs, buf, sizeof buf, &n) == TLSHS_DONE && n > 0) {}
    if (!*wrote) {
        *wrote = 1;
        tlshs_write(hs, client ? "ping" : "pong", 4, &n);
    }
}

static void converse(struct plan *p, tlshs *c, tlshs *s, tlshs *under_test) {
    int kc = 0, ks = 0, wc = 0, ws = 0, fired = 0;
    if (under_test) tlshs_set_trace(under_test, 1);
    tlshs_set_peer(s, "192.0.2.1:5684", 14);
    for (int turn = 0, quiet = 0; turn < 64 && quiet < 2; turn++) {
        int moved;
        act(c, 1, &wc);
        moved = move(p, c, s, 1, &kc);
        act(s, 0, &ws);
        moved += move(p, s, c, 0, &ks);
        if (moved) {
            quiet = 0;
            continue;
        }
        /* virtual time: fire the earlier timer, a bounded number of times */
        long tc = tlshs_timeout_ms(c), ts = tlshs_timeout_ms(s);
        if ((tc >= 0 || ts >= 0) && fired < 16) {
            fired++;
            if (tc >= 0 && (ts < 0 || tc <= ts)) tlshs_on_timeout(c);
            else tlshs_on_timeout(s);
            if (under_test) fz_count("timer fired", under_test == c ? "client" : "server");
            continue;
        }
        quiet++;
    }
    if (tlshs_shutdown(c) == TLSHS_WANT_WRITE) move(p, c, s, 1, &kc);
    fz_finish(c, c == under_test);
    fz_finish(s, s == under_test);
}

static void setup(void) {
    dclient = tlshs_config_new(TLSHS_CLIENT);
    dserver = tlshs_config_new(TLSHS_SERVER);
    must(dclient && dserver, "out of memory");
    fz_set(dclient, "transport", "datagram");
    fz_set(dclient, "ca_file", fz_path("ca.pem"));
    fz_set(dclient, "retransmit_ms", "20"); /* OpenSSL 3.5 waits out fired timers */
    fz_set(dserver, "transport", "datagram");
    fz_set(dserver, "cert_file", fz_path("server-ec.pem"));
    fz_set(dserver, "key_file", fz_path("server-ec.key"));
    fz_set(dserver, "retransmit_ms", "20");
    fz_set(dserver, "mtu", "512"); /* the certificate in fragments */
}

#ifndef FZ_DTLS_SEEDS

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    setup();
    atexit(fz_print_tally);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct plan p;
    tlshs *c, *s;
    if (size < 2) return 0;
    memset(&p, 0, sizeof p);
    p.peer_is_client = (data[0] & FD_SERVER) != 0;
    p.replace = (data[0] & FD_REPLACE) != 0;
    p.drop_k = data[0] & FD_DROP ? data[1] : -1;
    p.body = data + 2;
    p.n = size - 2;
    c = tlshs_new(dclient, "localhost");
    s = tlshs_new(dserver, NULL);
    must(c && s, "tlshs_new failed");
    fz_count(p.peer_is_client ? "server under test" : "client under test",
             p.replace ? "a datagram replaced" : "datagrams edited");
    converse(&p, c, s, p.peer_is_client ? s : c);
    return 0;
}

#else

/* Seeds: the datagrams of a clean run as replace seeds (each of either
   side's), and edits that flip a byte of each. */
int main(int argc, char **argv) {
    char name[512];
    must(argc == 2, "usage: seed-dtls DIR");
    setup();
    for (int side = 0; side < 2; side++) {
        struct plan p;
        unsigned char *rec = NULL;
        size_t rec_len = 0;
        FILE *mem = open_memstream((char **)&rec, &rec_len);
        tlshs *c = tlshs_new(dclient, "localhost"), *s = tlshs_new(dserver, NULL);
        memset(&p, 0, sizeof p);
        p.drop_k = -1;
        p.peer_is_client = 2; /* changes nothing */
        p.record = mem;
        p.record_client = side == 0;
        must(mem && c && s, "seed run");
        converse(&p, c, s, NULL);
        fclose(mem);
        for (size_t at = 0; at + 3 <= rec_len;) {
            int k = rec[at];
            size_t len = (size_t)rec[at + 1] << 8 | rec[at + 2];
            unsigned char head[3] = {(unsigned char)((side == 0 ? FD_SERVER : 0) | FD_REPLACE), 0,
                                     (unsigned char)k};
            unsigned char edit[6] = {(unsigned char)(side == 0 ? FD_SERVER : 0), 0, (unsigned char)k, 0, 13,
                                     0x01};
            FILE *f;
            if (at + 3 + len > rec_len) break;
            snprintf(name, sizeof name, "%s/%s-replace-%d", argv[1], side == 0 ? "client" : "server", k);
            f = fopen(name, "wb");
            must(f != NULL, "cannot write a seed");
            fwrite(head, 1, 3, f);
            fwrite(rec + at + 3, 1, len, f);
            fclose(f);
            snprintf(name, sizeof name, "%s/%s-edit-%d", argv[1], side == 0 ? "client" : "server", k);
            f = fopen(name, "wb");
            must(f != NULL, "cannot write a seed");
            fwrite(edit, 1, sizeof edit, f);
            fclose(f);
            at += 3 + len;
        }
        free(rec);
    }
    for (int k = 0; k < 4; k++) { /* each of the client's first datagrams lost */
        unsigned char drop[2] = {FD_SERVER | FD_DROP, (unsigned char)k};
        FILE *f;
        snprintf(name, sizeof name, "%s/client-drop-%d", argv[1], k);
        f = fopen(name, "wb");
        must(f != NULL, "cannot write a seed");
        fwrite(drop, 1, 2, f);
        fclose(f);
    }
    return 0;
}

#endif
