/*
 * test_dtls.c - DTLS 1.2 between two tlshs objects in memory: the keys,
 * datagrams kept whole, the timers in virtual time, stateless cookies,
 * mtu, loss and reordering, SRTP and the exporter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define TEST_ENTRY(name) void name(void);
#include "list_dtls.h"
#undef TEST_ENTRY

static tlshs_config *dtls_server(const char *key, const char *value) {
    return server_with("transport", "datagram", key, value, NULL);
}

static tlshs_config *dtls_client(const char *key, const char *value) {
    return client_with("transport", "datagram", key, value, NULL);
}

/* Moves every datagram from one side to the other, unchanged; the count. */
static int move_datagrams(tlshs *from, tlshs *to) {
    unsigned char buf[65536];
    size_t n;
    int count = 0;
    while ((n = tlshs_take(from, buf, sizeof buf)) > 0) {
        if (tlshs_feed(to, buf, n) != 0) return -1;
        count++;
    }
    return count;
}

TEST(test_dtls_keys) {
    tlshs_config *c = tlshs_config_new(TLSHS_CLIENT), *s = tlshs_config_new(TLSHS_SERVER);
    CHECK(c && s);
    CHECK(tlshs_config_set(c, "transport", "udp") == -1);
    CHECK_CONFIG_ERROR(c, TLSHS_E_BAD_VALUE, "transport", "stream, datagram");
    CHECK(tlshs_config_set(c, "mtu", "255") == -1);
    CHECK_CONFIG_ERROR(c, TLSHS_E_BAD_VALUE, "mtu", "256");
    CHECK(tlshs_config_set(c, "mtu", "65508") == -1);
    CHECK(tlshs_config_set(c, "retransmit_ms", "19") == -1);
    CHECK(tlshs_config_set(c, "cookie", "on") == -1); /* a server's key */
    CHECK_CONFIG_ERROR(c, TLSHS_E_BAD_VALUE, "cookie", "only a server");
    CHECK(tlshs_config_set(c, "use_srtp", "SRTP_NOPE") == -1);
    CHECK_CONFIG_ERROR(c, TLSHS_E_BAD_VALUE, "use_srtp", "SRTP_AES128_CM_SHA1_80");
    /* the version keys read the transport, in either order */
    CHECK(tlshs_config_set(c, "min_version", "1.3") == 0);
    CHECK(tlshs_config_set(c, "transport", "datagram") == -1);
    CHECK_CONFIG_ERROR(c, TLSHS_E_BAD_VALUE, "transport", "only 1.2", "DTLS 1.3");
    CHECK(tlshs_config_set(c, "min_version", "1.2") == 0);
    CHECK(tlshs_config_set(c, "transport", "datagram") == 0);
    CHECK(tlshs_config_set(c, "max_version", "1.3") == -1);
    CHECK_CONFIG_ERROR(c, TLSHS_E_BAD_VALUE, "max_version", "only 1.2");
    CHECK(tlshs_config_set(c, "mtu", "256") == 0);
    CHECK(tlshs_config_set(c, "retransmit_ms", "60000") == 0);
    CHECK(tlshs_config_set(c, "verify", "none") == 0);
    CHECK(tlshs_config_check(c) == 0);
    /* a datagram key on a stream config is refused at the freeze */
    CHECK(tlshs_config_set(s, "mtu", "512") == 0);
    CHECK(tlshs_config_set(s, "self_signed", "localhost") == 0);
    CHECK(tlshs_config_check(s) == -1);
    CHECK_CONFIG_ERROR(s, TLSHS_E_INCOMPLETE, "mtu", "datagram");
    CHECK(tlshs_config_set(s, "transport", "datagram") == 0);
    CHECK(tlshs_config_check(s) == 0);
    /* back to a stream: the cipher keys survive the method's change */
    CHECK(tlshs_config_set(c, "ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256") == 0);
    CHECK(tlshs_config_set(c, "transport", "stream") == 0);
    CHECK(tlshs_config_set(c, "transport", "datagram") == 0);
    tlshs_config_free(c);
    tlshs_config_free(s);
}

