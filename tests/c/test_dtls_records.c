/*
 * test_dtls_records.c - the toolkit's parsers on datagrams: DTLS records and
 * handshake fragments split and rebuilt from real datagrams (a tlshs pair),
 * refragment'ed datagrams that still complete the handshake, the DTLS
 * ClientHello (its cookie, JA3, JA4) and ServerHello (JA3S) as the hello
 * callback and the handshake show them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define TEST_ENTRY(name) void name(void);
#include "list_dtls_records.h"
#undef TEST_ENTRY

#define MAX_DGRAMS 64

/* The datagrams a pair carried, as tamper saw them (before any re-cut). */
struct seen {
    unsigned char *dg[MAX_DGRAMS];
    size_t len[MAX_DGRAMS];
    int dir[MAX_DGRAMS];
    int n;
    size_t max_body;    /* > 0: deliver the datagrams of recut re-cut to this */
    int recut;          /* bits: 1 << TLSHS_C2S, 1 << TLSHS_S2C */
    const char *cookie; /* the server's key cookie ("on", "off") */
    unsigned char out[70000];
    int cut; /* datagrams the re-cut changed */
};

static size_t keep_tamper(tlshs_direction d, unsigned char *dg, size_t len,
                          const unsigned char **out, void *arg) {
    struct seen *s = arg;
    if (s->n < MAX_DGRAMS) {
        s->dg[s->n] = malloc(len);
        if (s->dg[s->n]) {
            memcpy(s->dg[s->n], dg, len);
            s->len[s->n] = len;
            s->dir[s->n++] = d;
        }
    }
    if (s->max_body && (s->recut & 1 << d)) {
        size_t n = tlshs_dtls_refragment(dg, len, s->max_body, s->out, sizeof s->out);
        if (n == 0 || n > sizeof s->out) return len;
        s->cut += n != len;
        *out = s->out;
        return n;
    }
    return len;
}

static void seen_free(struct seen *s) {
    for (int i = 0; i < s->n; i++)
        free(s->dg[i]);
    s->n = 0;
}

static tlshs_config *dtls_with(tlshs_role role, const char *key, const char *value) {
    return role == TLSHS_SERVER ? server_with("transport", "datagram", key, value, NULL)
                                : client_with("transport", "datagram", key, value, NULL);
}

/* A datagram handshake between a client and a server of mtu, every datagram
   kept in s (and re-cut when s->max_body); answers 1 when both are DONE. */
static int record_pair(struct seen *s, const char *mtu, tlshs_hello_cb cb, void *arg) {
    struct pair p = pair_of(dtls_with(TLSHS_CLIENT, "mtu", mtu),
                            server_with("transport", "datagram", "mtu", mtu, "cookie",
                                        s->cookie ? s->cookie : "on", NULL),
                            "localhost");
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    int ok;
    if (!p.c || !p.s) return 0;
    if (cb) tlshs_set_hello_cb(p.s, cb, arg);
    tlshs_pair(p.c, p.s, keep_tamper, s, 50, &rc, &rs);
    ok = rc == TLSHS_DONE && rs == TLSHS_DONE;
    if (!ok) fprintf(stderr, "client: %s; server: %s\n", tlshs_error(p.c), tlshs_error(p.s));
    pair_free(&p);
    return ok;
}

static uint64_t be(const unsigned char *p, int n) {
    uint64_t v = 0;
    while (n--)
        v = v << 8 | *p++;
    return v;
}

