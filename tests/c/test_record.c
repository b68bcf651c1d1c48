/* test_record.c - records (tlshs_records, tlshs_record_write,
   tlshs_refragment) and the two-handshake driver tlshs_pair with its tamper
   hook.  Buffers handed to the parser are heap copies of their exact size,
   so under make test-c-asan any read past them fails the run. */
#include <stdlib.h>

#include "check.h"

/* ---- helpers ---- */

/* A client and a server; the configs' references go to the objects. */
static void make_pair(tlshs_config *cc, tlshs_config *sc, tlshs **c, tlshs **s) {
    *c = cc && sc ? tlshs_new(cc, "localhost") : NULL;
    *s = cc && sc ? tlshs_new(sc, NULL) : NULL;
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

static void free_pair(tlshs *c, tlshs *s) {
    tlshs_free(c);
    tlshs_free(s);
}

/* A heap copy of exactly len bytes (ASan sees any read past it). */
static unsigned char *exact(const void *p, size_t len) {
    unsigned char *q = malloc(len ? len : 1);
    if (q && len) memcpy(q, p, len);
    return q;
}

#define MAX_FLIGHTS 16

/* Every flight a pair carried, in order, copied. */
struct flights {
    int n;
    tlshs_direction dir[MAX_FLIGHTS];
    unsigned char *data[MAX_FLIGHTS];
    size_t len[MAX_FLIGHTS];
};

static size_t record_flight(tlshs_direction d, unsigned char *flight, size_t len,
                            const unsigned char **out, void *arg) {
    struct flights *f = arg;
    (void)out;
    if (f->n < MAX_FLIGHTS) {
        f->dir[f->n] = d;
        f->data[f->n] = exact(flight, len);
        f->len[f->n++] = len;
    }
    return len;
}

static void flights_free(struct flights *f) {
    for (int i = 0; i < f->n; i++)
        free(f->data[i]);
    f->n = 0;
}

/* Rebuilds buf from its records with tlshs_record_write; answers 1 if the
   result is byte-identical and the records span all of buf. */
static int round_trips(const unsigned char *buf, size_t len) {
    tlshs_record rec[256];
    size_t used, n = tlshs_records(buf, len, rec, 256, &used), at = 0;
    unsigned char *out = malloc(len ? len : 1);
    int ok = out && used == len && n == tlshs_records(buf, len, NULL, 0, NULL);
    for (size_t i = 0; ok && i < n; i++) {
        size_t w = tlshs_record_write(rec[i].type, rec[i].version, rec[i].body, rec[i].len,
                                      out + at, len - at);
        ok = w == 5 + rec[i].len && at + w <= len;
        at += w;
    }
    ok = ok && at == len && memcmp(out, buf, len) == 0;
    free(out);
    return ok;
}

/* The handshake bytes (bodies of type-22 records) of a flight, concatenated. */
static size_t handshake_bytes(const unsigned char *buf, size_t len, unsigned char *out,
                              size_t cap) {
    tlshs_record rec[4096];
    size_t n = tlshs_records(buf, len, rec, 4096, NULL), at = 0;
    for (size_t i = 0; i < n; i++)
        if (rec[i].type == TLSHS_HANDSHAKE && at + rec[i].len <= cap)
            memcpy(out + at, rec[i].body, rec[i].len), at += rec[i].len;
    return at;
}

/* ---- records ---- */

static void round_trip_every_flight(const char *version, int tickets_expected) {
    tlshs *c, *s;
    struct flights f = {0};
    tlshs_result rc, rs;
    make_pair(client_with("min_version", version, "max_version", version, NULL),
              server_with("min_version", version, "max_version", version, NULL), &c, &s);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(c, s, record_flight, &f, 20, &rc, &rs), ==, 0);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    CHECK_INT(f.n, >=, 3 + tickets_expected); /* hello, answer, finished (+ tickets) */
    for (int i = 0; i < f.n; i++) {
        if (!round_trips(f.data[i], f.len[i]))
            check_fail(__FILE__, __LINE__, "%s flight %d (%zu bytes) does not round-trip", version,
                       i, f.len[i]);
    }
    flights_free(&f);
    free_pair(c, s);
}

