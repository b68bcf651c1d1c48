/*
 * fuzz_common.h - what the fuzz targets (fuzz_handshake.c,
 * fuzz_session_config.c) and their seed writer (make_seeds.c) share: the
 * configs, a conversation between a real client and a real server in memory
 * whose every flight can pass through a hook, the rules every run must keep,
 * and a tally of how far runs got, printed at exit.
 *
 * The conversation: both sides step until their handshake is over; then the
 * client writes "ping", the server answers "pong" to whatever it read, the
 * client shuts down when it has read an answer and the server when it has
 * read the client's close_notify.  A flight is everything one side had
 * pending after one of its turns; each side's flights are counted from 0.
 *
 * The rules (must() aborts, so libFuzzer keeps the input): every side ends
 * DONE or CLOSED once its input ends; CLOSED comes with a reason and a code;
 * a final result stays the same; nothing is left in OpenSSL's error queue.
 *
 * Certificates: $TLSHS_CERTS (default build/certs).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "tlshs.h"

/* The first input byte of fuzz_handshake (and, for the variant bits, of
 * fuzz_session_config's session mode). */
enum {
    FZ_SERVER = 1,   /* the server is under test: the client's flights are changed */
    FZ_TLS12 = 2,    /* both sides at most TLS 1.2 (certificates in the clear) */
    FZ_MUTUAL = 4,   /* the server requires a client certificate */
    FZ_RESUME = 8,   /* the client offers a session saved from a clean run */
    FZ_REPLACE = 16, /* the input replaces one flight (else: edits flights) */
};
#define FZ_VARIANTS 4
#define FZ_VARIANT(flags) (((flags) & (FZ_TLS12 | FZ_MUTUAL)) >> 1)

/* A hook sees (and may change) every flight: from_client says whose it is,
 * k counts that side's flights from 0, *len may shrink or grow up to cap. */
typedef void (*fz_hook)(void *ctx, int from_client, int k, unsigned char *buf, size_t *len,
                        size_t cap);

static struct {
    tlshs_config *client[FZ_VARIANTS];          /* verifying clients */
    tlshs_config *client_noverify[FZ_VARIANTS]; /* verify none */
    tlshs_config *server[FZ_VARIANTS];
    unsigned char session[FZ_VARIANTS][8192]; /* from a clean run of each variant */
    size_t session_len[FZ_VARIANTS];
} fz;

static const char *fz_certs(void) {
    const char *dir = getenv("TLSHS_CERTS");
    return dir && *dir ? dir : "build/certs";
}

static const char *fz_path(const char *name) {
    static char p[4][512];
    static int i;
    char *out = p[i++ % 4];
    snprintf(out, sizeof p[0], "%s/%s", fz_certs(), name);
    return out;
}

static void must(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz: broken rule: %s\n", what);
        abort();
    }
}

/* ---- the tally: how many runs reached what (printed at exit) ---- */

#define FZ_TALLY_MAX 160
static struct fz_entry {
    char label[80];
    unsigned long count;
} fz_tally[FZ_TALLY_MAX];
static size_t fz_tally_n;
static unsigned long fz_runs __attribute__((unused)); /* the targets count runs */

/* libFuzzer's coverage sees tlshs's code only (OpenSSL is not instrumented),
 * so a run that reaches a new message or alert deep in OpenSSL would look like
 * any other and its input be dropped.  libFuzzer also reads this section as
 * extra counters, cleared before each run: every tally label marks one, so a
 * new outcome is a new feature and its input is kept. */
__attribute__((section("__libfuzzer_extra_counters"), used)) static uint8_t fz_features[4096];

static void fz_feature(const char *label) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = label; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    if (fz_features[h % sizeof fz_features] < 255) fz_features[h % sizeof fz_features]++;
}

