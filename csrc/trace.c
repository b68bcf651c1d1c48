/* trace.c - the message callback: alerts always, the trace of messages when on. */
#include <stdlib.h>
#include <string.h>

#include "tlshs_internal.h"

#define MAX_EVENTS 100000 /* a trace stops growing here */

/* What a ChangeCipherSpec record holds (the only thing OpenSSL accepts). */
static const unsigned char ccs_body[1] = {1};

/* The events, and one block holding their bytes in order (each event's data
   points into it; when the block moves, the pointers follow). */
struct tlshs_trace {
    tlshs_event *events;
    size_t *offsets; /* where each event's bytes start in bytes */
    size_t n, cap;
    unsigned char *bytes;
    size_t used, room;
};

static int reserve_bytes(struct tlshs_trace *t, size_t more) {
    unsigned char *b;
    size_t room = t->room ? t->room : 4096;
    if (t->used + more <= t->room) return 0;
    while (room < t->used + more) room *= 2;
    if (!(b = realloc(t->bytes, room))) return -1;
    t->bytes = b;
    t->room = room;
    for (size_t i = 0; i < t->n; i++) t->events[i].data = b + t->offsets[i];
    return 0;
}

static void add_event(tlshs *hs, int sent, const char *kind, const char *name, const void *data,
                      size_t length) {
    struct tlshs_trace *t = hs->trace;
    if (!t && !(t = hs->trace = calloc(1, sizeof *t))) return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        tlshs_event *ev;
        size_t *off;
        if (t->n >= MAX_EVENTS) return;
        if (!(ev = realloc(t->events, cap * sizeof *ev))) return;
        t->events = ev;
        if (!(off = realloc(t->offsets, cap * sizeof *off))) return;
        t->offsets = off;
        t->cap = cap;
    }
    if (reserve_bytes(t, length) != 0) return;
    memcpy(t->bytes + t->used, data, length);
    t->offsets[t->n] = t->used;
    t->events[t->n++] = (tlshs_event){sent, kind, name, length, t->bytes + t->used};
    t->used += length;
}

void tlshs__trace_free(tlshs *hs) {
    if (!hs->trace) return;
    free(hs->trace->events);
    free(hs->trace->offsets);
    free(hs->trace->bytes);
    free(hs->trace);
    hs->trace = NULL;
}

void tlshs__on_message(int write_p, int version, int content_type, const void *buf, size_t len,
                       SSL *ssl, void *arg) {
    tlshs *hs = arg;
    const unsigned char *p = buf;
    (void)version, (void)ssl;
    switch (content_type) {
    case SSL3_RT_ALERT:
        if (len < 2) return;
        if (write_p) {
            hs->alert_sent = p[1];
        } else {
            hs->alert_received = p[1];
            hs->alert_received_fatal = p[0] == SSL3_AL_FATAL;
        }
        if (hs->trace_on)
            add_event(hs, write_p, "alert", tlshs__alert_event_name(p[0], p[1]), p, len);
        break;
    case SSL3_RT_HANDSHAKE:
        if (len >= 1 && (p[0] == SSL3_MT_CLIENT_HELLO || p[0] == SSL3_MT_SERVER_HELLO))
            tlshs__hellos_record(hs, p, len);
        if (hs->trace_on && len >= 1) {
            const char *name = tlshs__handshake_name(p[0]);
            if (!hs->dg && tlshs__is_hrr(p, len))
                name = "HelloRetryRequest";
            add_event(hs, write_p, "handshake", name, p, len);
        }
        break;
    case SSL3_RT_CHANGE_CIPHER_SPEC: /* OpenSSL reports only the ones it sends */
        if (hs->trace_on && write_p)
            add_event(hs, 1, "change_cipher_spec", "ChangeCipherSpec", p, len);
        break;
    case SSL3_RT_HEADER: /* so a received one shows by its record header */
        if (hs->trace_on && !write_p && len >= 5 && p[0] == SSL3_RT_CHANGE_CIPHER_SPEC)
            add_event(hs, 0, "change_cipher_spec", "ChangeCipherSpec", ccs_body, 1);
        break;
    default: /* inner content types */
        break;
    }
}

int tlshs_set_trace(tlshs *hs, int on) { /* see tlshs.h */
    if (!hs) return -1;
    hs->trace_on = on != 0;
    return 0;
}

size_t tlshs_trace_count(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->trace ? hs->trace->n : 0;
}

const tlshs_event *tlshs_trace_event(const tlshs *hs, size_t i) { /* see tlshs.h */
    return hs && hs->trace && i < hs->trace->n ? &hs->trace->events[i] : NULL;
}

void tlshs__trace_sent_verify_request(tlshs *hs, const unsigned char *dgram, size_t len) {
    /* DTLSv1_listen reports only the record header of the HelloVerifyRequest
       it writes: the message is read from the datagram (a 13-byte record
       header, then the 12-byte handshake header and the body) */
    if (hs->trace_on && len > 13 + 12 && dgram[0] == SSL3_RT_HANDSHAKE &&
        dgram[13] == DTLS1_MT_HELLO_VERIFY_REQUEST)
        add_event(hs, 1, "handshake", "HelloVerifyRequest", dgram + 13, len - 13);
}

size_t tlshs__trace_mark(const tlshs *hs) {
    return hs->trace ? hs->trace->n : 0;
}

void tlshs__trace_drop_received(tlshs *hs, size_t since, const char *name) {
    struct tlshs_trace *t = hs->trace;
    if (!t || t->n <= since) return;
    if (t->events[t->n - 1].sent || strcmp(t->events[t->n - 1].name, name) != 0) return;
    t->n--;
    t->used = t->offsets[t->n];
}
