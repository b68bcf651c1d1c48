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
    unsigned has_min : 1;
    unsigned self_signed : 1; /* self_signed made the certificate and key */
    unsigned given_cert : 1;  /* cert_* or key_* gave one */
    unsigned exts_added : 1; /* the extensions were registered with OpenSSL (at the freeze) */   /* min_version was given (else OpenSSL's floor is our 1.2) */
    const char *cert_key;   /* the key that gave the certificate ("cert_file", "cert_pem"); static */
    const char *key_key;    /* the key that gave the private key ("key_file", "key_pem"); static */
    int security_level;     /* security_level, applied at the freeze; -1 if not given */
    int num_tickets;        /* num_tickets, applied at the freeze; -1 if not given */
    unsigned char *ocsp;    /* ocsp_response_file's DER, owned; NULL if none */
    size_t ocsp_len;
    struct custom_ext *exts; /* the extensions key's items, owned; NULL if none */
    size_t nexts;
    char *cert_pem;         /* the own certificate as PEM, owned (malloc); NULL if none */
    char fingerprint[96];   /* its SHA-256 fingerprint, "AB:CD:..."; "" if none */
    EVP_PKEY *dh_params;    /* dh_params_file's parameters, owned; applied at the freeze */
    unsigned char *alpn;    /* wire format (length-prefixed), NULL if none; owned */
    size_t alpn_len;
    FILE *keylog;           /* keylog_file, opened for appending; owned */
    /* Why the last failed call on the config failed: written only under
       lock (for writing), read by tlshs_config_error as a copy under it. */
    tlshs_code error_code;
    char error[TLSHS_MSGLEN];
};

/* One item of the extensions key: a type this side sends, with its data. */
struct custom_ext {
    unsigned type;
    unsigned char *data; /* owned (malloc); NULL when len is 0 */
    size_t len;
};

/* One custom extension received from the peer (a type named in extensions). */
struct peer_ext {
    unsigned type;
    unsigned char *data; /* owned (malloc); NULL when len is 0 */
    size_t len;
};

/* A move after the handshake whose message has not yet left (moves.c). */
enum tlshs_move { MOVE_NONE, MOVE_KEY_UPDATE, MOVE_RENEGOTIATE, MOVE_CERT_REQUEST };

/* Where a handshake object stands.  See tlshs_step in engine.c. */
enum tlshs_phase {
    PHASE_HANDSHAKE,   /* handshake running */
    PHASE_FLUSH_DONE,  /* complete; the final flight still waits to be taken */
    PHASE_OPEN,        /* DONE reported: read, write, shutdown */
    PHASE_FLUSH_CLOSE, /* over; an alert or close_notify still waits to be taken */
    PHASE_CLOSED       /* CLOSED reported */
};

struct tlshs {
    tlshs_config *cfg;       /* one reference, dropped by tlshs_free */
    SSL *ssl;                /* owned */
    BIO *rbio, *wbio;        /* memory mode: owned by ssl; NULL in fd mode */
    enum tlshs_phase phase;
    tlshs_result last;
    unsigned fd_mode : 1;
    unsigned started : 1;    /* the first step has run */
    unsigned eof_fed : 1;
    unsigned complete : 1;   /* the handshake completed (even if later closed) */
    unsigned trace_on : 1;
    unsigned early_writing : 1; /* a client wrote 0-RTT data and has not stepped since */
    unsigned early_reading : 1; /* a server reads 0-RTT data (tlshs_read_early)... */
    unsigned early_over : 1;    /* ...and the early data has ended */
    unsigned char move;      /* enum tlshs_move: the move under way */
    int alert_sent, alert_received;
    int alert_received_fatal;
    tlshs_code error_code;   /* the code of error */
    tlshs_code usage_code;   /* the code of usage */
    char *server_name;       /* a client's name for the server; owned (malloc) */
    X509 *peer_seen;         /* the last leaf the peer presented, as verified; one reference */
    struct peer_der {        /* the DER of a peer certificate, made on tlshs_peer_cert */
        unsigned char *der;  /* owned (OPENSSL_free) */
        size_t len;
        const X509 *of;      /* the certificate it encodes (not a reference: compared only) */
    } peer_store, *peer;     /* peer points at peer_store: a const getter fills it */
    struct peer_ext *peer_exts; /* the peer's custom extensions; owned (malloc) */
    size_t npeer_exts;
    char *alpn;              /* the selected protocol, NUL-terminated; owned (malloc), NULL if none */
    tlshs_event *events;     /* the trace; owned (malloc) */
    size_t nevents, cap_events;
    /* Messages are made when first needed (most connections never fail), so
       an object in flight stays small.  Each is NULL (none: ""), TLSHS_MSGLEN
       bytes owned (malloc), or a static "out of memory" text; release with
       tlshs__free_message. */
    char *error;             /* why the connection closed; the first reason stays */
    char *usage;             /* why the last refused call was refused */
};

/* The text of a message field: "" for none. */
static inline const char *tlshs__text(const char *msg) {
    return msg ? msg : "";
}

/* engine.c: frees a message field (error, usage). */
void tlshs__free_message(char *msg);

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

/* engine.c: the state machine's parts that moves.c drives too (see engine.c) */
tlshs_result tlshs__settle(tlshs *hs, tlshs_result want);
tlshs_result tlshs__answer_incomplete(tlshs *hs, int ssl_err, int saved_errno);
tlshs_result tlshs__run_handshake(tlshs *hs);

/* moves.c: the custom extension callbacks a config with extensions installs,
   and the release of an object's received extensions */
int tlshs__add_custom_exts(tlshs_config *cfg);
void tlshs__free_peer_exts(tlshs *hs);

/* engine.c: the verify callback every config installs */
int tlshs__on_verify(int ok, X509_STORE_CTX *store);

/* engine.c: at the freeze of a client config that verifies, gives it a
   random session id context, which its sessions carry and tlshs_set_session
   requires (see engine.c).  Returns 0, or -1 with the reason in cfg. */
int tlshs__bind_sessions(tlshs_config *cfg);

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