TEST(test_dtls_pair_memory) {
    struct pair p = pair_of(dtls_client(NULL, NULL), dtls_server(NULL, NULL), "localhost");
    tlshs_result rc, rs;
    char buf[64];
    size_t n = 0;
    CHECK(p.c && p.s);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    CHECK_STR(tlshs_version(p.c), "DTLSv1.2");
    /* data both ways, one datagram each */
    CHECK_RESULT(tlshs_write(p.c, "ping", 4, &n), TLSHS_DONE);
    CHECK_INT(move_datagrams(p.c, p.s), ==, 1);
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, &n), TLSHS_DONE);
    CHECK_INT(n, ==, 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_RESULT(tlshs_write(p.s, "pong!", 5, &n), TLSHS_DONE);
    CHECK_INT(move_datagrams(p.s, p.c), ==, 1);
    CHECK_RESULT(tlshs_read(p.c, buf, sizeof buf, &n), TLSHS_DONE);
    CHECK_INT(n, ==, 5);
    /* close_notify */
    CHECK_RESULT(tlshs_shutdown(p.c), TLSHS_WANT_WRITE);
    move_datagrams(p.c, p.s);
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, &n), TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.s), TLSHS_E_CLOSE_NOTIFY);
    pair_free(&p);
}

TEST(test_dtls_take_keeps_datagrams) {
    struct pair p = pair_of(dtls_client("mtu", "300"), dtls_server("mtu", "300"), "localhost");
    unsigned char small[100], big[2000];
    size_t next, n;
    int datagrams = 0;
    CHECK(p.c && p.s);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE);
    next = tlshs_pending(p.c);
    CHECK_INT(next, >, sizeof small);
    CHECK_INT(next, <=, 300);
    /* too small: nothing moves, nothing is lost */
    CHECK_INT(tlshs_take(p.c, small, sizeof small), ==, 0);
    CHECK_CODE(tlshs_usage_code(p.c), TLSHS_E_ARGUMENT);
    CHECK_CONTAINS(tlshs_usage_error(p.c), "datagram");
    CHECK_INT(tlshs_pending(p.c), ==, next);
    CHECK_INT(tlshs_take(p.c, big, sizeof big), ==, next);
    CHECK_CODE(tlshs_usage_code(p.c), TLSHS_OK);
    CHECK(tlshs_feed(p.s, big, next) == 0);
    /* the server's HelloVerifyRequest, then its flight: every datagram fits 300 */
    for (int round = 0; round < 10; round++) {
        tlshs_step(p.s);
        while ((n = tlshs_take(p.s, big, sizeof big)) > 0) {
            CHECK_INT(n, <=, 300);
            datagrams++;
            tlshs_feed(p.c, big, n);
        }
        tlshs_step(p.c);
        while ((n = tlshs_take(p.c, big, sizeof big)) > 0) {
            CHECK_INT(n, <=, 300);
            tlshs_feed(p.s, big, n);
        }
        if (tlshs_last_result(p.c) == TLSHS_DONE && tlshs_last_result(p.s) == TLSHS_DONE) break;
    }
    CHECK_RESULT(tlshs_last_result(p.c), TLSHS_DONE);
    CHECK_RESULT(tlshs_last_result(p.s), TLSHS_DONE);
    CHECK_INT(datagrams, >, 4); /* the certificate went in fragments */
    /* application data larger than a datagram holds goes out as several */
    memset(big, 'x', sizeof big);
    CHECK_RESULT(tlshs_write(p.c, big, sizeof big, &n), TLSHS_DONE);
    CHECK_INT(n, ==, sizeof big);
    {
        size_t got = 0, k;
        int count = 0;
        unsigned char dg[400], rx[2000];
        while ((k = tlshs_take(p.c, dg, sizeof dg)) > 0) {
            CHECK_INT(k, <=, 300);
            tlshs_feed(p.s, dg, k);
            count++;
        }
        CHECK_INT(count, >=, 7);
        while (got < sizeof rx && tlshs_read(p.s, rx + got, sizeof rx - got, &k) == TLSHS_DONE && k) got += k;
        CHECK_INT(got, ==, sizeof big);
    }
    pair_free(&p);
}

