/*
 * hello_cb.c - a server's look at the ClientHello before it answers.
 *
 * The hello callback runs from OpenSSL's ClientHello callback, which the
 * first handshake of every server config installs at the freeze: before
 * version, cipher and certificate are chosen, so tlshs_use_config can still
 * switch the config.
 */
#include <stdlib.h>
#include <string.h>

#include "tlshs_internal.h"

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
    /* a refusal inside the callback (tlshs_use_config) was read there: the
       call that drove the handshake here was not refused */
    hs->usage_code = TLSHS_OK;
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

const struct tlshs__server_callbacks tlshs__server_cbs = {tlshs__on_client_hello, tlshs__cookie_make,
                                                         tlshs__cookie_check};

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
    if (cfg->datagram != hs->cfg->datagram) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "use_config: the config's transport is %s, the handshake's %s",
                     cfg->datagram ? "datagram" : "stream", hs->cfg->datagram ? "datagram" : "stream");
        return -1;
    }
    if (tlshs__config_freeze(cfg, &tlshs__server_cbs) != 0) {
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