TEST(test_records_round_trip_tls12) {
    round_trip_every_flight("1.2", 0);
}

TEST(test_records_round_trip_tls13) {
    round_trip_every_flight("1.3", 1);
}

/* Every prefix of a real flight: the whole records in it are reported and
   used ends where the last one ends; the partial rest stays. */
TEST(test_records_partial_record_stays) {
    tlshs *c, *s;
    unsigned char flight[16384];
    tlshs_record all[64], some[64];
    size_t len, total, used;
    make_pair(client_config(), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    move_bytes(c, s);
    CHECK_RESULT(tlshs_step(s), TLSHS_WANT_WRITE);
    len = tlshs_take(s, flight, sizeof flight); /* ServerHello ... Finished */
    total = tlshs_records(flight, len, all, 64, &used);
    CHECK_INT(used, ==, len);
    CHECK_INT(total, >=, 3);
    for (size_t k = 0; k <= len; k++) {
        unsigned char *prefix = exact(flight, k);
        size_t n = tlshs_records(prefix, k, some, 64, &used), end = 0, want = 0;
        for (size_t i = 0; i < total && end + 5 + all[i].len <= k; i++) /* those within k */
            end += 5 + all[i].len, want++;
        free(prefix);
        CHECK_INT(n, ==, want);
        CHECK_INT(used, ==, end);
    }
    /* max smaller than the count: *used spans only the records reported */
    CHECK_INT(tlshs_records(flight, len, some, 1, &used), ==, 1);
    CHECK_INT(used, ==, 5 + all[0].len);
    CHECK_INT(tlshs_records(flight + used, len - used, some, 64, NULL), ==, total - 1);
    free_pair(c, s);
}

TEST(test_records_do_not_judge) {
    size_t big = 16384 + 256 + 1, used;
    unsigned char *buf = calloc(1, 5 + big), *p;
    tlshs_record rec[4];
    CHECK(buf);
    /* a header announcing more than TLS allows, with the body there: a record */
    buf[0] = 23, buf[1] = 3, buf[2] = 3, buf[3] = (unsigned char)(big >> 8),
    buf[4] = (unsigned char)big;
    p = exact(buf, 5 + big);
    free(buf);
    CHECK(p);
    CHECK_INT(tlshs_records(p, 5 + big, rec, 4, &used), ==, 1);
    CHECK_INT(rec[0].len, ==, big);
    CHECK_INT(rec[0].type, ==, TLSHS_APPLICATION_DATA);
    CHECK_INT(rec[0].version, ==, 0x0303);
    CHECK(rec[0].body == p + 5);
    CHECK_INT(used, ==, 5 + big);
    /* the same header with one byte of body missing: nothing, nothing read past */
    CHECK_INT(tlshs_records(p, 5 + big - 1, rec, 4, &used), ==, 0);
    CHECK_INT(used, ==, 0);
    free(p);
    /* a zero-length handshake record, then a 4-byte header cut short */
    {
        static const unsigned char z[] = {22, 3, 1, 0, 0, 22, 3, 3, 0};
        p = exact(z, sizeof z);
        CHECK_INT(tlshs_records(p, sizeof z, rec, 4, &used), ==, 1);
        CHECK_INT(rec[0].type, ==, TLSHS_HANDSHAKE);
        CHECK_INT(rec[0].version, ==, 0x0301);
        CHECK_INT(rec[0].len, ==, 0);
        CHECK_INT(used, ==, 5);
        free(p);
    }
    /* garbage: an HTTP request reads as records of type 'G' as far as it goes */
    {
        static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        size_t n = sizeof http - 1;
        p = exact(http, n);
        /* 'G' 'E' 'T' then length " /" = 0x202f: more than is there */
        CHECK_INT(tlshs_records(p, n, rec, 4, &used), ==, 0);
        CHECK_INT(used, ==, 0);
        free(p);
    }
    {
        static const unsigned char junk[] = {0xff, 0xfe, 0xfd, 0, 2, 'h', 'i', 0, 0, 0, 0, 0};
        p = exact(junk, sizeof junk);
        CHECK_INT(tlshs_records(p, sizeof junk, rec, 4, &used), ==, 2);
        CHECK_INT(rec[0].type, ==, 0xff);
        CHECK_INT(rec[0].version, ==, 0xfefd);
        CHECK_INT(rec[0].len, ==, 2);
        CHECK_INT(rec[1].type, ==, 0);
        CHECK_INT(rec[1].len, ==, 0);
        CHECK_INT(used, ==, sizeof junk);
        CHECK(round_trips(p, sizeof junk));
        free(p);
    }
    /* empty and NULL input */
    CHECK_INT(tlshs_records(NULL, 10, rec, 4, &used), ==, 0);
    CHECK_INT(used, ==, 0);
    CHECK_INT(tlshs_records("", 0, rec, 4, NULL), ==, 0);
}

TEST(test_record_write_sizes) {
    unsigned char out[16], body[3] = {1, 2, 3};
    static const unsigned char want[] = {21, 3, 3, 0, 3, 1, 2, 3};
    CHECK_INT(tlshs_record_write(TLSHS_ALERT, 0x0303, body, 3, NULL, 0), ==, 8);
    memset(out, 0xaa, sizeof out);
    CHECK_INT(tlshs_record_write(TLSHS_ALERT, 0x0303, body, 3, out, 7), ==, 8); /* short */
    CHECK_INT(out[0], ==, 0xaa);                                                /* untouched */
    CHECK_INT(tlshs_record_write(TLSHS_ALERT, 0x0303, body, 3, out, 8), ==, 8);
    CHECK(memcmp(out, want, 8) == 0);
    CHECK_INT(tlshs_record_write(TLSHS_HANDSHAKE, 0x0301, NULL, 0, out, sizeof out), ==, 5);
    CHECK_INT(out[4], ==, 0);
    /* body inside out: moved, as memmove */
    memcpy(out + 2, body, 3);
    CHECK_INT(tlshs_record_write(TLSHS_ALERT, 0x0303, out + 2, 3, out, sizeof out), ==, 8);
    CHECK(memcmp(out, want, 8) == 0);
    /* out of range: refused with 0 */
    CHECK_INT(tlshs_record_write(256, 0x0303, body, 3, out, sizeof out), ==, 0);
    CHECK_INT(tlshs_record_write(-1, 0x0303, body, 3, out, sizeof out), ==, 0);
    CHECK_INT(tlshs_record_write(22, 0x10000, body, 3, out, sizeof out), ==, 0);
    CHECK_INT(tlshs_record_write(22, 0x0303, body, 0x10000, NULL, 0), ==, 0);
    CHECK_INT(tlshs_record_write(22, 0x0303, NULL, 3, out, sizeof out), ==, 0);
    CHECK_INT(tlshs_record_write(22, 0x0303, body, 0xffff, NULL, 0), ==, 5 + 0xffff);
}

/* ---- refragment ---- */

/* Tamper: the client's flights in handshake records of arg's max_body. */
static unsigned char recut_buf[1 << 20];
static size_t recut_c2s(tlshs_direction d, unsigned char *flight, size_t len,
                        const unsigned char **out, void *arg) {
    size_t n;
    if (d != TLSHS_C2S) return len;
    n = tlshs_refragment(flight, len, *(size_t *)arg, recut_buf, sizeof recut_buf);
    if (n > sizeof recut_buf) return len;
    *out = recut_buf;
    return n;
}

/* Whether every handshake record of buf has at most max bytes of body and
   buf is whole records; answers how many handshake records, or 0. */
static size_t small_handshake_records(const unsigned char *buf, size_t len, size_t max) {
    static tlshs_record rec[8192];
    size_t used, n = tlshs_records(buf, len, rec, 8192, &used), hs = 0;
    if (used != len) return 0;
    for (size_t i = 0; i < n; i++)
        if (rec[i].type == TLSHS_HANDSHAKE) {
            if (rec[i].len > max) return 0;
            hs++;
        }
    return hs;
}

static void client_hello_in_one_byte_records(const char *version) {
    tlshs *c, *s;
    tlshs_result rc, rs;
    size_t one = 1, hello_len, n;
    unsigned char hello[4096];
    make_pair(client_with("max_version", version, NULL), server_config(), &c, &s);
    CHECK(c && s);
    /* the re-cut ClientHello: as many 1-byte records as the hello has bytes */
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    hello_len = tlshs_take(c, hello, sizeof hello);
    n = tlshs_refragment(hello, hello_len, 1, recut_buf, sizeof recut_buf);
    CHECK_INT(small_handshake_records(recut_buf, n, 1), ==, hello_len - 5);
    CHECK_INT(n, ==, (hello_len - 5) * 6);
    CHECK_INT(tlshs_feed(s, recut_buf, n), ==, 0);
    CHECK_INT(tlshs_pair(c, s, recut_c2s, &one, 20, &rc, &rs), ==, 0);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    CHECK_STR(tlshs_version(s), strcmp(version, "1.3") == 0 ? "TLSv1.3" : "TLSv1.2");
    free_pair(c, s);
}

TEST(test_refragment_client_hello_1_byte_bodies_tls13) {
    client_hello_in_one_byte_records("1.3");
}

TEST(test_refragment_client_hello_1_byte_bodies_tls12) {
    client_hello_in_one_byte_records("1.2");
}

/* Feeds every flight one byte at a time, stepping the receiver after each
   byte: every record, header included, is split at every byte boundary. */
static int drip(tlshs *from, tlshs *to, size_t max_body) {
    unsigned char flight[16384];
    size_t len = tlshs_take(from, flight, sizeof flight), n;
    if (!len) return 0;
    n = tlshs_refragment(flight, len, max_body, recut_buf, sizeof recut_buf);
    for (size_t i = 0; i < n; i++) {
        if (tlshs_feed(to, recut_buf + i, 1) != 0) return -1;
        /* mid-flight the receiver waits for more (or, at the end of a
           message it answers at once, already writes: the loop goes on) */
        if (tlshs_step(to) == TLSHS_CLOSED) return -1;
    }
    return 1;
}

static void byte_at_a_time(const char *version, size_t max_body) {
    tlshs *c, *s;
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    make_pair(client_with("max_version", version, NULL), server_config(), &c, &s);
    CHECK(c && s);
    for (int i = 0; i < 20 && !(rc == TLSHS_DONE && rs == TLSHS_DONE); i++) {
        rc = tlshs_step(c);
        CHECK_INT(drip(c, s, max_body), >=, 0);
        rs = tlshs_step(s);
        CHECK_INT(drip(s, c, max_body), >=, 0);
    }
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    free_pair(c, s);
}

TEST(test_refragment_byte_at_a_time_tls13) {
    byte_at_a_time("1.3", 1);
}

TEST(test_refragment_byte_at_a_time_tls12) {
    byte_at_a_time("1.2", 1);
    byte_at_a_time("1.2", 7);
}

/* A TLS 1.3 server flight: only the plaintext ServerHello (type 22) is
   re-cut; the ChangeCipherSpec and the encrypted records pass unchanged. */
TEST(test_refragment_tls13_touches_only_plaintext_handshake) {
    tlshs *c, *s;
    unsigned char flight[16384], in_hs[16384], out_hs[16384];
    tlshs_record a[64], b[4096];
    size_t len, na, nb, size, ia = 0;
    make_pair(client_config(), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    move_bytes(c, s);
    CHECK_RESULT(tlshs_step(s), TLSHS_WANT_WRITE);
    len = tlshs_take(s, flight, sizeof flight);
    na = tlshs_records(flight, len, a, 64, NULL);
    CHECK_INT(a[0].type, ==, TLSHS_HANDSHAKE);
    CHECK_INT(a[na - 1].type, ==, TLSHS_APPLICATION_DATA);
    size = tlshs_refragment(flight, len, 3, NULL, 0);
    CHECK_INT(size, ==, len + 5 * ((a[0].len + 2) / 3 - 1)); /* only the ServerHello is cut */
    CHECK_INT(tlshs_refragment(flight, len, 3, recut_buf, size - 1), ==, size); /* short */
    CHECK_INT(tlshs_refragment(flight, len, 3, recut_buf, size), ==, size);
    nb = tlshs_records(recut_buf, size, b, 4096, NULL);
    CHECK_INT(nb, ==, na - 1 + (a[0].len + 2) / 3);
    for (size_t i = 0; i < nb; i++) { /* the other records, in order and unchanged */
        if (b[i].type == TLSHS_HANDSHAKE) {
            CHECK_INT(b[i].len, <=, 3);
            CHECK_INT(b[i].version, ==, a[0].version);
            continue;
        }
        while (a[ia].type == TLSHS_HANDSHAKE)
            ia++;
        CHECK_INT(b[i].type, ==, a[ia].type);
        CHECK_INT(b[i].len, ==, a[ia].len);
        CHECK(memcmp(b[i].body, a[ia].body, a[ia].len) == 0);
        ia++;
    }
    CHECK_INT(ia, ==, na);
    CHECK_INT(handshake_bytes(recut_buf, size, out_hs, sizeof out_hs), ==,
              handshake_bytes(flight, len, in_hs, sizeof in_hs));
    CHECK(memcmp(in_hs, out_hs, a[0].len) == 0);
    /* and the client completes on it */
    CHECK_INT(tlshs_feed(c, recut_buf, size), ==, 0);
    CHECK(pump(c, s, 20));
    free_pair(c, s);
}

/* TLS 1.2: the client's second flight is re-cut up to its ChangeCipherSpec;
   the encrypted Finished after it (a handshake record) passes unchanged. */
TEST(test_refragment_tls12_stops_at_change_cipher_spec) {
    tlshs *c, *s;
    unsigned char flight[16384];
    tlshs_record a[16], b[4096];
    size_t len, na, nb, size, ccs = 0;
    make_pair(client_with("max_version", "1.2", NULL), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    move_bytes(c, s);
    CHECK_RESULT(tlshs_step(s), TLSHS_WANT_WRITE);
    move_bytes(s, c);
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    len = tlshs_take(c, flight, sizeof flight); /* ClientKeyExchange, CCS, Finished */
    na = tlshs_records(flight, len, a, 16, NULL);
    CHECK_INT(na, ==, 3);
    CHECK_INT(a[1].type, ==, TLSHS_CHANGE_CIPHER_SPEC);
    CHECK_INT(a[2].type, ==, TLSHS_HANDSHAKE);
    size = tlshs_refragment(flight, len, 1, recut_buf, sizeof recut_buf);
    CHECK_INT(size, ==, len + 5 * (a[0].len - 1));
    nb = tlshs_records(recut_buf, size, b, 4096, NULL);
    CHECK_INT(nb, ==, a[0].len + 2);
    while (b[ccs].type == TLSHS_HANDSHAKE)
        CHECK_INT(b[ccs++].len, ==, 1);
    CHECK_INT(ccs, ==, a[0].len);
    CHECK_INT(b[nb - 1].len, ==, a[2].len);
    CHECK(memcmp(b[nb - 1].body, a[2].body, a[2].len) == 0);
    CHECK_INT(tlshs_feed(s, recut_buf, size), ==, 0);
    CHECK(pump(c, s, 20));
    free_pair(c, s);
}

TEST(test_refragment_sizes) {
    static const unsigned char f[] = {22, 3, 3, 0, 4, 1, 2, 3, 4, /* handshake, 4 bytes */
                                      21, 3, 3, 0, 2, 1, 0,       /* alert passes */
                                      22, 3, 3, 0, 0,             /* empty handshake passes */
                                      22, 3};                     /* partial: stays as it was */
    static const unsigned char want2[] = {22, 3, 3, 0, 2, 1, 2, 22, 3, 3, 0, 2, 3,  4,
                                          21, 3, 3, 0, 2, 1, 0, 22, 3, 3, 0, 0, 22, 3};
    unsigned char out[64], *p = exact(f, sizeof f);
    CHECK(p);
    CHECK_INT(tlshs_refragment(p, sizeof f, 2, NULL, 0), ==, sizeof want2);
    memset(out, 0xaa, sizeof out);
    CHECK_INT(tlshs_refragment(p, sizeof f, 2, out, sizeof want2 - 1), ==, sizeof want2);
    CHECK_INT(out[0], ==, 0xaa); /* short: nothing written */
    CHECK_INT(tlshs_refragment(p, sizeof f, 2, out, sizeof out), ==, sizeof want2);
    CHECK(memcmp(out, want2, sizeof want2) == 0);
    /* a max_body that every record fits: unchanged */
    CHECK_INT(tlshs_refragment(p, sizeof f, 4, out, sizeof out), ==, sizeof f);
    CHECK(memcmp(out, f, sizeof f) == 0);
    CHECK_INT(tlshs_refragment(p, sizeof f, (size_t)-1, out, sizeof out), ==, sizeof f);
    /* 1-byte bodies: 4 handshake records of 6 bytes instead of one of 9 */
    CHECK_INT(tlshs_refragment(p, sizeof f, 1, NULL, 0), ==, sizeof f - 9 + 4 * 6);
    /* refused: max_body 0, a NULL flight */
    CHECK_INT(tlshs_refragment(p, sizeof f, 0, out, sizeof out), ==, 0);
    CHECK_INT(tlshs_refragment(NULL, 5, 1, out, sizeof out), ==, 0);
    CHECK_INT(tlshs_refragment(p, 0, 1, out, sizeof out), ==, 0); /* empty */
    free(p);
}

/* ---- tlshs_pair ---- */

static void pair_completes(const char *version) {
    tlshs *c, *s;
    tlshs_result rc = TLSHS_WANT_WRITE, rs = TLSHS_WANT_WRITE, r;
    unsigned char buf[256];
    size_t n;
    make_pair(client_with("max_version", version, NULL), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(c, s, NULL, NULL, 20, &rc, &rs), ==, 0);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    CHECK_INT(tlshs_pending(c), ==, 0);
    CHECK_INT(tlshs_pending(s), ==, 0);
    /* what the server sent after DONE (TLS 1.3 tickets) was delivered: a
       read makes the session */
    r = tlshs_read(c, buf, sizeof buf, &n);
    CHECK_RESULT(r, TLSHS_WANT_READ);
    CHECK_INT(tlshs_session(c, NULL, 0), >, 0);
    /* again on two DONE objects: nothing moves, nothing changes */
    CHECK_INT(tlshs_pair(c, s, NULL, NULL, 5, &rc, &rs), ==, 0);
    CHECK_RESULT(rc, TLSHS_DONE);
    free_pair(c, s);
}

TEST(test_pair_completes_tls13) {
    pair_completes("1.3");
}

TEST(test_pair_completes_tls12) {
    pair_completes("1.2");
}

/* Tamper: counts flights; drops the flights of direction dir numbered in drop (bits). */
struct dropper {
    tlshs_direction dir;
    unsigned drop; /* bit i: drop the i-th flight (from 0) of dir */
    int seen[2];
};

static size_t drop_flights(tlshs_direction d, unsigned char *flight, size_t len,
                           const unsigned char **out, void *arg) {
    struct dropper *x = arg;
    int i = x->seen[d]++;
    (void)flight, (void)out;
    return d == x->dir && i < 32 && (x->drop >> i & 1) ? 0 : len;
}

TEST(test_pair_dropped_server_flight_stops) {
    tlshs *c, *s;
    tlshs_result rc, rs;
    struct dropper x = {TLSHS_S2C, 1u, {0, 0}};
    make_pair(client_config(), server_config(), &c, &s);
    CHECK(c && s);
    /* TLS 1.3: the server's whole answer is lost; the client waits for it and
       the server for the client's Finished.  Stops in the round after the
       loss, far inside the bound. */
    CHECK_INT(tlshs_pair(c, s, drop_flights, &x, 50, &rc, &rs), ==,
              TLSHS_PAIR_CLIENT_WAITS | TLSHS_PAIR_SERVER_WAITS);
    CHECK_RESULT(rc, TLSHS_WANT_READ);
    CHECK_RESULT(rs, TLSHS_WANT_READ);
    CHECK_INT(x.seen[TLSHS_C2S], ==, 1);
    CHECK_INT(x.seen[TLSHS_S2C], ==, 1);
    free_pair(c, s);
}

TEST(test_pair_names_the_side_that_waits) {
    tlshs *c, *s;
    tlshs_result rc, rs;
    struct dropper x = {TLSHS_S2C, 2u, {0, 0}}; /* TLS 1.2: the server's Finished flight */
    make_pair(client_with("max_version", "1.2", NULL), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(c, s, drop_flights, &x, 50, &rc, &rs), ==, TLSHS_PAIR_CLIENT_WAITS);
    CHECK_RESULT(rc, TLSHS_WANT_READ);
    CHECK_RESULT(rs, TLSHS_DONE);
    free_pair(c, s);
    /* the client's second flight lost: the server waits for it, the
       client for the server's Finished */
    x = (struct dropper){TLSHS_C2S, 2u, {0, 0}};
    make_pair(client_with("max_version", "1.2", NULL), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(c, s, drop_flights, &x, 50, &rc, &rs), ==,
              TLSHS_PAIR_CLIENT_WAITS | TLSHS_PAIR_SERVER_WAITS);
    free_pair(c, s);
    /* TLS 1.3: the client's Finished lost: the client is DONE, the server waits */
    x = (struct dropper){TLSHS_C2S, 2u, {0, 0}};
    make_pair(client_config(), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(c, s, drop_flights, &x, 50, &rc, &rs), ==, TLSHS_PAIR_SERVER_WAITS);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_WANT_READ);
    free_pair(c, s);
}

/* Tamper: flips one byte in the body of the last record of the server's
   first flight (TLS 1.3: the encrypted Finished). */
static size_t flip_finished(tlshs_direction d, unsigned char *flight, size_t len,
                            const unsigned char **out, void *arg) {
    tlshs_record rec[64];
    size_t n;
    int *done = arg;
    (void)out;
    if (d != TLSHS_S2C || *done) return len;
    n = tlshs_records(flight, len, rec, 64, NULL);
    if (n && rec[n - 1].type == TLSHS_APPLICATION_DATA && rec[n - 1].len > 1) {
        flight[rec[n - 1].body - flight + rec[n - 1].len / 2] ^= 0x01; /* body is inside flight */
        *done = 1;
    }
    return len;
}

TEST(test_pair_flipped_finished_is_bad_record_mac) {
    tlshs *c, *s;
    tlshs_result rc, rs;
    int flipped = 0;
    make_pair(client_config(), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(c, s, flip_finished, &flipped, 20, &rc, &rs), ==, 0);
    CHECK(flipped);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_sent(c), ==, 20); /* bad_record_mac */
    CHECK_INT(tlshs_error_code(c), ==, TLSHS_E_PROTOCOL);
    /* the client's alert reached the server, which closed on it */
    CHECK_RESULT(rs, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_received(s), ==, 20);
    CHECK_INT(tlshs_error_code(s), ==, TLSHS_E_ALERT);
    free_pair(c, s);
}

/* Tamper: in the server's first TLS 1.2 flight, the Certificate message
   loses its last byte (its length says so; the list inside says more). */
static unsigned char cut_buf[65536];
static size_t truncate_certificate(tlshs_direction d, unsigned char *flight, size_t len,
                                   const unsigned char **out, void *arg) {
    unsigned char hs[32768];
    size_t n, at = 0, w = 0;
    int *done = arg;
    if (d != TLSHS_S2C || *done) return len;
    n = handshake_bytes(flight, len, hs, sizeof hs);
    while (at + 4 <= n) { /* find the Certificate (type 11) */
        size_t mlen = (size_t)hs[at + 1] << 16 | (size_t)hs[at + 2] << 8 | hs[at + 3];
        if (hs[at] == 11 && mlen > 0) {
            mlen--;
            hs[at + 1] = (unsigned char)(mlen >> 16), hs[at + 2] = (unsigned char)(mlen >> 8),
                    hs[at + 3] = (unsigned char)mlen;
            memmove(hs + at + 4 + mlen, hs + at + 5 + mlen, n - (at + 5 + mlen));
            n--;
            *done = 1;
            break;
        }
        at += 4 + mlen;
    }
    for (size_t off = 0; off < n; off += 16384) /* re-wrapped in records */
        w += tlshs_record_write(TLSHS_HANDSHAKE, 0x0303, hs + off,
                                n - off < 16384 ? n - off : 16384, cut_buf + w, sizeof cut_buf - w);
    *out = cut_buf;
    return w;
}

TEST(test_pair_truncated_certificate_is_decode_error) {
    tlshs *c, *s;
    tlshs_result rc, rs;
    int cut = 0;
    make_pair(client_with("max_version", "1.2", NULL), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(c, s, truncate_certificate, &cut, 20, &rc, &rs), ==, 0);
    CHECK(cut);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_sent(c), ==, 50); /* decode_error */
    CHECK_INT(tlshs_error_code(c), ==, TLSHS_E_PROTOCOL);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_received(s), ==, 50);
    free_pair(c, s);
}