TEST(test_dtls_records_of_real_datagrams) {
    struct seen s = {0};
    uint64_t next_seq[2][2] = {{0}}; /* by direction and epoch */
    int hellos = 0, verify_requests = 0, epoch1 = 0, fragmented = 0;
    CHECK(record_pair(&s, "512", NULL, NULL));
    CHECK_INT(s.n, >=, 6);
    for (int i = 0; i < s.n; i++) {
        tlshs_dtls_record recs[16];
        size_t used = 0, n = tlshs_dtls_records(s.dg[i], s.len[i], recs, 16, &used);
        CHECK_INT(n, >=, 1);
        CHECK_INT(used, ==, s.len[i]); /* a datagram is whole records */
        CHECK_INT(tlshs_dtls_records(s.dg[i], s.len[i], NULL, 0, NULL), ==, n);
        for (size_t r = 0, at = 0; r < n; r++) {
            const unsigned char *h = s.dg[i] + at;
            unsigned char again[2048];
            size_t k =
                tlshs_dtls_record_write(recs[r].type, recs[r].version, recs[r].epoch, recs[r].seq,
                                        recs[r].body, recs[r].len, again, sizeof again);
            /* the fields, read by hand from the header */
            CHECK_INT(recs[r].type, ==, h[0]);
            CHECK_INT(recs[r].epoch, ==, be(h + 3, 2));
            CHECK(recs[r].seq == be(h + 5, 6));
            CHECK_INT(recs[r].len, ==, be(h + 11, 2));
            CHECK(recs[r].body == h + 13);
            CHECK(recs[r].version == 0xfefd || recs[r].version == 0xfeff);
            /* rebuilt byte for byte */
            CHECK_INT(k, ==, 13 + recs[r].len);
            CHECK(memcmp(again, h, k) == 0);
            /* sequence numbers count up per epoch and direction (no loss here;
               the server's HelloVerifyRequest is stateless and restarts) */
            CHECK_INT(recs[r].epoch, <=, 1);
            if (!(s.dir[i] == TLSHS_S2C && recs[r].epoch == 0 && recs[r].seq == 0))
                CHECK(recs[r].seq == next_seq[s.dir[i]][recs[r].epoch]);
            next_seq[s.dir[i]][recs[r].epoch] = recs[r].seq + 1;
            epoch1 += recs[r].epoch == 1;
            if (recs[r].type == TLSHS_HANDSHAKE && recs[r].epoch == 0) {
                tlshs_dtls_fragment f[8];
                size_t fu = 0, nf = tlshs_dtls_fragments(recs[r].body, recs[r].len, f, 8, &fu);
                CHECK_INT(nf, >=, 1);
                CHECK_INT(fu, ==, recs[r].len);
                for (size_t j = 0; j < nf; j++) {
                    CHECK_INT(f[j].offset + f[j].len, <=, f[j].msg_len);
                    fragmented += f[j].len < f[j].msg_len;
                    hellos += f[j].msg_type == 1;
                    verify_requests += f[j].msg_type == 3;
                }
            }
            at += k;
        }
    }
    CHECK_INT(hellos, ==, 2);          /* the first ClientHello and its retry */
    CHECK_INT(verify_requests, ==, 1); /* the cookie on by default */
    CHECK_INT(epoch1, >=, 2);          /* both Finished */
    CHECK_INT(fragmented, >=, 2);      /* mtu 512: the certificate in pieces */
    /* the first datagram: the client's first record */
    CHECK(be(s.dg[0] + 3, 8) == 0);
    seen_free(&s);
}