TEST(test_dtls_cookie_stateless) {
    tlshs_config *sc = dtls_server(NULL, NULL), *cc = dtls_client(NULL, NULL);
    tlshs *c = tlshs_new(cc, "localhost"), *s1 = tlshs_new(sc, NULL), *s2 = tlshs_new(sc, NULL), *s3;
    unsigned char ch1[2000], hvr[2000], ch2[2000], bad[2000];
    size_t n1, nh, n2;
    tlshs_result rc, rs;
    CHECK(c && s1 && s2);
    CHECK(tlshs_set_trace(s1, 1) == 0);
    CHECK(tlshs_set_peer(s1, "192.0.2.7:5684", 14) == 0);
    CHECK(tlshs_set_peer(s2, "192.0.2.7:5684", 14) == 0);
    tlshs_step(c);
    n1 = tlshs_take(c, ch1, sizeof ch1);
    CHECK(n1 > 0);
    tlshs_feed(s1, ch1, n1);
    CHECK_RESULT(tlshs_step(s1), TLSHS_WANT_WRITE);
    nh = tlshs_take(s1, hvr, sizeof hvr);
    CHECK_INT(hvr[13], ==, 3); /* a HelloVerifyRequest */
    CHECK_INT(trace_count(s1, 1, "HelloVerifyRequest"), ==, 1);
    CHECK_INT(tlshs_timeout_ms(s1), ==, -1); /* no state, no timer */
    CHECK_RESULT(tlshs_step(s1), TLSHS_WANT_READ);
    tlshs_free(s1); /* the object that answered is gone */
    tlshs_feed(c, hvr, nh);
    tlshs_step(c);
    n2 = tlshs_take(c, ch2, sizeof ch2);
    CHECK(n2 > n1); /* the hello again, with the cookie */
    /* a cookie with one byte changed: answered with a new HelloVerifyRequest */
    memcpy(bad, ch2, n2);
    s3 = tlshs_new(sc, NULL);
    CHECK(tlshs_set_peer(s3, "192.0.2.7:5684", 14) == 0);
    {
        size_t at = 13 + 12 + 2 + 32; /* record header, handshake header, version, random */
        at += 1 + bad[at];            /* the session id */
        CHECK_INT(bad[at], ==, 32);   /* our cookie's length */
        bad[at + 5] ^= 1;
    }
    tlshs_feed(s3, bad, n2);
    CHECK_RESULT(tlshs_step(s3), TLSHS_WANT_WRITE);
    {
        unsigned char again[2000];
        size_t k = tlshs_take(s3, again, sizeof again);
        CHECK(k > 13 + 12);
        CHECK_INT(again[13], ==, 3);
    }
    tlshs_free(s3);
    /* the same cookie from another peer address: refused too */
    s3 = tlshs_new(sc, NULL);
    CHECK(tlshs_set_peer(s3, "192.0.2.8:5684", 14) == 0);
    tlshs_feed(s3, ch2, n2);
    tlshs_step(s3);
    {
        unsigned char again[2000];
        CHECK(tlshs_take(s3, again, sizeof again) > 0);
        CHECK_INT(again[13], ==, 3);
    }
    tlshs_free(s3);
    /* a new object of the same config takes the retry */
    tlshs_feed(s2, ch2, n2);
    CHECK(tlshs_pair(c, s2, NULL, NULL, 30, &rc, &rs) == 0);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    tlshs_free(c);
    tlshs_free(s2);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

TEST(test_dtls_timer_in_script_hands) {
    struct pair p = pair_of(dtls_client(NULL, NULL), dtls_server("cookie", "off"), "localhost");
    unsigned char buf[2000];
    long t;
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_timeout_ms(p.c), ==, -1);
    CHECK_RESULT(tlshs_on_timeout(p.c), TLSHS_WANT_READ); /* refused: no timer */
    CHECK_CODE(tlshs_usage_code(p.c), TLSHS_E_STATE);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_WRITE);
    t = tlshs_timeout_ms(p.c);
    CHECK_INT(t, >, 900);
    CHECK_INT(t, <=, 1000);
    CHECK(tlshs_take(p.c, buf, sizeof buf) > 0); /* the ClientHello, lost */
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_READ);
    CHECK_INT(tlshs_pending(p.c), ==, 0);
    if (openssl_minor() < 2) {
        /* no retransmission before the script asks, however often it steps */
        for (int i = 0; i < 50; i++) CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_READ);
        CHECK_INT(tlshs_pending(p.c), ==, 0);
        /* the schedule: 1 s, doubling to 60 s; the 12th retransmission is the
           last, and the next timeout ends the handshake */
        long want[] = {2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000, 60000, 60000, 60000};
        for (int i = 0; i < 12; i++) {
            CHECK_RESULT(tlshs_on_timeout(p.c), TLSHS_WANT_WRITE);
            CHECK(tlshs_take(p.c, buf, sizeof buf) > 0);
            t = tlshs_timeout_ms(p.c);
            CHECK_INT(t, >, want[i] - 100);
            CHECK_INT(t, <=, want[i]);
        }
        CHECK_RESULT(tlshs_on_timeout(p.c), TLSHS_CLOSED);
        CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_TIMEOUT);
        CHECK_CONTAINS(tlshs_error(p.c), "12th retransmission");
        CHECK_INT(tlshs_timeout_ms(p.c), ==, -1); /* closed: no timer runs */
    }
    pair_free(&p);
}

