/*
 * hello_api.c - the hellos as a handshake object shows them (a server's
 * look at the ClientHello before it answers is hello_cb.c).
 *
 * The message callback (trace.c) hands over every ClientHello and
 * ServerHello as it is sent or received; they are copied, and parsed
 * (hello.c: fields, JA3, JA4, JA3S) only when someone asks, because the
 * parse with its digests costs about 0.4% of a handshake and most
 * connections never ask.
 */
#include <stdlib.h>
#include <string.h>

#include "tlshs_internal.h"

/* One message kept as it was seen, and its parse, made on first request. */
struct kept {
    unsigned char *msg; /* owned (malloc) */
    size_t len;
    int state;          /* 0 not parsed yet, 1 parsed, -1 does not parse */
};

/* The parses, made on the first request (a connection in flight holds only
   the kept messages: 48 bytes and the hellos themselves). */
struct parses {
    struct tlshs_hello_store ch;  /* the ClientHello's parse */
    struct tlshs_server_hello sh; /* the ServerHello's parse */
};

struct tlshs_hellos {
    struct kept client, server;
    int dtls;         /* the messages are DTLS ones (12-byte headers, the cookie) */
    struct parses *p; /* owned; NULL until something is parsed */
};

static int keep(struct kept *k, const unsigned char *msg, size_t len) {
    if (len > k->len || !k->msg) {
        unsigned char *m = realloc(k->msg, len);
        if (!m) return -1;
        k->msg = m;
    }
    memcpy(k->msg, msg, len);
    k->len = len;
    k->state = 0;
    return 0;
}

void tlshs__hellos_record(tlshs *hs, const unsigned char *msg, size_t len) {
    /* a HelloRetryRequest is not a ServerHello for JA3S; the second
       ClientHello follows (DTLS 1.2 has none: its HelloVerifyRequest is a
       message of its own type) */
    if (!hs->dg && tlshs__is_hrr(msg, len)) return;
    if (!hs->hellos && !(hs->hellos = calloc(1, sizeof *hs->hellos))) return;
    /* out of memory: the hello is simply not available */
    hs->hellos->dtls = hs->dg != NULL;
    keep(msg[0] == SSL3_MT_CLIENT_HELLO ? &hs->hellos->client : &hs->hellos->server, msg, len);
}

void tlshs__hellos_free(tlshs *hs) {
    struct tlshs_hellos *h = hs->hellos;
    if (h) {
        free(h->client.msg);
        free(h->server.msg);
        if (h->p) {
            tlshs__hello_clear(&h->p->ch);
            tlshs__server_hello_clear(&h->p->sh);
            free(h->p);
        }
        free(h);
        hs->hellos = NULL;
    }
    tlshs_config_free(hs->switched_cfg);
    hs->switched_cfg = NULL;
    free(hs->hello_reason);
    hs->hello_reason = NULL;
}

/* Parses a kept message once; answers 1 if its parse is there. */
static int parsed(struct tlshs_hellos *h, int client) {
    struct kept *k = client ? &h->client : &h->server;
    if (!k->msg) return 0;
    if (!h->p && !(h->p = calloc(1, sizeof *h->p))) return 0;
    if (k->state == 0) {
        int r = client ? tlshs__hello_parse(&h->p->ch, k->msg, k->len, h->dtls)
                       : tlshs__server_hello_parse(&h->p->sh, k->msg, k->len, h->dtls);
        k->state = r == 0 ? 1 : -1;
    }
    return k->state == 1;
}

const tlshs_hello *tlshs_client_hello(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->hellos && parsed(hs->hellos, 1) ? tlshs__hello_get(&hs->hellos->p->ch) : NULL;
}

const char *tlshs_ja3s(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->hellos && parsed(hs->hellos, 0) ? hs->hellos->p->sh.ja3s : NULL;
}

const char *tlshs_ja3s_hash(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->hellos && parsed(hs->hellos, 0) ? hs->hellos->p->sh.ja3s_hash : NULL;
}

const unsigned char *tlshs__hellos_client_raw(const tlshs *hs, size_t *len) {
    if (!hs->hellos || !hs->hellos->client.msg) return NULL;
    *len = hs->hellos->client.len;
    return hs->hellos->client.msg;
}
