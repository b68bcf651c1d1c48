/* transport_dgram.c - datagrams: a BIO that keeps their boundaries, in
 * memory (the script feeds and takes each one) or on a connected UDP
 * socket, and the DTLS retransmission timer's schedule.
 *
 * OpenSSL 3.0 has no datagram memory BIO (BIO_s_dgram_mem comes in 3.2), and
 * its socket BIO counts IP and UDP headers into the MTU; this one does the
 * same in both modes: each BIO_write is one datagram of at most mtu bytes,
 * each BIO_read one datagram.  OpenSSL never asks it for an MTU
 * (SSL_OP_NO_QUERY_MTU): the handshake's mtu is set with SSL_set_mtu.
 *
 * The timer.  OpenSSL retransmits only when its own deadline has passed on
 * the wall clock (DTLSv1_handle_timeout does nothing before; under 15 ms
 * left counts as passed), and checks it inside every read.  tlshs keeps
 * the schedule itself (retransmit_ms for a new flight, doubling to 60 s):
 * DTLS_set_timer_cb tells it when a flight starts (previous 0) and when a
 * timeout fires.  With OpenSSL before 3.2 the BIO is handed a pointer to
 * OpenSSL's own deadline (BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT): tlshs keeps that
 * deadline an hour away, so OpenSSL never retransmits on its own, and sets
 * it in the past when the script fires the timer.  From 3.2 on the BIO is
 * handed a copy: the deadline cannot be moved, so OpenSSL is given tlshs's
 * durations and tlshs_on_timeout waits until it is due (see tlshs.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "tlshs_internal.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#if OPENSSL_VERSION_NUMBER < 0x30200000L
#define DEADLINE_IN_REACH 1 /* BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT points at OpenSSL's own */
#else
#define DEADLINE_IN_REACH 0
#endif

#define FAR_AWAY_US 3600000000u /* an hour: OpenSSL's deadline while tlshs holds the timer */
#define MAX_TIMEOUT_MS 60000    /* the doubling stops here (RFC 6347, OpenSSL) */

struct dgram {
    struct dgram *next;
    size_t len;
    unsigned char data[];
};

/* A BIO's data: a queue (memory mode) or a socket, and the handshake's
   datagram state, which learns OpenSSL's deadline from it. */
struct dgram_bio {
    struct dgram *head, *tail;
    int fd;  /* -1 in memory mode */
    int eof; /* memory mode: feed_eof was called: an empty queue reads as the end */
    struct tlshs_dgram *dg;
};

static BIO_METHOD *dgram_method;
static CRYPTO_ONCE dgram_method_once = CRYPTO_ONCE_STATIC_INIT;

/* Appends a copy of one datagram to d's queue: 0, or -1 out of memory. */
static int enqueue(struct dgram_bio *d, const void *data, size_t len) {
    struct dgram *g = malloc(sizeof *g + len);
    if (!g) return -1;
    g->next = NULL;
    g->len = len;
    memcpy(g->data, data, len);
    if (d->tail) d->tail->next = g;
    else d->head = g;
    d->tail = g;
    return 0;
}

/* Copies the queue's first datagram to buf (n bytes of it) and drops it. */
static void dequeue(struct dgram_bio *d, void *buf, size_t n) {
    struct dgram *g = d->head;
    memcpy(buf, g->data, n);
    if (!(d->head = g->next)) d->tail = NULL;
    free(g);
}

static int retryable(int err) {
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static int dgram_write(BIO *b, const char *data, int len) {
    struct dgram_bio *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len < 0) return -1;
    if (d->dg && d->dg->listening && d->dg->hs->trace_on) /* DTLSv1_listen reports only its header */
        tlshs__trace_sent_verify_request(d->dg->hs, (const unsigned char *)data, (size_t)len);
    if (d->fd >= 0) {
        ssize_t n = send(d->fd, data, (size_t)len, MSG_NOSIGNAL);
        if (n < 0 && retryable(errno)) BIO_set_retry_write(b);
        return (int)n;
    }
    return enqueue(d, data, (size_t)len) ? -1 : len;
}

static int dgram_read(BIO *b, char *buf, int len) {
    struct dgram_bio *d = BIO_get_data(b);
    size_t n;
    BIO_clear_retry_flags(b);
    if (!buf || len < 0) return -1;
    if (d->fd >= 0) {
        ssize_t r = recv(d->fd, buf, (size_t)len, 0); /* a longer datagram is cut, as UDP does */
        if (r < 0 && retryable(errno)) BIO_set_retry_read(b);
        return (int)r;
    }
    if (!d->head) {
        if (d->eof) return 0;
        BIO_set_retry_read(b);
        return -1;
    }
    n = d->head->len < (size_t)len ? d->head->len : (size_t)len; /* the rest is lost, as UDP does */
    dequeue(d, buf, n);
    return (int)n;
}

static int dgram_puts(BIO *b, const char *s) {
    return dgram_write(b, s, (int)strlen(s));
}

static long dgram_ctrl(BIO *b, int cmd, long num, void *ptr) {
    struct dgram_bio *d = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_PENDING: /* the next datagram's size, as tlshs_pending says */
        return d->fd < 0 && d->head ? (long)d->head->len : 0;
    case BIO_CTRL_WPENDING: /* nothing is held back: OpenSSL packs datagrams by it */
        return 0;
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_EOF:
        return d->fd < 0 && d->eof && !d->head;
    case BIO_C_SET_BUF_MEM_EOF_RETURN: /* tlshs_feed_eof */
        d->eof = num == 0;
        return 1;
    case BIO_C_GET_FD:
        if (ptr && d->fd >= 0) *(int *)ptr = d->fd;
        return d->fd;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        if (DEADLINE_IN_REACH && d->dg) d->dg->ossl_deadline = ptr;
        return 1;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: /* mtu is the UDP payload */
        return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
    default:
        return 0;
    }
}