TEST(test_dtls_records_partial_and_limits) {
    unsigned char b[64], w[64];
    tlshs_dtls_record r[4];
    tlshs_dtls_fragment f[4];
    size_t used = 99;
    CHECK_INT(tlshs_dtls_records(NULL, 5, r, 4, &used), ==, 0);
    CHECK_INT(used, ==, 0);
    /* a record with the largest epoch and seq, then 12 bytes of a header */
    CHECK_INT(tlshs_dtls_record_write(22, 0xfefd, 0xffff, 0xffffffffffffULL, "abc", 3, b, sizeof b),
              ==, 16);
    CHECK(memcmp(b,
                 "\x16\xfe\xfd\xff\xff\xff\xff\xff\xff\xff\xff\x00\x03"
                 "abc",
                 16) == 0);
    memset(b + 16, 0x17, 12);
    CHECK_INT(tlshs_dtls_records(b, 28, r, 4, &used), ==, 1);
    CHECK_INT(used, ==, 16);
    CHECK(r[0].seq == 0xffffffffffffULL);
    CHECK_INT(r[0].epoch, ==, 0xffff);
    /* a body announced longer than the bytes: not a record */
    CHECK_INT(tlshs_dtls_records(b, 15, r, 4, &used), ==, 0);
    /* max: the first only, used spans it */
    tlshs_dtls_record_write(21, 0xfefd, 0, 1, "\x01\x00", 2, b + 16, 48);
    CHECK_INT(tlshs_dtls_records(b, 31, r, 1, &used), ==, 1);
    CHECK_INT(used, ==, 16);
    CHECK_INT(tlshs_dtls_records(b, 31, r, 4, &used), ==, 2);
    CHECK_INT(used, ==, 31);
    /* out of range, a short cap, body inside out */
    CHECK_INT(tlshs_dtls_record_write(256, 0, 0, 0, NULL, 0, w, sizeof w), ==, 0);
    CHECK_INT(tlshs_dtls_record_write(22, 0x10000, 0, 0, NULL, 0, w, sizeof w), ==, 0);
    CHECK_INT(tlshs_dtls_record_write(22, 0, 0x10000, 0, NULL, 0, w, sizeof w), ==, 0);
    CHECK_INT(tlshs_dtls_record_write(22, 0, 0, 0x1000000000000ULL, NULL, 0, w, sizeof w), ==, 0);
    CHECK_INT(tlshs_dtls_record_write(22, 0, 0, 0, NULL, 1, w, sizeof w), ==, 0);
    CHECK_INT(tlshs_dtls_record_write(22, 0, 0, 0, "x", 0x10000, NULL, 0), ==, 0);
    memset(w, 0xee, sizeof w);
    CHECK_INT(tlshs_dtls_record_write(22, 0, 0, 0, "abc", 3, w, 15), ==, 16);
    CHECK_INT(w[0], ==, 0xee);
    memcpy(w, "hello", 5);
    CHECK_INT(tlshs_dtls_record_write(23, 0xfefd, 1, 2, w, 5, w, sizeof w), ==, 18);
    CHECK(memcmp(w + 13, "hello", 5) == 0);
    /* fragments: a whole one and one cut short */
    memcpy(b, "\x01\x00\x00\x05\x00\x00\x00\x00\x02\x00\x00\x03xyz\x0b\x00\x00\x09", 19);
    CHECK_INT(tlshs_dtls_fragments(b, 19, f, 4, &used), ==, 1);
    CHECK_INT(used, ==, 15);
    CHECK_INT(f[0].msg_type, ==, 1);
    CHECK_INT(f[0].msg_len, ==, 5);
    CHECK_INT(f[0].message_seq, ==, 0);
    CHECK_INT(f[0].offset, ==, 2);
    CHECK_INT(f[0].len, ==, 3);
    CHECK(memcmp(f[0].body, "xyz", 3) == 0);
    CHECK_INT(tlshs_dtls_fragments(NULL, 3, f, 4, &used), ==, 0);
}

/* One handshake record of epoch e, seq 7, holding the given fragment bodies. */
static size_t hs_record(unsigned char *out, unsigned epoch, const unsigned char *frags,
                        size_t len) {
    return tlshs_dtls_record_write(TLSHS_HANDSHAKE, 0xfefd, epoch, 7, frags, len, out, 70000);
}

