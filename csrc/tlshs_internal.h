/*
 * tlshs_internal.h - private declarations shared by the files of csrc.
 * Nothing here is part of the public API.
 */
#ifndef TLSHS_INTERNAL_H
#define TLSHS_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tlshs.h"

#define TLSHS_MSGLEN 256 /* room for any error message we make */

/* verify levels of the `verify` key */
enum tlshs_verify { TLSHS_VERIFY_NONE, TLSHS_VERIFY_PEER, TLSHS_VERIFY_REQUIRE };

struct tlshs_config {
    atomic_int refs;        /* the caller's reference plus one per handshake */
    atomic_int in_use;      /* set by the first tlshs_new: read-only from then on */
    CRYPTO_RWLOCK *lock;    /* serialises set, the freeze (the first tlshs_new) and error */
    tlshs_role role;
    SSL_CTX *ctx;
    enum tlshs_verify verify;
    unsigned has_ca : 1;    /* a ca_* key was given: no system store */
    unsigned has_cert : 1;
    unsigned has_key : 1;
    unsigned has_min : 1;   /* min_version was given (else OpenSSL's floor is our 1.2) */
    const char *cert_key;   /* the key that gave the certificate ("cert_file", "cert_pem"); static */
    const char *key_key;    /* the key that gave the private key ("key_file", "key_pem"); static */
    int security_level;     /* security_level, applied at the freeze; -1 if not given */
    EVP_PKEY *dh_params;    /* dh_params_file's parameters, owned; applied at the freeze */
    unsigned char *alpn;    /* wire format (length-prefixed), NULL if none; owned */
    size_t alpn_len;
    FILE *keylog;           /* keylog_file, opened for appending; owned */
    /* Why the last failed call on the config failed: written only under
       lock (for writing), read by tlshs_config_error as a copy under it. */
    tlshs_code error_code;
    char error[TLSHS_MSGLEN];
};

/* Where a handshake object stands.  See tlshs_step in engine.c. */
enum tlshs_phase {
    PHASE_HANDSHAKE,   /* handshake running */
    PHASE_FLUSH_DONE,  /* complete; the final flight still waits to be taken */
    PHASE_OPEN,        /* DONE reported: read, write, shutdown */
    PHASE_FLUSH_CLOSE, /* over; an alert or close_notify still waits to be taken */
    PHASE_CLOSED       /* CLOSED reported */
};

struct tlshs {
    tlshs_config *cfg;
    SSL *ssl;
    BIO *rbio, *wbio;        /* memory mode: owned by ssl; NULL in fd mode */
    enum tlshs_phase phase;
    tlshs_result last;
    unsigned fd_mode : 1;
    unsigned started : 1;    /* the first step has run */
    unsigned eof_fed : 1;
    unsigned complete : 1;   /* the handshake completed (even if later closed) */
    unsigned trace_on : 1;
    int alert_sent, alert_received;
    int alert_received_fatal;
    char *server_name;       /* a client's name for the server */
    X509 *peer_seen;         /* the leaf the peer presented, as verified */
    struct peer_der {        /* its DER, made on the first tlshs_peer_cert */
        unsigned char *der;  /* OPENSSL_free */
        size_t len;
    } peer_store, *peer;     /* peer points at peer_store: a const getter fills it */
    char alpn[256];          /* the selected protocol, NUL-terminated */
    tlshs_event *events;
    size_t nevents, cap_events;
    tlshs_code error_code;   /* the code of error */
    tlshs_code usage_code;   /* the code of usage */
    char error[TLSHS_MSGLEN];
    char usage[TLSHS_MSGLEN];
};

/* engine.c: records why a call on hs was refused (tlshs_usage_error). */
void tlshs__usage(tlshs *hs, tlshs_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears OpenSSL's error queue of this thread; a peek first, because the
   queue is nearly always empty and a full clear walks every slot. */
static inline void tlshs__clear_errors(void) {
    if (ERR_peek_error()) ERR_clear_error();
}

/* trace.c: the message callback every handshake installs (alerts always,
   the trace when on). */
void tlshs__on_message(int write_p, int version, int content_type, const void *buf, size_t len,
                       SSL *ssl, void *arg);

/* names.c */
const char *tlshs__handshake_name(unsigned type);
const char *tlshs__alert_event_name(int level, int code);

/* engine.c: the verify callback every config installs */
int tlshs__on_verify(int ok, X509_STORE_CTX *store);

/* transport_fd.c: a BIO over a non-blocking fd that never raises SIGPIPE; NULL if
   memory ran out */
BIO *tlshs__fd_bio(int fd);

/* config.c: the freeze (see config.c), and the config's error set from a
   caller that does not hold cfg->lock (it takes the lock for writing) */
int tlshs__config_freeze(tlshs_config *cfg);
void tlshs__config_fail(tlshs_config *cfg, tlshs_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats into a fixed buffer of TLSHS_MSGLEN bytes. */
void tlshs__format(char *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The reason OpenSSL left last in its error queue, or fallback. */
const char *tlshs__openssl_reason(const char *fallback);

#endif