TEST(test_pair_rounds_honoured) {
    tlshs *c, *s;
    tlshs_result rc, rs;
    struct dropper count = {TLSHS_C2S, 0, {0, 0}};
    make_pair(client_config(), server_config(), &c, &s);
    CHECK(c && s);
    /* one round: the ClientHello and the server's answer, no more */
    CHECK_INT(tlshs_pair(c, s, drop_flights, &count, 1, &rc, &rs), ==,
              TLSHS_PAIR_ROUNDS_OUT | TLSHS_PAIR_CLIENT_WAITS | TLSHS_PAIR_SERVER_WAITS);
    CHECK_INT(count.seen[TLSHS_C2S], ==, 1);
    CHECK_INT(count.seen[TLSHS_S2C], ==, 1);
    CHECK_RESULT(rc, TLSHS_WANT_WRITE);
    CHECK_RESULT(rs, TLSHS_WANT_WRITE);
    /* a second call goes on where the first stopped */
    CHECK_INT(tlshs_pair(c, s, drop_flights, &count, 1, &rc, &rs), &, TLSHS_PAIR_ROUNDS_OUT);
    CHECK_INT(count.seen[TLSHS_C2S], ==, 2);
    CHECK_INT(tlshs_pair(c, s, drop_flights, &count, 20, &rc, &rs), ==, 0);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    free_pair(c, s);
}

