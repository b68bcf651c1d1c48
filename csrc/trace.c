/* trace.c - the message callback: alerts always, the trace of messages when on. */
#include <stdlib.h>
#include <string.h>

#include "tlshs_internal.h"

#define MAX_EVENTS 100000 /* a trace stops growing here */

static void add_event(tlshs *hs, int sent, const char *kind, const char *name, size_t length) {
    if (hs->nevents == hs->cap_events) {
        size_t cap = hs->cap_events ? hs->cap_events * 2 : 16;
        tlshs_event *ev;
        if (hs->nevents >= MAX_EVENTS) return;
        ev = realloc(hs->events, cap * sizeof *ev);
        if (!ev) return;
        hs->events = ev;
        hs->cap_events = cap;
    }
    hs->events[hs->nevents++] = (tlshs_event){sent, kind, name, length};
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
            add_event(hs, write_p, "alert", tlshs__alert_event_name(p[0], p[1]), len);
        break;
    case SSL3_RT_HANDSHAKE:
        if (len >= 1 && (p[0] == SSL3_MT_CLIENT_HELLO || p[0] == SSL3_MT_SERVER_HELLO))
            tlshs__hellos_record(hs, p, len);
        if (hs->trace_on && len >= 1) {
            const char *name = tlshs__handshake_name(p[0]);
            if (tlshs__is_hrr(p, len))
                name = "HelloRetryRequest";
            add_event(hs, write_p, "handshake", name, len);
        }
        break;
    case SSL3_RT_CHANGE_CIPHER_SPEC: /* OpenSSL reports only the ones it sends */
        if (hs->trace_on && write_p)
            add_event(hs, 1, "change_cipher_spec", "ChangeCipherSpec", len);
        break;
    case SSL3_RT_HEADER: /* so a received one shows by its record header */
        if (hs->trace_on && !write_p && len >= 5 && p[0] == SSL3_RT_CHANGE_CIPHER_SPEC)
            add_event(hs, 0, "change_cipher_spec", "ChangeCipherSpec", (size_t)p[3] << 8 | p[4]);
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
    return hs ? hs->nevents : 0;
}

const tlshs_event *tlshs_trace_event(const tlshs *hs, size_t i) { /* see tlshs.h */
    return hs && i < hs->nevents ? &hs->events[i] : NULL;
}
