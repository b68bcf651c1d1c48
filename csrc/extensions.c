/* extensions.c - custom extensions: the extensions key's TYPE:HEX items,
 * their registration with OpenSSL at the freeze, and what the peer sent for
 * those types (tlshs_peer_extension). */
#include <stdlib.h>
#include <string.h>

#include "tlshs_internal.h"

/* ---- the extensions key ---- */

void tlshs__exts_free(struct custom_ext *exts, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(exts[i].data);
    free(exts);
}


/* One "TYPE:HEX" item of len bytes at p into *ext; NULL, or why not. */
static const char *parse_ext(const char *p, size_t len, struct custom_ext *ext) {
    const char *colon = memchr(p, ':', len);
    unsigned long type = 0;
    size_t hex;
    if (!colon || colon == p) return "each item is TYPE:HEX (a decimal type, then its data in hex)";
    for (const char *q = p; q < colon; q++) {
        if (*q < '0' || *q > '9' || (type = type * 10 + (unsigned long)(*q - '0')) > 65535)
            return "the type must be a decimal number from 0 to 65535";
    }
    hex = len - (size_t)(colon + 1 - p);
    if (hex % 2) return "the data must be an even number of hex digits";
    if (hex / 2 > 65535) return "the data is longer than an extension may be (65535 bytes)";
    if (SSL_extension_supported((unsigned)type))
        return "OpenSSL handles that type itself: a custom extension cannot use it";
    ext->type = (unsigned)type;
    ext->len = hex / 2;
    ext->data = ext->len ? malloc(ext->len) : NULL;
    if (ext->len && !ext->data) return "out of memory";
    for (size_t i = 0; i < ext->len; i++) {
        int hi = tlshs__hex_digit(colon[1 + 2 * i]), lo = tlshs__hex_digit(colon[2 + 2 * i]);
        if (hi < 0 || lo < 0) {
            free(ext->data);
            ext->data = NULL;
            return "the data must be hex digits";
        }
        ext->data[i] = (unsigned char)(hi << 4 | lo);
    }
    return NULL;
}

/* see tlshs_internal.h */
const char *tlshs__exts_parse(const char *list, struct custom_ext **out, size_t *count, const char **at) {
    struct custom_ext *exts = NULL;
    size_t n = 0;
    const char *p = list, *why = NULL;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        struct custom_ext *grown = realloc(exts, (n + 1) * sizeof *exts);
        if (!grown) {
            why = "out of memory";
            break;
        }
        exts = grown;
        if ((why = parse_ext(p, len, &exts[n])) != NULL) break;
        for (size_t i = 0; i < n && !why; i++)
            if (exts[i].type == exts[n].type) why = "a type is named twice";
        n++;
        if (why || !comma) break;
        p = comma + 1;
    }
    if (why) {
        tlshs__exts_free(exts, n);
        *at = p;
        return why;
    }
    *out = exts;
    *count = n;
    return NULL;
}

/* ---- what the peer sent ---- */

const unsigned char *tlshs_peer_extension(const tlshs *hs, unsigned type, size_t *len) { /* see tlshs.h */
    if (len) *len = 0;
    for (size_t i = 0; hs && i < hs->npeer_exts; i++) {
        if (hs->peer_exts[i].type == type) {
            if (len) *len = hs->peer_exts[i].len;
            return hs->peer_exts[i].data ? hs->peer_exts[i].data : (const unsigned char *)"";
        }
    }
    return NULL;
}

size_t tlshs_peer_extension_count(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->npeer_exts : 0;
}

long tlshs_peer_extension_type(const tlshs *hs, size_t i) { /* see tlshs.h */
    return hs && i < hs->npeer_exts ? (long)hs->peer_exts[i].type : -1;
}

void tlshs__free_peer_exts(tlshs *hs) {
    for (size_t i = 0; i < hs->npeer_exts; i++)
        free(hs->peer_exts[i].data);
    free(hs->peer_exts);
    hs->peer_exts = NULL;
    hs->npeer_exts = 0;
}

/* ---- the custom extension callbacks ---- */

static int ext_add(SSL *s, unsigned type, unsigned context, const unsigned char **out, size_t *outlen,
                   X509 *x, size_t chainidx, int *al, void *add_arg) {
    const struct custom_ext *ext = add_arg;
    (void)s, (void)type, (void)context, (void)x, (void)chainidx, (void)al;
    *out = ext->data;
    *outlen = ext->len;
    return 1;
}

/* Keeps what the peer sent for a type of ours (the newest, after a
   HelloRetryRequest or a renegotiation). */
static int ext_parse(SSL *s, unsigned type, unsigned context, const unsigned char *in, size_t inlen,
                     X509 *x, size_t chainidx, int *al, void *parse_arg) {
    tlshs *hs = SSL_get_app_data(s);
    struct peer_ext *slot = NULL;
    unsigned char *copy = NULL;
    (void)context, (void)x, (void)chainidx, (void)parse_arg;
    if (!hs) return 1;
    if (inlen && !(copy = malloc(inlen))) {
        *al = SSL_AD_INTERNAL_ERROR;
        return 0;
    }
    if (inlen) memcpy(copy, in, inlen);
    for (size_t i = 0; i < hs->npeer_exts; i++)
        if (hs->peer_exts[i].type == type) slot = &hs->peer_exts[i];
    if (!slot) {
        struct peer_ext *grown = realloc(hs->peer_exts, (hs->npeer_exts + 1) * sizeof *grown);
        if (!grown) {
            free(copy);
            *al = SSL_AD_INTERNAL_ERROR;
            return 0;
        }
        hs->peer_exts = grown;
        slot = &hs->peer_exts[hs->npeer_exts++];
        slot->data = NULL;
    }
    free(slot->data);
    *slot = (struct peer_ext){type, copy, inlen};
    return 1;
}

#define EXT_CONTEXT                                                                                \
    (SSL_EXT_CLIENT_HELLO | SSL_EXT_TLS1_2_SERVER_HELLO | SSL_EXT_TLS1_3_ENCRYPTED_EXTENSIONS)

int tlshs__add_custom_exts(tlshs_config *cfg) {
    /* a server answers only a type the client sent (OpenSSL calls ext_add
       for the server's messages only then) */
    for (size_t i = 0; i < cfg->nexts; i++) {
        if (!SSL_CTX_add_custom_ext(cfg->ctx, cfg->exts[i].type, EXT_CONTEXT, ext_add, NULL, &cfg->exts[i],
                                    ext_parse, NULL))
            return -1;
    }
    return 0;
}