/* A side that fails sends its alert; pair delivers it. */
TEST(test_pair_delivers_the_closing_alert) {
    tlshs *c, *s;
    tlshs_result rc, rs;
    tlshs_config *cc = client_config(), *sc = server_config();
    c = cc && sc ? tlshs_new(cc, "wrong.example") : NULL; /* name mismatch */
    s = cc && sc ? tlshs_new(sc, NULL) : NULL;
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(c, s, NULL, NULL, 20, &rc, &rs), ==, 0);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_INT(tlshs_error_code(c), ==, TLSHS_E_VERIFY);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_received(s), ==, tlshs_alert_sent(c));
    CHECK_INT(tlshs_error_code(s), ==, TLSHS_E_ALERT);
    free_pair(c, s);
}

TEST(test_pair_refuses) {
    tlshs *c, *s;
    tlshs_result rc = TLSHS_DONE, rs = TLSHS_DONE;
    make_pair(client_config(), server_config(), &c, &s);
    CHECK(c && s);
    CHECK_INT(tlshs_pair(NULL, s, NULL, NULL, 5, &rc, &rs), ==, -1);
    CHECK_INT(tlshs_pair(c, NULL, NULL, NULL, 5, &rc, &rs), ==, -1);
    CHECK_INT(tlshs_pair(c, c, NULL, NULL, 5, &rc, &rs), ==, -1);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_ARGUMENT);
    CHECK_INT(tlshs_pair(c, s, NULL, NULL, 0, &rc, &rs), ==, -1);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_ARGUMENT);
    CHECK_RESULT(rc, TLSHS_DONE);       /* untouched */
    CHECK_INT(tlshs_pending(c), ==, 0); /* nothing was stepped */
    CHECK_INT(tlshs_set_fd(s, 0), ==, 0);
    CHECK_INT(tlshs_pair(c, s, NULL, NULL, 5, &rc, &rs), ==, -1);
    CHECK_INT(tlshs_usage_code(s), ==, TLSHS_E_STATE);
    CHECK_INT(tlshs_pending(c), ==, 0);
    free_pair(c, s);
}