TEST(test_dtls_refragment_rules) {
    static unsigned char frag[2 * 12 + 100 + 3], dg[70000], out[140000], big[65535];
    tlshs_dtls_record r[4];
    tlshs_dtls_fragment f[16];
    size_t n, used, len;
    /* two fragments in one record: a 100-byte ClientHello piece at offset 10
       of 200, then a 3-byte one */
    memcpy(frag, "\x01\x00\x00\xc8\x00\x05\x00\x00\x0a\x00\x00\x64", 12);
    for (int i = 0; i < 100; i++)
        frag[12 + i] = (unsigned char)i;
    memcpy(frag + 112,
           "\x0e\x00\x00\x03\x00\x06\x00\x00\x00\x00\x00\x03"
           "abc",
           15);
    len = hs_record(dg, 0, frag, sizeof frag);
    n = tlshs_dtls_refragment(dg, len, 30, out, sizeof out);
    CHECK_INT(n, ==, len + 3 * 12);                            /* 100 -> 30+30+30+10 */
    CHECK_INT(tlshs_dtls_records(out, n, r, 4, &used), ==, 1); /* still one record */
    CHECK_INT(r[0].epoch, ==, 0);
    CHECK(r[0].seq == 7);
    CHECK_INT(tlshs_dtls_fragments(r[0].body, r[0].len, f, 16, &used), ==, 5);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(f[i].msg_type, ==, 1);
        CHECK_INT(f[i].msg_len, ==, 200);
        CHECK_INT(f[i].message_seq, ==, 5);
        CHECK_INT(f[i].offset, ==, 10 + 30 * i);
        CHECK_INT(f[i].len, ==, i < 3 ? 30 : 10);
        CHECK(memcmp(f[i].body, frag + 12 + 30 * i, f[i].len) == 0);
    }
    CHECK(memcmp(r[0].body + r[0].len - 15, frag + 112, 15) == 0); /* the small one as it was */
    /* the size alone, and a short cap writes nothing */
    CHECK_INT(tlshs_dtls_refragment(dg, len, 30, NULL, 0), ==, n);
    out[0] = 0xee;
    CHECK_INT(tlshs_dtls_refragment(dg, len, 30, out, n - 1), ==, n);
    CHECK_INT(out[0], ==, 0xee);
    /* everything fits: unchanged; max_body 0 or NULL: refused */
    CHECK_INT(tlshs_dtls_refragment(dg, len, 100, out, sizeof out), ==, len);
    CHECK(memcmp(out, dg, len) == 0);
    CHECK_INT(tlshs_dtls_refragment(dg, len, 0, out, sizeof out), ==, 0);
    CHECK_INT(tlshs_dtls_refragment(NULL, len, 30, out, sizeof out), ==, 0);
    /* epoch 1 (encrypted), another type, a body that is not whole
       fragments, and a partial record at the end: unchanged */
    {
        size_t at = hs_record(dg, 1, frag, sizeof frag);
        at += tlshs_dtls_record_write(TLSHS_ALERT, 0xfefd, 0, 8, frag, sizeof frag, dg + at, 1000);
        at += hs_record(dg + at, 0, frag, sizeof frag - 1);
        memcpy(dg + at, "\x16\xfe\xfd\x00", 4), at += 4;
        CHECK_INT(tlshs_dtls_refragment(dg, at, 1, out, sizeof out), ==, at);
        CHECK(memcmp(out, dg, at) == 0);
    }
    /* a zero-length fragment stays one; with max_body 1 every byte is one */
    memcpy(frag, "\x02\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    memcpy(frag + 12, "\x0b\x00\x00\x02\x00\x02\x00\x00\x00\x00\x00\x02xy", 14);
    len = hs_record(dg, 0, frag, 26);
    n = tlshs_dtls_refragment(dg, len, 1, out, sizeof out);
    CHECK_INT(n, ==, len + 12);
    CHECK_INT(tlshs_dtls_fragments(out + 13, n - 13, f, 16, &used), ==, 3);
    CHECK_INT(f[0].len, ==, 0);
    CHECK_INT(f[2].offset, ==, 1);
    CHECK_INT(f[2].body[0], ==, 'y');
    /* a re-cut body over 65535 bytes: refused */
    memset(big, 0, sizeof big);
    memcpy(big, "\x0b\x00\xff\xe7\x00\x02\x00\x00\x00\x00\xff\xe7", 12);
    len = hs_record(dg, 0, big, 12 + 0xffe7);
    CHECK_INT(len, ==, 13 + 65535 - 12);
    CHECK_INT(tlshs_dtls_refragment(dg, len, 1000, NULL, 0), ==, 0);
    CHECK_INT(tlshs_dtls_refragment(dg, len, 60000, NULL, 0), ==, len + 12); /* 65535: fits */
}

