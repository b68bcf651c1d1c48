/*
 * hello_api.c - the hellos as a handshake object shows them, and a server's
 * look at the ClientHello before it answers.
 *
 * The message callback (trace.c) hands over every ClientHello and
 * ServerHello as it is sent or received; they are copied, and parsed
 * (hello.c: fields, JA3, JA4, JA3S) only when someone asks, because the
 * parse with its digests costs about 0.4% of a handshake and most
 * connections never ask.  A server's hello callback runs from OpenSSL's
 * ClientHello callback, which every server config installs: before version,
 * cipher and certificate are chosen, so tlshs_use_config can still switch
 * the config.
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
    int hrr = tlshs__is_hrr(msg, len);
    if (hrr) return; /* not a ServerHello for JA3S; the second ClientHello follows */
    if (!hs->hellos && !(hs->hellos = calloc(1, sizeof *hs->hellos))) return;
    /* out of memory: the hello is simply not available */
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
        int r = client ? tlshs__hello_parse(&h->p->ch, k->msg, k->len)
                       : tlshs__server_hello_parse(&h->p->sh, k->msg, k->len);
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

/* ---- the server's look at the ClientHello ---- */

int tlshs_set_hello_cb(tlshs *hs, tlshs_hello_cb cb, void *arg) { /* see tlshs.h */
    if (!hs) return -1;
    tlshs__begin(hs);
    if (hs->cfg->role != TLSHS_SERVER || hs->started) {
        tlshs__usage(hs, TLSHS_E_STATE, "set_hello_cb: %s",
                     hs->started ? "the handshake has started"
                                 : "only a server looks at the ClientHello");
        return -1;
    }
    hs->hello_cb = cb;
    hs->hello_arg = arg;
    return 0;
}

int tlshs__on_client_hello(SSL *ssl, int *alert, void *arg) {
    tlshs *hs = SSL_get_app_data(ssl);
    const tlshs_hello *hello;
    int r;
    (void)arg;
    if (!hs || !hs->hello_cb) return SSL_CLIENT_HELLO_SUCCESS;
    hello = tlshs_client_hello(hs);
    if (!hello) { /* OpenSSL took it, our parser did not: never call with garbage */
        tlshs__set_error(hs, TLSHS_E_REFUSED, "refused: the ClientHello could not be parsed");
        *alert = SSL_AD_DECODE_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }
    free(hs->hello_reason);
    hs->hello_reason = NULL;
    hs->in_hello_cb = 1;
    r = hs->hello_cb(hs, hello, hs->hello_arg);
    hs->in_hello_cb = 0;
    if (r == 0) return SSL_CLIENT_HELLO_SUCCESS;
    if (r < 1 || r > 255) r = SSL_AD_INTERNAL_ERROR;
    if (hs->hello_reason)
        tlshs__set_error(hs, TLSHS_E_REFUSED, "%s", hs->hello_reason);
    else
        tlshs__set_error(hs, TLSHS_E_REFUSED, "refused by the hello callback with %s",
                         tlshs_alert_name(r));
    *alert = r;
    return SSL_CLIENT_HELLO_ERROR;
}

int tlshs_set_hello_reason(tlshs *hs, const char *why) { /* see tlshs.h */
    char *copy;
    if (!hs || !why || !hs->in_hello_cb) return -1;
    copy = strndup(why, 255);
    if (!copy) return -1;
    free(hs->hello_reason);
    hs->hello_reason = copy;
    return 0;
}

int tlshs_use_config(tlshs *hs, tlshs_config *cfg) { /* see tlshs.h */
    SSL_CTX *ctx;
    SSL *ssl;
    if (!hs) return -1;
    tlshs__begin(hs);
    if (!hs->in_hello_cb) {
        tlshs__usage(hs, TLSHS_E_STATE, "use_config: only inside the hello callback");
        return -1;
    }
    if (!cfg || cfg->role != TLSHS_SERVER) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "use_config: %s",
                     cfg ? "a client config cannot answer a ClientHello" : "no config given");
        return -1;
    }
    if (tlshs__config_freeze(cfg) != 0) {
        tlshs__usage(hs, TLSHS_E_INCOMPLETE, "use_config: %s", tlshs_config_error(cfg));
        return -1;
    }
    ssl = hs->ssl;
    ctx = cfg->ctx;
    if (!SSL_set_SSL_CTX(ssl, ctx)) { /* certificate, key, chain, session id context */
        tlshs__clear_errors();
        tlshs__usage(hs, TLSHS_E_NOMEM, "use_config: out of memory");
        return -1;
    }
    /* what SSL_new copied from the first config's context */
    SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(ctx));
    SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(ctx));
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), tlshs__on_verify);
    SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
    SSL_clear_options(ssl, SSL_get_options(ssl) & ~SSL_CTX_get_options(ctx));
    SSL_set_options(ssl, SSL_CTX_get_options(ctx));
    SSL_set_num_tickets(ssl, SSL_CTX_get_num_tickets(ctx));
    SSL_set_security_level(ssl, SSL_CTX_get_security_level(ctx));
    atomic_fetch_add(&cfg->refs, 1);
    tlshs_config_free(hs->switched_cfg);
    hs->switched_cfg = cfg;
    return 0;
}