TEST(test_dtls_retransmit_ms) {
    struct pair p = pair_of(dtls_client("retransmit_ms", "250"), dtls_server("cookie", "off"), "localhost");
    unsigned char buf[2000];
    long t;
    CHECK(p.c && p.s);
    tlshs_step(p.c);
    t = tlshs_timeout_ms(p.c);
    CHECK_INT(t, >, 150);
    CHECK_INT(t, <=, 250);
    CHECK(tlshs_take(p.c, buf, sizeof buf) > 0);
    CHECK_RESULT(tlshs_on_timeout(p.c), TLSHS_WANT_WRITE); /* 3.5: waits out the 250 ms */
    t = tlshs_timeout_ms(p.c);
    CHECK_INT(t, >, 400);
    CHECK_INT(t, <=, 500);
    pair_free(&p);
}

/* A tamper of the loss test: a seeded generator drops, duplicates and
   holds back datagrams. */
struct lossy {
    unsigned long long state;
    unsigned char held[2][2048];
    size_t held_len[2];
    tlshs *to[2];
    int dropped, duplicated, reordered;
};

static unsigned rnd(struct lossy *l) {
    l->state = l->state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(l->state >> 33);
}

static size_t lossy_tamper(tlshs_direction d, unsigned char *dg, size_t len, const unsigned char **out,
                           void *arg) {
    struct lossy *l = arg;
    unsigned r = rnd(l) % 100;
    (void)out;
    if (r < 20) { /* lost */
        l->dropped++;
        return 0;
    }
    if (r < 25) { /* duplicated */
        tlshs_feed(l->to[d], dg, len);
        l->duplicated++;
        return len;
    }
    if (r < 30 && !l->held_len[d] && len <= sizeof l->held[d]) { /* held back, sent after the next one */
        memcpy(l->held[d], dg, len);
        l->held_len[d] = len;
        l->reordered++;
        return 0;
    }
    if (l->held_len[d]) {
        tlshs_feed(l->to[d], dg, len);
        memcpy(dg, l->held[d], l->held_len[d]);
        len = l->held_len[d];
        l->held_len[d] = 0;
    }
    return len;
}