/* The hello callback's look: the ClientHello with the cookie. */
struct look {
    int calls;
    size_t cookie_len;
    char ja4[64], ja3[512];
};

static int look_hello(tlshs *hs, const tlshs_hello *h, void *arg) {
    struct look *l = arg;
    (void)hs;
    l->calls++;
    l->cookie_len = h->cookie ? h->cookie_len : (size_t)-1;
    snprintf(l->ja4, sizeof l->ja4, "%s", h->ja4);
    snprintf(l->ja3, sizeof l->ja3, "%s", h->ja3);
    return 0;
}

TEST(test_dtls_refragmented_flights_complete) {
    /* datagrams re-cut into fragments of 1, 7 and 100 bytes: each record
       keeps its sequence number, so none is dropped as a replay, and the
       handshake completes.  With the cookie on, the server's flights are
       re-cut (HelloVerifyRequest, ServerHello, Certificate, ...): OpenSSL's
       DTLSv1_listen takes a ClientHello record of one fragment only (see
       test_dtls_refragmented_hello_meets_listen), so with the cookie off
       the client's are too (the ClientHello in pieces of 1 byte) */
    static const size_t sizes[] = {1, 7, 100};
    for (size_t i = 0; i < 2 * sizeof sizes / sizeof sizes[0]; i++) {
        static struct seen s;
        struct look l = {0};
        int cookie = i % 2;
        memset(&s, 0, sizeof s);
        s.max_body = sizes[i / 2];
        s.cookie = cookie ? "on" : "off";
        s.recut = 1 << TLSHS_S2C | (cookie ? 0 : 1 << TLSHS_C2S);
        CHECK(record_pair(&s, "1200", look_hello, &l));
        CHECK_INT(s.cut, >=, (cookie ? 2 : 3));
        CHECK_INT(l.calls, ==, 1);
        /* the callback sees the retry with the cookie; without one, the
           hello's empty cookie */
        CHECK_INT(l.cookie_len, ==, (size_t)(cookie ? 32 : 0));
        CHECK(strncmp(l.ja4, "dd2d", 4) == 0);
        CHECK(strncmp(l.ja3, "65277,", 6) == 0);
        /* every re-cut datagram has the records, epochs and seqs it had, and
           its fragments carry the same message bytes */
        for (int k = 0; k < s.n; k++) {
            static unsigned char out[140000];
            tlshs_dtls_record a[16], b[16];
            size_t na, nb,
                n = tlshs_dtls_refragment(s.dg[k], s.len[k], sizes[i / 2], out, sizeof out);
            na = tlshs_dtls_records(s.dg[k], s.len[k], a, 16, NULL);
            nb = tlshs_dtls_records(out, n, b, 16, NULL);
            CHECK_INT(na, ==, nb);
            for (size_t r = 0; r < na && r < nb; r++) {
                CHECK_INT(a[r].epoch, ==, b[r].epoch);
                CHECK(a[r].seq == b[r].seq);
                if (a[r].type == TLSHS_HANDSHAKE && a[r].epoch == 0) {
                    static tlshs_dtls_fragment fa[8], fb[1300];
                    size_t nfa = tlshs_dtls_fragments(a[r].body, a[r].len, fa, 8, NULL);
                    size_t nfb = tlshs_dtls_fragments(b[r].body, b[r].len, fb, 1300, NULL), j = 0;
                    for (size_t x = 0; x < nfa; x++) {
                        size_t off = 0;
                        do { /* a fragment of length 0 stays one */
                            CHECK(j < nfb);
                            CHECK_INT(fb[j].offset, ==, fa[x].offset + off);
                            CHECK_INT(fb[j].message_seq, ==, fa[x].message_seq);
                            CHECK_INT(fb[j].len, <=, sizes[i / 2]);
                            CHECK(memcmp(fb[j].body, fa[x].body + off, fb[j].len) == 0);
                            off += fb[j++].len;
                        } while (off < fa[x].len);
                    }
                    CHECK_INT(j, ==, nfb);
                } else {
                    CHECK_INT(a[r].len, ==, b[r].len);
                }
            }
        }
        seen_free(&s);
    }
}

