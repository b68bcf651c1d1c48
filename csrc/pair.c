/* pair.c - tlshs_pair: carries every flight between two memory-mode
 * handshakes, through an optional tamper callback, until both are over or
 * nothing moves (see tlshs.h). */
#include <stdlib.h>

#include "tlshs_internal.h"

#define CHUNK 16384 /* the untampered path moves bytes through this much stack */

static int final(tlshs_result r) {
    return r == TLSHS_DONE || r == TLSHS_CLOSED;
}

/* Moves what from has pending into to, unchanged; answers the bytes taken.
   Bytes to refuses (it is closed) are dropped. */
static size_t carry(tlshs *from, tlshs *to) {
    unsigned char buf[CHUNK];
    size_t n, taken = 0;
    while ((n = tlshs_take(from, buf, sizeof buf)) > 0) {
        tlshs_feed(to, buf, n);
        taken += n;
    }
    return taken;
}

/* The flight buffer of a tampered pair, grown as flights need. */
struct flight {
    unsigned char *data;
    size_t cap;
};

/* Takes the next len pending bytes of from (a flight, or one datagram) into
   f, grown as needed; answers how many, or (size_t)-1 if memory ran out. */
static size_t take_into(tlshs *from, size_t len, struct flight *f) {
    if (len > f->cap) {
        unsigned char *grown = realloc(f->data, len);
        if (!grown) return (size_t)-1;
        f->data = grown, f->cap = len;
    }
    return tlshs_take(from, f->data, len);
}

/* Takes all of from's pending bytes as one flight, hands it to tamper and
   feeds what it answers to to; answers the bytes taken, or (size_t)-1 if
   memory ran out. */
static size_t carry_tampered(tlshs *from, tlshs *to, tlshs_direction direction,
                             tlshs_tamper_cb tamper, void *arg, struct flight *f) {
    size_t len = tlshs_pending(from), n;
    const unsigned char *out;
    if (len == 0) return 0;
    if ((len = take_into(from, len, f)) == (size_t)-1) return len;
    out = f->data;
    n = tamper(direction, f->data, len, &out, arg);
    if (n > 0 && out) tlshs_feed(to, out, n); /* else dropped */
    return len;
}

/* Datagrams: moves each of from's pending datagrams to to, one at a time,
   through tamper if given (which sees one datagram and may feed more to the
   receiver itself); answers the datagrams taken, or (size_t)-1 if memory
   ran out. */
static size_t carry_datagrams(tlshs *from, tlshs *to, tlshs_direction direction, tlshs_tamper_cb tamper,
                              void *arg, struct flight *f) {
    size_t len, moved = 0, n;
    while ((len = tlshs_pending(from)) > 0) {
        const unsigned char *out;
        if ((len = take_into(from, len, f)) == (size_t)-1) return len;
        out = f->data;
        n = tamper ? tamper(direction, f->data, len, &out, arg) : len;
        if (n > 0 && out) tlshs_feed(to, out, n); /* else dropped */
        moved++;
    }
    return moved;
}

/* A running timer's time left in virtual time: its duration, less what
   virtual time already passed for it. */
static long left_ms(const tlshs *hs) {
    return hs->dg->dur_ms - hs->dg->spent_ms;
}

/* Virtual time: when neither side moved, the timer that would fire first
   fires now: the one with the least time left (left_ms), the client's on
   a tie, so a seeded run repeats exactly (the wall clock's milliseconds
   would decide ties by chance).  The time it had left passes for the other
   side's timer too; else the side whose timer restarts at each firing
   would come first again and again (both at 60 s late in the schedule) and
   give up before the other retransmitted once.  Answers 1 if one fired, 0
   if no timer runs. */
static int fire_first(tlshs *client, tlshs *server, tlshs_result *c, tlshs_result *s) {
    int rc = tlshs_timeout_ms(client) >= 0, rs = tlshs_timeout_ms(server) >= 0;
    if (!rc && !rs) return 0;
    if (rc && (!rs || left_ms(client) <= left_ms(server))) {
        if (rs) server->dg->spent_ms += left_ms(client);
        *c = tlshs_on_timeout(client);
    } else {
        if (rc) client->dg->spent_ms += left_ms(server);
        *s = tlshs_on_timeout(server);
    }
    return 1;
}

/* Refuses a pair whose side is not a memory-mode handshake; answers 1 if refused. */
static int refused(tlshs *hs, tlshs *other, int rounds) {
    if (!hs) return 1;
    if (hs->fd_mode) {
        tlshs__usage(hs, TLSHS_E_STATE, "pair: the handshake uses a socket (fd mode)");
        return 1;
    }
    if (other && hs->dg && !other->dg) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "pair: one side is a datagram handshake, the other a stream");
        return 1;
    }
    if (hs == other || rounds < 1) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT,
                     hs == other ? "pair: client and server are one object"
                                 : "pair: rounds must be at least 1");
        return 1;
    }
    return 0;
}

/* The TLSHS_PAIR_*_WAITS bits of the sides that are not over. */
static int waiting(tlshs_result c, tlshs_result s) {
    return (final(c) ? 0 : TLSHS_PAIR_CLIENT_WAITS) | (final(s) ? 0 : TLSHS_PAIR_SERVER_WAITS);
}

int tlshs_pair(tlshs *client, tlshs *server, tlshs_tamper_cb tamper, void *arg, int rounds,
               tlshs_result *rc, tlshs_result *rs) { /* see tlshs.h */
    tlshs_result c = tlshs_last_result(client), s = tlshs_last_result(server);
    struct flight f = {NULL, 0};
    int answer = TLSHS_PAIR_ROUNDS_OUT;
    tlshs__begin(client);
    tlshs__begin(server);
    if (refused(client, server, rounds) || refused(server, client, rounds)) return -1;
    int datagrams = client->dg && server->dg;
    for (int i = 0; i < rounds; i++) {
        size_t taken, m;
        c = tlshs_step(client);
        taken = datagrams ? carry_datagrams(client, server, TLSHS_C2S, tamper, arg, &f)
                : tamper  ? carry_tampered(client, server, TLSHS_C2S, tamper, arg, &f)
                          : carry(client, server);
        s = tlshs_step(server);
        m = datagrams ? carry_datagrams(server, client, TLSHS_S2C, tamper, arg, &f)
            : tamper  ? carry_tampered(server, client, TLSHS_S2C, tamper, arg, &f)
                      : carry(server, client);
        if (taken == (size_t)-1 || m == (size_t)-1) {
            answer = -1; /* memory ran out: both objects are as the last step left them */
            tlshs__usage(client, TLSHS_E_NOMEM, "pair: out of memory");
            break;
        }
        if (datagrams) {
            /* a DONE side keeps answering retransmissions: go on while
               anything moves, and fire a timer when nothing does */
            if (taken + m > 0) continue;
            if (final(c) && final(s)) {
                answer = 0;
                break;
            }
            if (fire_first(client, server, &c, &s)) continue;
            answer = 0;
            break;
        }
        if (final(c) && final(s)) {
            answer = 0;
            break;
        }
        if (taken + m == 0) {
            /* neither side wrote: every byte fed has been read by a step and
               no answer is stale, so another round would change nothing */
            answer = 0;
            break;
        }
    }
    free(f.data);
    if (rc) *rc = c;
    if (rs) *rs = s;
    return answer < 0 ? answer : answer | waiting(c, s);
}