/* n handshakes of cc and sc through the lossy tamper seeded with seed. */
static void lossy_run(tlshs_config *cc, tlshs_config *sc, int n, unsigned long long seed, struct lossy *l,
                      int *done, int *timed_out) {
    memset(l, 0, sizeof *l);
    l->state = seed;
    *done = *timed_out = 0;
    for (int i = 0; i < n; i++) {
        tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
        tlshs_result rc, rs;
        l->to[TLSHS_C2S] = s;
        l->to[TLSHS_S2C] = c;
        l->held_len[0] = l->held_len[1] = 0;
        CHECK(tlshs_pair(c, s, lossy_tamper, l, 1000, &rc, &rs) >= 0);
        if (rc == TLSHS_DONE && rs == TLSHS_DONE) {
            (*done)++;
        } else {
            /* the only other way out: 12 retransmissions unanswered */
            tlshs *gave_up = rc == TLSHS_CLOSED ? c : s;
            CHECK_CODE(tlshs_error_code(gave_up), TLSHS_E_TIMEOUT);
            (*timed_out)++;
        }
        tlshs_free(c);
        tlshs_free(s);
    }
}

TEST(test_dtls_lossy_virtual_time) {
    /* OpenSSL 3.2 and later keep the deadline out of reach: there a fired
       timer waits out the rest of its timeout, so the test takes 20 ms
       timeouts and fewer handshakes (see tlshs_on_timeout) */
    int real_time = openssl_minor() >= 2;
    const char *first = real_time ? "20" : "1000";
    tlshs_config *sc = dtls_server("retransmit_ms", first), *cc = dtls_client("retransmit_ms", first);
    struct lossy l, again;
    int n = tests_slow() ? 30 : real_time ? 40 : 1000, done, timed_out, done2, timed_out2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    lossy_run(cc, sc, n, 20261207, &l, &done, &timed_out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "  dtls lossy: %d handshakes, %d done, %d gave up; %d dropped, %d duplicated, "
                    "%d reordered; %.2f s\n",
            n, done, timed_out, l.dropped, l.duplicated, l.reordered,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    CHECK_INT(done, ==, n); /* 20% loss never takes 13 copies of one flight here */
    CHECK_INT(l.dropped, >, n);
    CHECK_INT(l.duplicated, >, n / 5);
    CHECK_INT(l.reordered, >, n / 5);
    if (!real_time) { /* virtual time: the same seed, the same run */
        int m = tests_slow() ? 10 : 100;
        lossy_run(cc, sc, m, 7, &l, &done, &timed_out);
        lossy_run(cc, sc, m, 7, &again, &done2, &timed_out2);
        CHECK_INT(again.dropped, ==, l.dropped);
        CHECK_INT(again.duplicated, ==, l.duplicated);
        CHECK_INT(again.reordered, ==, l.reordered);
        CHECK_INT(done2, ==, done);
    }
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

/* ---- a fault gallery for datagrams ---- */

/* A tamper that counts datagrams per direction and applies one fault to
   the nth datagram of one direction. */
enum fault { DROP, FLIP, REPLAY_FIRST_HELLO };
struct gallery {
    enum fault fault;
    tlshs_direction dir;
    int nth, seen[2];
    unsigned char first[2048];
    size_t first_len;
    tlshs *to[2];
};

static size_t gallery_tamper(tlshs_direction d, unsigned char *dg, size_t len, const unsigned char **out,
                             void *arg) {
    struct gallery *g = arg;
    int i = g->seen[d]++;
    (void)out;
    if (d == TLSHS_C2S && i == 0 && len <= sizeof g->first) {
        memcpy(g->first, dg, len);
        g->first_len = len;
    }
    if (d != g->dir || i != g->nth) return len;
    switch (g->fault) {
    case DROP: return 0;
    case FLIP: dg[len - 3] ^= 0x40; return len;
    case REPLAY_FIRST_HELLO: /* the cookie-less first ClientHello again, then this one */
        tlshs_feed(g->to[d], g->first, g->first_len);
        return len;
    }
    return len;
}

static void gallery_run(enum fault fault, tlshs_direction dir, int nth, tlshs_result want) {
    tlshs_config *sc = dtls_server("retransmit_ms", "20"), *cc = dtls_client("retransmit_ms", "20");
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    struct gallery g;
    tlshs_result rc, rs;
    memset(&g, 0, sizeof g);
    g.fault = fault, g.dir = dir, g.nth = nth;
    g.to[TLSHS_C2S] = s, g.to[TLSHS_S2C] = c;
    CHECK(tlshs_pair(c, s, gallery_tamper, &g, 200, &rc, &rs) >= 0);
    CHECK_RESULT(rc, want);
    CHECK_RESULT(rs, want);
    CHECK_INT(g.seen[dir], >, nth); /* the fault was applied */
    if (want == TLSHS_DONE) { /* and the connection works */
        char buf[8];
        size_t n;
        CHECK_RESULT(tlshs_write(c, "data", 4, &n), TLSHS_DONE);
        move_datagrams(c, s);
        CHECK_RESULT(tlshs_read(s, buf, sizeof buf, &n), TLSHS_DONE);
        CHECK_INT(n, ==, 4);
    }
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

TEST(test_dtls_fault_gallery) {
    /* datagrams 0 and 1 from the client: the ClientHello, then the one
       with the cookie; from the server: the HelloVerifyRequest, then its
       flight (ServerHello ...), the last its final CCS + Finished */
    gallery_run(DROP, TLSHS_C2S, 0, TLSHS_DONE);  /* the first ClientHello lost */
    gallery_run(DROP, TLSHS_S2C, 0, TLSHS_DONE);  /* the HelloVerifyRequest lost */
    gallery_run(DROP, TLSHS_C2S, 1, TLSHS_DONE);  /* the ClientHello with the cookie lost */
    gallery_run(DROP, TLSHS_S2C, 1, TLSHS_DONE);  /* the server's flight, in part */
    gallery_run(DROP, TLSHS_C2S, 2, TLSHS_DONE);  /* the client's second flight, in part */
    gallery_run(DROP, TLSHS_S2C, 2, TLSHS_DONE);  /* the server's final flight: the DONE
                                                     server answers the client's retransmission */
    gallery_run(REPLAY_FIRST_HELLO, TLSHS_C2S, 2, TLSHS_DONE); /* an old cookie-less hello mid-way: ignored */
    /* a flipped byte in an encrypted record (the client's Finished): DTLS
       drops a record that does not authenticate, the retransmission heals */
    gallery_run(FLIP, TLSHS_C2S, 2, TLSHS_DONE);
}

TEST(test_dtls_done_side_answers_retransmission) {
    /* the server's final flight is lost: the client retransmits its own,
       and the server, DONE already, answers when stepped */
    struct pair p = pair_of(dtls_client(NULL, NULL), dtls_server("cookie", "off"), "localhost");
    unsigned char buf[2048];
    size_t n;
    CHECK(p.c && p.s);
    tlshs_step(p.c);
    CHECK_INT(move_datagrams(p.c, p.s), ==, 1); /* ClientHello */
    tlshs_step(p.s);
    CHECK_INT(move_datagrams(p.s, p.c), >, 0); /* ServerHello ... ServerHelloDone */
    tlshs_step(p.c);
    CHECK_INT(move_datagrams(p.c, p.s), >, 0); /* ClientKeyExchange, CCS, Finished */
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE); /* its final flight waits */
    while ((n = tlshs_take(p.s, buf, sizeof buf)) > 0) {} /* ...and is lost */
    CHECK_RESULT(tlshs_step(p.s), TLSHS_DONE);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_WANT_READ);
    CHECK_INT(tlshs_timeout_ms(p.s), ==, -1);
    CHECK(tlshs_timeout_ms(p.c) >= 0);
    CHECK_RESULT(tlshs_on_timeout(p.c), TLSHS_WANT_WRITE);
    CHECK_INT(move_datagrams(p.c, p.s), >, 0);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_WANT_WRITE); /* the final flight again */
    CHECK_INT(move_datagrams(p.s, p.c), >, 0);
    CHECK_RESULT(tlshs_step(p.s), TLSHS_DONE);
    CHECK_RESULT(tlshs_step(p.c), TLSHS_DONE);
    pair_free(&p);
}