TEST(test_dtls_refragmented_hello_meets_listen) {
    /* A server with the cookie on answers through DTLSv1_listen, which drops
       a ClientHello record holding more than one fragment without a word:
       no HelloVerifyRequest, no state, no error.  The client's
       retransmission (not re-cut) then goes through. */
    struct pair p = pair_of(dtls_with(TLSHS_CLIENT, NULL, NULL),
                            dtls_with(TLSHS_SERVER, NULL, NULL), "localhost");
    unsigned char dg[2048], cut[4096];
    size_t n, k;
    tlshs_result rc, rs;
    CHECK(p.c && p.s);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE);
    n = tlshs_take(p.c, dg, sizeof dg);
    k = tlshs_dtls_refragment(dg, n, 150, cut, sizeof cut);
    CHECK_INT(k, ==, n + 12); /* one record, two fragments */
    CHECK(tlshs_feed(p.s, cut, k) == 0);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_READ);
    CHECK_INT(tlshs_pending(p.s), ==, 0);
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_OK);
    /* unchanged, it is answered */
    CHECK(tlshs_feed(p.s, dg, n) == 0);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE);
    k = tlshs_take(p.s, cut, sizeof cut);
    CHECK_INT(k, >, 25);
    CHECK_INT(cut[13], ==, 3); /* a HelloVerifyRequest */
    CHECK(tlshs_feed(p.c, cut, k) == 0);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    pair_free(&p);
}

TEST(test_dtls_hellos_parsed) {
    struct pair p = pair_of(dtls_with(TLSHS_CLIENT, "alpn", "coap"),
                            dtls_with(TLSHS_SERVER, "alpn", "coap"), "localhost");
    const tlshs_hello *h;
    tlshs_result rc, rs;
    CHECK(p.c && p.s);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    /* the client's own (last) ClientHello and the server's: the retry */
    for (int side = 0; side < 2; side++) {
        h = tlshs_client_hello(side ? p.s : p.c);
        CHECK(h != NULL);
        CHECK_INT(h->legacy_version, ==, 0xfefd);
        CHECK(h->cookie != NULL);
        CHECK_INT(h->cookie_len, ==, 32);
        CHECK(h->cookie > h->raw && h->cookie + 32 <= h->raw + h->raw_len);
        CHECK_INT(h->raw[0], ==, 1);
        CHECK_INT(h->raw_len, ==, 12 + be(h->raw + 1, 3));
        CHECK_STR(h->server_name, "localhost");
        CHECK_INT(h->n_alpn, ==, 1);
        CHECK(strncmp(h->ja4, "dd2d", 4) == 0);
        CHECK_INT(strlen(h->ja4), ==, 36);
        CHECK(strncmp(h->ja4 + 8, "cp_", 3) == 0); /* "coap": first and last character */
        CHECK(strncmp(h->ja3, "65277,", 6) == 0);
    }
    CHECK(tlshs_ja3s(p.c) != NULL);
    CHECK(strncmp(tlshs_ja3s(p.c), "65277,", 6) == 0);
    CHECK_STR(tlshs_ja3s(p.c), tlshs_ja3s(p.s));
    pair_free(&p);
}