static void fz_count(const char *what, const char *detail) {
    char label[80];
    snprintf(label, sizeof label, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    fz_feature(label);
    for (size_t i = 0; i < fz_tally_n; i++)
        if (strcmp(fz_tally[i].label, label) == 0) {
            fz_tally[i].count++;
            return;
        }
    if (fz_tally_n < FZ_TALLY_MAX) {
        memcpy(fz_tally[fz_tally_n].label, label, sizeof label);
        fz_tally[fz_tally_n++].count = 1;
    }
}

/* Counts what a side under test received and how it ended. */
static void fz_count_side(tlshs *hs, tlshs_result r) {
    size_t n = tlshs_trace_count(hs);
    for (size_t i = 0; i < n; i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        char at[80];
        if (!e->sent && strcmp(e->kind, "handshake") == 0) fz_count("received", e->name);
        snprintf(at, sizeof at, "%zu %d %s", i, e->sent, e->name); /* how far, in order */
        fz_feature(at);
    }
    fz_count("ended", r == TLSHS_CLOSED ? tlshs_code_name(tlshs_error_code(hs)) : tlshs_result_name(r));
    if (tlshs_alert_sent(hs) >= 0) fz_count("alert sent", tlshs_alert_name(tlshs_alert_sent(hs)));
    if (tlshs_resumed(hs)) fz_count("resumed", NULL);
}

static int fz_by_label(const void *a, const void *b) {
    return strcmp(((const struct fz_entry *)a)->label, ((const struct fz_entry *)b)->label);
}

__attribute__((unused)) static void fz_print_tally(void) {
    qsort(fz_tally, fz_tally_n, sizeof fz_tally[0], fz_by_label);
    fprintf(stderr, "fuzz: %lu runs reached:\n", fz_runs);
    for (size_t i = 0; i < fz_tally_n; i++)
        fprintf(stderr, "fuzz:   %-60s %lu\n", fz_tally[i].label, fz_tally[i].count);
}

/* ---- the conversation ---- */

/* Moves what from has pending to to, through hook; answers the bytes moved. */
static size_t fz_move(tlshs *from, tlshs *to, int from_client, int *k, fz_hook hook, void *ctx) {
    static unsigned char flight[65536];
    size_t len = 0, n;
    while (len < sizeof flight && (n = tlshs_take(from, flight + len, sizeof flight - len)) > 0)
        len += n;
    if (len == 0) return 0;
    if (hook) hook(ctx, from_client, *k, flight, &len, sizeof flight);
    (*k)++;
    if (len > 0 && tlshs_last_result(to) != TLSHS_CLOSED) tlshs_feed(to, flight, len);
    return len;
}

struct fz_side {
    tlshs *hs;
    int client;
    int k;     /* flights sent */
    int wrote; /* ping or pong written */
    int heard; /* application data read */
    int shut;  /* shutdown started */
};

/* One turn of a side: its handshake until DONE, then the data and the close. */
static void fz_act(struct fz_side *s) {
    unsigned char buf[4096];
    size_t n = 0;
    tlshs_result r;
    if (!tlshs_handshake_done(s->hs)) {
        tlshs_step(s->hs);
        return;
    }
    if (s->shut) {
        tlshs_shutdown(s->hs);
        return;
    }
    for (int i = 0; i < 8; i++) {
        r = tlshs_read(s->hs, buf, sizeof buf, &n);
        if (r == TLSHS_DONE && n > 0) s->heard = 1;
        if (r == TLSHS_CLOSED && !s->client) { /* the client's close_notify: answer it */
            s->shut = 1;
            tlshs_shutdown(s->hs);
            return;
        }
        if (r != TLSHS_DONE) break;
    }
    if (!s->wrote && (s->client || s->heard)) {
        s->wrote = 1;
        tlshs_write(s->hs, s->client ? "ping" : "pong", 4, &n);
    } else if (s->client && s->heard) {
        s->shut = 1;
        tlshs_shutdown(s->hs);
    }
}

/* Steps hs, moving nothing, until it stops asking to write. */
static tlshs_result fz_settle(tlshs *hs) {
    static unsigned char sink[65536];
    tlshs_result r = TLSHS_WANT_READ;
    for (int i = 0; i < 16; i++) {
        r = tlshs_step(hs);
        while (tlshs_take(hs, sink, sizeof sink) > 0) {}
        if (r != TLSHS_WANT_WRITE) break;
    }
    return r;
}

/* The end of every side: its input ends, then the rules above must hold.
 * Frees hs; answers its final result. */
static tlshs_result fz_finish(tlshs *hs, int counted) {
    tlshs_result r = fz_settle(hs);
    if (r == TLSHS_WANT_READ) {
        tlshs_feed_eof(hs);
        r = fz_settle(hs);
    }
    must(r == TLSHS_DONE || r == TLSHS_CLOSED, "not final after the input ended");
    must(r != TLSHS_CLOSED || *tlshs_error(hs), "CLOSED without a reason");
    must(r != TLSHS_CLOSED || tlshs_error_code(hs) != TLSHS_OK, "CLOSED with the code ok");
    must(tlshs_step(hs) == r, "a final result changed");
    must(ERR_peek_error() == 0, "errors left in OpenSSL's queue");
    if (counted) fz_count_side(hs, r);
    tlshs_free(hs);
    return r;
}

/* Runs a conversation between c and s (both fresh; the client may hold a
 * session), every flight through hook (may be NULL), for a bounded number of
 * turns; then ends both with fz_finish (which frees them).  under_test (c, s
 * or NULL) is traced and tallied. */
static void fz_converse(tlshs *c, tlshs *s, tlshs *under_test, fz_hook hook, void *ctx) {
    struct fz_side cs = {c, 1, 0, 0, 0, 0}, ss = {s, 0, 0, 0, 0, 0};
    if (under_test) tlshs_set_trace(under_test, 1);
    /* ends after two turns in a row that moved nothing (a side that just
       reached DONE only writes on its next turn) */
    for (int turn = 0, quiet = 0; turn < 32 && quiet < 2; turn++) {
        size_t moved;
        fz_act(&cs);
        moved = fz_move(c, s, 1, &cs.k, hook, ctx);
        fz_act(&ss);
        moved += fz_move(s, c, 0, &ss.k, hook, ctx);
        quiet = moved ? 0 : quiet + 1;
    }
    fz_finish(c, c == under_test);
    fz_finish(s, s == under_test);
}

/* ---- the configs ---- */

static void fz_set(tlshs_config *cfg, const char *key, const char *value) {
    if (tlshs_config_set(cfg, key, value) != 0) {
        fprintf(stderr, "fuzz: %s\n", tlshs_config_error(cfg));
        abort();
    }
}

struct fz_saver {
    tlshs *client;
    int variant;
};

/* A hook that changes nothing and keeps the client's session as it goes
 * (in TLS 1.3 it exists once the client has read the server's ticket). */
static void fz_save_session(void *ctx, int from_client, int k, unsigned char *buf, size_t *len,
                            size_t cap) {
    struct fz_saver *sv = ctx;
    size_t n = tlshs_session(sv->client, NULL, 0);
    (void)from_client, (void)k, (void)buf, (void)len, (void)cap;
    if (n > 0 && n <= sizeof fz.session[0] && tlshs_handshake_done(sv->client)) {
        tlshs_session(sv->client, fz.session[sv->variant], n);
        fz.session_len[sv->variant] = n;
    }
}

/* Makes every config, and a session from a clean run of each variant. */
__attribute__((unused)) static void fz_setup(void) {
    for (int v = 0; v < FZ_VARIANTS; v++) {
        int flags = v << 1;
        tlshs_config *c = tlshs_config_new(TLSHS_CLIENT), *n = tlshs_config_new(TLSHS_CLIENT);
        tlshs_config *s = tlshs_config_new(TLSHS_SERVER);
        must(c && n && s, "out of memory");
        fz_set(c, "ca_file", fz_path("ca.pem"));
        fz_set(n, "verify", "none");
        fz_set(s, "cert_file", fz_path("server-ec.pem"));
        fz_set(s, "key_file", fz_path("server-ec.key"));
        if (flags & FZ_TLS12) {
            fz_set(c, "max_version", "1.2");
            fz_set(n, "max_version", "1.2");
            fz_set(s, "max_version", "1.2");
        }
        if (flags & FZ_MUTUAL) {
            fz_set(c, "cert_file", fz_path("client.pem"));
            fz_set(c, "key_file", fz_path("client.key"));
            fz_set(n, "cert_file", fz_path("client.pem"));
            fz_set(n, "key_file", fz_path("client.key"));
            fz_set(s, "verify", "require");
            fz_set(s, "ca_file", fz_path("ca.pem"));
        }
        fz.client[v] = c;
        fz.client_noverify[v] = n;
        fz.server[v] = s;
    }
    for (int v = 0; v < FZ_VARIANTS; v++) {
        tlshs *c = tlshs_new(fz.client[v], "localhost"), *s = tlshs_new(fz.server[v], NULL);
        struct fz_saver sv = {c, v};
        must(c && s, "tlshs_new failed in a clean run");
        fz_converse(c, s, NULL, fz_save_session, &sv);
        must(fz.session_len[v] > 0, "no session from a clean run");
    }
}

#endif