/* The trace over datagrams: each handshake message once as reassembled,
   with its 12-byte DTLS header (fragment offset 0, fragment length the
   whole), though the Certificate went in several datagrams; a message sent
   again by a retransmission appears again. */
TEST(test_dtls_trace_messages_whole) {
    struct pair p = pair_of(dtls_client("mtu", "256"), dtls_server("mtu", "256"), "localhost");
    tlshs_result rc, rs;
    int certs_seen = 0;
    CHECK(p.c && p.s);
    tlshs_set_trace(p.c, 1);
    tlshs_set_trace(p.s, 1);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    for (int side = 0; side < 2; side++) {
        tlshs *hs = side ? p.s : p.c;
        for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
            const tlshs_event *e = tlshs_trace_event(hs, i);
            const unsigned char *d = e->data;
            size_t len;
            if (strcmp(e->kind, "handshake") != 0 || e->length < 12) continue;
            /* OpenSSL before 3.2 reports a message it sent in several
               fragments with each later fragment's header written over the
               12 bytes before it (it writes fragments in place): only what
               was received is whole there (see tlshs_trace_event) */
            if (e->sent && openssl_minor() < 2) continue;
            len = (size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3];
            CHECK_INT(e->length, ==, 12 + len);                      /* the whole message */
            CHECK_INT(d[6] | d[7] | d[8], ==, 0);                   /* fragment offset 0 */
            CHECK_INT((size_t)d[9] << 16 | (size_t)d[10] << 8 | d[11], ==, len); /* one fragment */
            if (strcmp(e->name, "Certificate") == 0) {
                CHECK_INT(len, >, 256); /* more than a datagram holds */
                certs_seen++;
            }
        }
    }
    CHECK_INT(certs_seen, ==, openssl_minor() < 2 ? 1 : 2); /* received by the client (and sent by the server) */
    CHECK_INT(trace_count(p.s, 1, "HelloVerifyRequest"), ==, 1);
    CHECK_INT(trace_count(p.c, 0, "HelloVerifyRequest"), ==, 1);
    CHECK_INT(trace_count(p.c, 1, "ClientHello"), ==, 2); /* without and with the cookie */
    CHECK_INT(trace_count(p.s, 0, "ClientHello"), ==, 2); /* each once */
    pair_free(&p);
    {
        /* a retransmitted flight is traced again */
        struct pair q = pair_of(dtls_client(NULL, NULL), dtls_server("cookie", "off"), "localhost");
        unsigned char buf[2048];
        CHECK(q.c && q.s);
        tlshs_set_trace(q.c, 1);
        tlshs_step(q.c);
        CHECK(tlshs_take(q.c, buf, sizeof buf) > 0);
        CHECK_RESULT(tlshs_on_timeout(q.c), TLSHS_WANT_WRITE);
        CHECK_INT(trace_count(q.c, 1, "ClientHello"), ==, 2);
        pair_free(&q);
    }
}

/* A ClientHello too big for one datagram: DTLSv1_listen reads only its
   first fragment, and the cookie binds only what that always holds. */
TEST(test_dtls_cookie_fragmented_hello) {
    struct pair p = pair_of(client_with("transport", "datagram", "mtu", "256", "ciphers", "ALL:@SECLEVEL=0",
                                        NULL),
                            dtls_server(NULL, NULL), "localhost");
    tlshs_result rc, rs;
    CHECK(p.c && p.s);
    tlshs_set_trace(p.c, 1);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    CHECK_INT(trace_count(p.c, 0, "HelloVerifyRequest"), ==, 1);
    pair_free(&p);
}