static int dgram_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

static int dgram_destroy(BIO *b) {
    struct dgram_bio *d = BIO_get_data(b);
    if (!d) return 1;
    while (d->head) {
        struct dgram *g = d->head;
        d->head = g->next;
        free(g);
    }
    free(d);
    BIO_set_data(b, NULL);
    return 1;
}

static void make_method(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "tlshs datagram");
    if (m && BIO_meth_set_write(m, dgram_write) && BIO_meth_set_read(m, dgram_read) &&
        BIO_meth_set_puts(m, dgram_puts) && BIO_meth_set_ctrl(m, dgram_ctrl) &&
        BIO_meth_set_create(m, dgram_create) && BIO_meth_set_destroy(m, dgram_destroy)) {
        dgram_method = m;
        return;
    }
    BIO_meth_free(m);
}

__attribute__((destructor)) static void free_method(void) {
    BIO_meth_free(dgram_method);
    dgram_method = NULL;
}

BIO *tlshs__dgram_bio(struct tlshs_dgram *dg, int fd) {
    BIO *b;
    struct dgram_bio *d;
    if (!CRYPTO_THREAD_run_once(&dgram_method_once, make_method) || !dgram_method) return NULL;
    if (!(d = calloc(1, sizeof *d))) return NULL;
    d->fd = fd;
    d->dg = dg;
    if (!(b = BIO_new(dgram_method))) {
        free(d);
        return NULL;
    }
    BIO_set_data(b, d);
    return b;
}

int tlshs__dgram_push(BIO *b, const void *data, size_t len) {
    return enqueue(BIO_get_data(b), data, len);
}

size_t tlshs__dgram_next(BIO *b) {
    const struct dgram_bio *d = BIO_get_data(b);
    return d && d->head ? d->head->len : 0;
}

size_t tlshs__dgram_pop(BIO *b, void *buf, size_t cap) {
    struct dgram_bio *d = BIO_get_data(b);
    size_t n = d && d->head ? d->head->len : 0;
    if (n && n <= cap) dequeue(d, buf, n);
    return n;
}

int tlshs_set_peer(tlshs *hs, const void *peer, size_t len) { /* see tlshs.h */
    if (!hs) return -1;
    tlshs__begin(hs);
    if (!hs->dg || hs->started) {
        tlshs__usage(hs, TLSHS_E_STATE, "set_peer: %s", hs->dg ? "the handshake has started"
                                                        : "only a datagram handshake has a peer address");
        return -1;
    }
    if (!peer || len == 0 || len > sizeof hs->dg->peer) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "set_peer: the address must be 1 to %zu bytes",
                     sizeof hs->dg->peer);
        return -1;
    }
    memcpy(hs->dg->peer, peer, len);
    hs->dg->peer_len = len;
    return 0;
}

/* ---- the timer ---- */

static unsigned long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000u + (unsigned long long)t.tv_nsec / 1000000u;
}

unsigned int tlshs__dtls_timer(SSL *ssl, unsigned int previous_us) {
    tlshs *hs = SSL_get_app_data(ssl);
    struct tlshs_dgram *dg = hs ? hs->dg : NULL;
    if (!dg) return previous_us ? previous_us * 2 : 1000000u; /* not ours: OpenSSL's own schedule */
    if (previous_us == 0) /* a new flight */
        dg->dur_ms = hs->cfg->retransmit_ms ? hs->cfg->retransmit_ms : 1000;
    else /* a timeout fired */
        dg->dur_ms = dg->dur_ms * 2 > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : dg->dur_ms * 2;
    dg->deadline_ms = now_ms() + (unsigned long long)dg->dur_ms;
    dg->spent_ms = 0;
    return DEADLINE_IN_REACH ? FAR_AWAY_US : (unsigned int)dg->dur_ms * 1000u;
}

long tlshs_timeout_ms(const tlshs *hs) { /* see tlshs.h */
    struct timeval left;
    unsigned long long now;
    if (!hs || !hs->dg || hs->phase == PHASE_CLOSED || hs->phase == PHASE_FLUSH_CLOSE ||
        !DTLSv1_get_timeout(hs->ssl, &left))
        return -1; /* a closed handshake keeps OpenSSL's timer, but none runs */
    now = now_ms();
    return hs->dg->deadline_ms > now ? (long)(hs->dg->deadline_ms - now) : 0;
}

void tlshs__dtls_timer_expire(tlshs *hs) {
    struct timeval left;
#if DEADLINE_IN_REACH
    struct timeval *deadline = hs->dg->ossl_deadline;
    if (deadline && (deadline->tv_sec || deadline->tv_usec)) {
        deadline->tv_sec = 1; /* long past, and not 0.0 (which means "no timer") */
        deadline->tv_usec = 0;
        return;
    }
#endif
    /* wait until OpenSSL counts it due (15 ms or less left) */
    for (int i = 0; i < 100 && DTLSv1_get_timeout(hs->ssl, &left) && (left.tv_sec || left.tv_usec); i++) {
        struct timespec t = {left.tv_sec, (long)left.tv_usec * 1000L};
        nanosleep(&t, NULL);
    }
}
