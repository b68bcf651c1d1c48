/*
 * tlshs_internal.h - private declarations shared by the files of csrc.
 * Nothing here is part of the public API.
 *
 * Which file owns what (one concern a file), in layers from the ground up:
 * a file uses only files above it in this list, never one that uses it
 * back (make test-layers reads this from the objects with nm):
 *   errors.c         messages and codes: why a call failed (the ground floor)
 *   version.c        the OpenSSL running against the one built for
 *   names.c          alert, handshake, result, error-code and role tables
 *   registry.c       IANA names for what a hello carries
 *   hello.c          parsing ClientHello/ServerHello; JA3, JA4, JA3S
 *   record.c         records: split, write, refragment
 *   record_dtls.c    DTLS records and fragments: split, write, refragment
 *   files.c          the files keys name, the key log, writes without SIGPIPE
 *   verify.c         the verify callback; sessions a client may resume
 *   certs.c          the config's own certificates, self-signed, OCSP
 *   extensions.c     custom extensions: the key's items, the callbacks
 *   pcapng.c         the pcapng writer
 *   keys_datagram.c  the transport key and the datagram keys; the
 *                    version and cipher keys as the transport makes them
 *   keys.c           the key table's setters, tlshs_config_set
 *   config.c         tlshs_config: new, free, the check, the freeze
 *   capture.c        tlshs_set_capture: BIOs hooked, keylog installed
 *   hello_api.c      the hellos on a handshake
 *   cookie.c         a DTLS server's stateless HelloVerifyRequest cookies
 *   transport_dgram.c  datagrams: the BIO that keeps their boundaries (memory
 *                    and connected UDP), the retransmission timer's schedule
 *   trace.c          the message callback: alerts, hellos, the trace
 *   hello_cb.c       the server's hello callback, tlshs_use_config
 *   engine.c         a handshake's life and state machine; why it closed
 *   transport_mem.c  memory mode (feed, take)
 *   transport_fd.c   fd mode (set_fd and its BIO)
 *   retransmit.c     tlshs_on_timeout: the script fires the DTLS timer
 *   outcome.c        what a connection says about itself
 *   moves.c          after the handshake: KeyUpdate, renegotiation,
 *                    post-handshake auth, 0-RTT, OCSP
 *   pair.c           tlshs_pair, the two-handshake driver
 * Every pointer field below says who owns what it points at.
 */
#ifndef TLSHS_INTERNAL_H
#define TLSHS_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/types.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tlshs.h"

#define TLSHS_MSGLEN 256 /* room for any error message we make */

/* verify levels of the `verify` key */
enum tlshs_verify { TLSHS_VERIFY_NONE, TLSHS_VERIFY_PEER, TLSHS_VERIFY_REQUIRE };

struct tlshs_config {
    atomic_int refs;        /* the caller's reference plus one per handshake */
    atomic_int in_use;      /* set by the first tlshs_new: read-only from then on */
    CRYPTO_RWLOCK *lock;    /* serialises set, the freeze (the first tlshs_new) and error; owned */
    tlshs_role role;
    SSL_CTX *ctx;           /* owned (SSL_CTX_free at the last reference) */
    enum tlshs_verify verify;
    unsigned has_ca : 1;    /* a ca_* key was given: no system store */
    unsigned has_cert : 1;
    unsigned has_key : 1;
    unsigned has_min : 1;   /* min_version was given (else OpenSSL's floor is our 1.2) */
    unsigned self_signed : 1; /* self_signed made the certificate and key */
    unsigned given_cert : 1;  /* cert_* or key_* gave one */
    unsigned exts_added : 1; /* the extensions were registered with OpenSSL (at the freeze) */
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
    int keylog;             /* keylog_file's fd, opened for appending; owned; -1 if none */
    unsigned char psk[256]; /* the psk key's bytes (psk_len of them); wiped at the free */
    size_t psk_len;         /* 0: no psk */
    char *psk_identity;     /* psk_identity, owned (malloc); NULL if not given */
    unsigned datagram : 1;  /* transport datagram: DTLS 1.2 */
    unsigned no_cookie : 1; /* cookie off */
    unsigned dgram_keys;    /* bits of the datagram keys given (keys_datagram.c) */
    long min_ver, max_ver;  /* min_version, max_version as TLS numbers; 0 if not given */
    char *ciphers, *ciphersuites; /* the keys' values, owned (malloc), NULL if not given:
                                     applied again when the transport changes */
    int mtu;                /* mtu; 0 if not given (1200) */
    int retransmit_ms;      /* retransmit_ms; 0 if not given (1000) */
    unsigned char cookie_secret[32]; /* a datagram server's cookie key, made at the freeze */
    atomic_int keylog_hooked; /* the keylog callback is installed (keylog_file, or a
                               handshake's capture): OpenSSL formats secrets only then */
    /* Why the last failed call on the config failed: written only under
       lock (for writing), read by tlshs_config_error as a copy under it. */
    tlshs_code error_code;
    char error[TLSHS_MSGLEN];
    unsigned long serial;   /* this config's number in the process (from 1), for the
                               per-thread last failure in config.c */
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
    struct tlshs_trace *trace; /* the trace (trace.c); owned, NULL until a message is traced */
    /* Messages are made when first needed (most connections never fail), so
       an object in flight stays small.  Each is NULL (none: ""), TLSHS_MSGLEN
       bytes owned (malloc), or a static "out of memory" text; release with
       tlshs__free_message. */
    char *error;             /* why the connection closed; the first reason stays */
    char *usage;             /* why the last refused call was refused */
    struct tlshs_capture *capture; /* tlshs_set_capture's file; owned, NULL if none */
    struct tlshs_hellos *hellos;   /* the hellos seen (hello_api.c); owned, NULL until one */
    tlshs_hello_cb hello_cb;       /* tlshs_set_hello_cb's callback and argument */
    void *hello_arg;               /* the caller's; never dereferenced here */
    unsigned in_hello_cb : 1;      /* the hello callback is running: tlshs_use_config works */
    tlshs_config *switched_cfg;    /* tlshs_use_config's config; one reference, NULL if none */
    char *hello_reason;            /* tlshs_set_hello_reason's words; owned (malloc), NULL if none */
    struct tlshs_dgram *dg;        /* transport datagram: its state; owned, NULL for a stream */
};

/* A datagram handshake's own state (transport_dgram.c, cookie.c, retransmit.c). */
struct tlshs_dgram {
    long dur_ms;             /* the running timeout's duration (tlshs's schedule) */
    long spent_ms;           /* of it, the virtual time tlshs_pair let pass (pair.c) */
    unsigned long long deadline_ms; /* when it fires, on the monotonic clock in ms */
    void *ossl_deadline;     /* OpenSSL before 3.2: its deadline (struct timeval), as the
                                BIO was told; NULL when out of reach */
    unsigned listening : 1;  /* a server with cookies, before the ClientHello with a valid one */
    tlshs *hs;               /* the handshake this is part of (not a reference) */
    unsigned char peer[128]; /* the peer's address for the cookie (tlshs_set_peer, getpeername) */
    size_t peer_len;
};

/* The text of a message field: "" for none. */
static inline const char *tlshs__text(const char *msg) {
    return msg ? msg : "";
}

/* ---- errors.c: messages and codes (the ground floor) ---- */

/* Frees a message field (error, usage). */
void tlshs__free_message(char *msg);

/* Records why the connection closed (tlshs_error); the first reason stays. */
void tlshs__set_error(tlshs *hs, tlshs_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records why a call on hs was refused (tlshs_usage_error). */
void tlshs__usage(tlshs *hs, tlshs_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats into a fixed buffer of TLSHS_MSGLEN bytes. */
void tlshs__format(char *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The reason OpenSSL left last in its error queue, or fallback. */
const char *tlshs__openssl_reason(const char *fallback);

/* A new config's serial number (from 1): configs are told apart by it. */
unsigned long tlshs__config_serial(void);
/* Records why a call on cfg failed, from a caller that holds cfg->lock for
   writing (every setter, the freeze), or that does not (it takes the lock). */
void tlshs__config_fail_locked(tlshs_config *cfg, tlshs_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tlshs__config_fail(tlshs_config *cfg, tlshs_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A call on cfg succeeded: clears its error (the caller holds the lock). */
void tlshs__config_succeeded_locked(tlshs_config *cfg);

/* Every public call on hs that can be refused starts here: the usage code
   then says whether this call was refused (TLSHS_OK if not), so a binding
   reads it after the call. */
static inline void tlshs__begin(tlshs *hs) {
    if (hs) hs->usage_code = TLSHS_OK;
}

/* A hex digit's value, or -1. */
static inline int tlshs__hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Clears OpenSSL's error queue of this thread; a peek first, because the
   queue is nearly always empty and a full clear walks every slot. */
static inline void tlshs__clear_errors(void) {
    if (ERR_peek_error()) ERR_clear_error();
}

/* trace.c: the message callback every handshake installs (alerts always,
   the hellos, the trace when on); tlshs__trace_free frees the trace. */
void tlshs__trace_free(tlshs *hs);
/* trace.c: the trace's length now, and the last event dropped if it came
   after since and is a received message of that name (what DTLSv1_listen
   reported of the ClientHello it accepted: the handshake reports it again,
   whole) */
size_t tlshs__trace_mark(const tlshs *hs);
void tlshs__trace_drop_received(tlshs *hs, size_t since, const char *name);
/* trace.c: traces the HelloVerifyRequest DTLSv1_listen wrote (a datagram) */
void tlshs__trace_sent_verify_request(tlshs *hs, const unsigned char *dgram, size_t len);
void tlshs__on_message(int write_p, int version, int content_type, const void *buf, size_t len,
                       SSL *ssl, void *arg);

/* names.c */
const char *tlshs__handshake_name(unsigned type);
const char *tlshs__alert_event_name(int level, int code);

/* engine.c: the state machine's parts that moves.c drives too (see engine.c) */
tlshs_result tlshs__settle(tlshs *hs, tlshs_result want);
tlshs_result tlshs__answer_incomplete(tlshs *hs, int ssl_err, int saved_errno);
tlshs_result tlshs__run_handshake(tlshs *hs);

/* ---- extensions.c: custom extensions ---- */

/* Parses the extensions key's TYPE:HEX items (comma-separated) into a new
   array in *out (*count items): NULL, or why not, with *at where it failed. */
const char *tlshs__exts_parse(const char *list, struct custom_ext **out, size_t *count, const char **at);
void tlshs__exts_free(struct custom_ext *exts, size_t n);
/* Registers the config's extensions with OpenSSL (at the freeze): 0 or -1. */
int tlshs__add_custom_exts(tlshs_config *cfg);
/* Frees what the peer sent (tlshs_free). */
void tlshs__free_peer_exts(tlshs *hs);

/* ---- files.c: the files keys name ---- */

/* A whole file in memory, NUL-terminated (for PEM); wiped when freed. */
struct tlshs_file {
    char *data; /* owned (malloc) */
    size_t len, cap;
};

/* Opens path with flags, never blocking, and checks it is a regular file,
   or a directory when dir.  Returns the fd, or -1 after failing cfg with
   TLSHS_E_FILE (the caller holds cfg->lock); key and verb name the key and
   what was tried in the message. */
int tlshs__file_open(tlshs_config *cfg, const char *key, const char *path, int flags, int dir,
                     const char *verb);
/* Reads the regular file path (at most 64 MiB) whole into f; 0, or -1 after
   failing cfg.  Free f with tlshs__file_free. */
int tlshs__file_read(tlshs_config *cfg, const char *key, const char *path, struct tlshs_file *f);
void tlshs__file_free(struct tlshs_file *f);
/* Opens path for appending lines of a log: a regular file (made if need
   be), a character device (a terminal, /dev/null) or a FIFO someone reads;
   never blocking while it opens.  Returns the fd, or -1 after failing
   cfg with TLSHS_E_FILE (a directory, a FIFO no one reads, ...). */
int tlshs__file_open_log(tlshs_config *cfg, const char *key, const char *path);
/* Appends line and a newline to fd, in one write when it fits 511 bytes;
   never raises SIGPIPE (a FIFO whose reader left: the line is lost). */
void tlshs__log_line(int fd, const char *line);
/* write() without raising SIGPIPE on an fd that is not a socket (the key
   log, the fd transport's pipes and ptys); as write() otherwise. */
ssize_t tlshs__write_nosigpipe(int fd, const void *data, size_t len);

/* ---- certs.c: the config's own certificates ---- */

/* A PEM password callback that never prompts: an encrypted key fails to
   load instead of blocking on the terminal. */
int tlshs__no_password(char *buf, int size, int rwflag, void *userdata);
/* Keeps the own certificate's PEM and fingerprint for the getters: 0 or -1. */
int tlshs__note_own_cert(tlshs_config *cfg, X509 *leaf);
/* A throwaway self-signed certificate for name with key; NULL on failure. */
X509 *tlshs__make_self_signed(EVP_PKEY *key, const char *name);
/* The server's OCSP status callback: staples the config's response. */
int tlshs__staple_ocsp(SSL *ssl, void *arg);
/* The own certificates and chains against security level level: 0, or -1
   after failing cfg (the caller holds cfg->lock). */
int tlshs__check_certs_level(tlshs_config *cfg, int level);

/* ---- verify.c: the peer's certificate, and the sessions a client resumes ---- */

/* The verify callback every config installs (and tlshs_use_config). */
int tlshs__on_verify(int ok, X509_STORE_CTX *store);

/* At the freeze of a client config that verifies, gives it a random session
   id context, which its sessions carry and tlshs_set_session requires (see
   verify.c).  Returns 0, or -1 with the reason in cfg. */
int tlshs__bind_sessions(tlshs_config *cfg);

/* Why the client hs must not resume sess, or NULL if it may. */
const char *tlshs__session_refusal(const tlshs *hs, SSL_SESSION *sess);

/* Whether name is an IPv4 or IPv6 address literal. */
int tlshs__is_ip_literal(const char *name);

/* transport_fd.c: a BIO over a non-blocking fd that never raises SIGPIPE; NULL if
   memory ran out */
BIO *tlshs__fd_bio(int fd);

/* ---- transport_dgram.c: datagrams kept whole, and the DTLS timer ---- */

/* The most a UDP datagram carries over IPv4. */
#define TLSHS__MAX_DATAGRAM 65507
/* A datagram BIO of dg: a queue in memory (fd < 0: the script feeds or
   takes each datagram), or a connected UDP socket; NULL if memory ran out. */
BIO *tlshs__dgram_bio(struct tlshs_dgram *dg, int fd);
/* Memory mode: adds one datagram to the rbio's queue (0, or -1 out of memory). */
int tlshs__dgram_push(BIO *b, const void *data, size_t len);
/* Memory mode: the size of the queue's next datagram, 0 when none. */
size_t tlshs__dgram_next(BIO *b);
/* Memory mode: moves the next datagram into buf (cap bytes), or nothing if
   it does not fit; answers its size (0 when none). */
size_t tlshs__dgram_pop(BIO *b, void *buf, size_t cap);
/* OpenSSL's DTLS timer callback (DTLS_set_timer_cb): keeps tlshs's
   schedule and answers the duration OpenSSL should use. */
unsigned int tlshs__dtls_timer(SSL *ssl, unsigned int previous_us);
/* Makes OpenSSL's running timer due now (OpenSSL before 3.2), or waits
   until it is (3.2 and later: the deadline is out of reach). */
void tlshs__dtls_timer_expire(tlshs *hs);

/* cookie.c: a DTLS server's cookie callbacks (SSL_CTX_set_cookie_*_cb) */
int tlshs__cookie_make(SSL *ssl, unsigned char *cookie, unsigned int *len);
int tlshs__cookie_check(SSL *ssl, const unsigned char *cookie, unsigned int len);

/* hello_api.c: the last ClientHello seen, as the message callback gave it
   (NULL if none); valid until the next one. */
const unsigned char *tlshs__hellos_client_raw(const tlshs *hs, size_t *len);

/* keys_datagram.c: the setters of the datagram keys (keys.c's table), and
   the keys that depend on the transport, applied again when it changes */
struct tlshs_key_info;
int tlshs__set_transport(tlshs_config *cfg, const struct tlshs_key_info *k, const char *value);
int tlshs__set_mtu(tlshs_config *cfg, const struct tlshs_key_info *k, const char *value);
int tlshs__set_cookie(tlshs_config *cfg, const struct tlshs_key_info *k, const char *value);
int tlshs__set_retransmit_ms(tlshs_config *cfg, const struct tlshs_key_info *k, const char *value);
int tlshs__set_use_srtp(tlshs_config *cfg, const struct tlshs_key_info *k, const char *value);
/* Applies min_ver and max_ver as the transport reads them: 0, or -1 after
   failing cfg naming key (then nothing was applied). */
int tlshs__apply_versions(tlshs_config *cfg, const char *key);
/* The freeze's check of the datagram keys on a stream config: 0 or -1. */
int tlshs__check_datagram_keys(tlshs_config *cfg);

/* config.c: the freeze (see config.c); on_hello is the server's ClientHello
   callback (hello_cb.c), installed by the first freeze of a server config,
   and the cookie callbacks (cookie.c) those of a datagram server with
   cookies */
struct tlshs__server_callbacks {
    SSL_client_hello_cb_fn on_hello;
    int (*cookie_make)(SSL *, unsigned char *, unsigned int *);
    int (*cookie_check)(SSL *, const unsigned char *, unsigned int);
};
int tlshs__config_freeze(tlshs_config *cfg, const struct tlshs__server_callbacks *cbs);
/* hello_cb.c: the callbacks every freeze installs (hello_cb.c, cookie.c) */
extern const struct tlshs__server_callbacks tlshs__server_cbs;

/* ---- capture.c: a pcapng file of one connection, with its secrets ----
   One synthetic TCP conversation (10.0.0.1:49152 -> 10.0.0.2:443, raw IPv4;
   for a datagram handshake UDP datagrams, 10.0.0.1:49152 -> 10.0.0.2:4433)
   that tshark and Wireshark decrypt with no key log file.  Every function
   takes NULL as a no-op returning 0.  A failed write is sticky: that call and
   every later one returns -1 with errno set to the first failure, and nothing
   more is written; the capture never affects the handshake.
   What the engine calls, and when:
   - data: every byte OpenSSL reads or writes, where it does: a BIO callback
     on the SSL's rbio and wbio (memory mode: the memory BIOs, so received
     bytes are captured as OpenSSL consumes them, not at tlshs_feed; fd mode:
     the fd BIO).  Capturing at consumption is what keeps a TLS 1.3 client's
     handshake secrets ahead of the records they decrypt.
   - secret: each line from the keylog callback (SSL_CTX_set_keylog_callback,
     the SSL's handshake found through its app data), as it comes.
   - flush: at the end of every public call that can move bytes (step, read,
     write, shutdown, and take/feed for memory mode), so the file is complete.
   - close: at tlshs_free (or when the connection is over). */
struct tlshs_capture;

/* Creates or truncates the file at path and writes the section and interface
   headers and the TCP three-way handshake.  Returns the capture (free it with
   tlshs__capture_close), or NULL with errno set and a message in err (errlen
   bytes, NUL-terminated; err may be NULL). */
/* Hooks hs's BIOs to its capture at its first step (the transport is fixed by
   then); no-op without a capture. */
void tlshs__capture_attach(tlshs *hs);

/* config.c: installs the config's keylog callback (once; it also feeds
   captures).  The callback makes OpenSSL format every secret, 7% of a
   handshake, so only configs that log or capture pay for it. */
void tlshs__config_hook_keylog(tlshs_config *cfg);

/* keys.c: OpenSSL's keylog callback: each secret to the keylog_file and to
   the handshake's capture (a Decryption Secrets Block). */
void tlshs__keylog_line(const SSL *ssl, const char *line);
/* keys.c: a protocol version's name as the version keys spell it ("1.2"), "?". */
const char *tlshs__version_name(long number);

struct tlshs_capture *tlshs__capture_open(const char *path, char *err, size_t errlen);
/* The same for a datagram handshake: UDP packets, one per datagram handed to
   tlshs__capture_data, from the client 10.0.0.1:49152 to the server
   10.0.0.2:4433 (a port Wireshark's DTLS heuristic takes), no connection
   set-up or tear-down; a direction's datagrams are held back as segments are. */
struct tlshs_capture *tlshs__capture_open_datagram(const char *path, char *err, size_t errlen);

/* Adds len bytes sent by the client (from_client != 0) or by the server.
   Bytes are coalesced into segments of up to 16000 bytes, written when a
   segment is full, when the direction changes, and at tlshs__capture_flush.
   Returns 0, or -1 with errno set. */
int tlshs__capture_data(struct tlshs_capture *cap, int from_client, const void *buf, size_t len);

/* Writes a Decryption Secrets Block holding one NSS key log line (without
   its newline, as OpenSSL's keylog callback gives it; a newline is added),
   ahead of any data still pending, and flushes the file.  Returns 0, or -1
   with errno set (EINVAL for a NULL line). */
int tlshs__capture_secret(struct tlshs_capture *cap, const char *keylog_line);

/* Writes the pending data and flushes the file: it is then complete and
   readable.  Returns 0, or -1 with errno set. */
int tlshs__capture_flush(struct tlshs_capture *cap);

/* Every public call that moves bytes returns through this: the capture
   coalesces what one call moves (so a secret derived while reading lands
   ahead of the records it decrypts) and is made complete on disk here. */
static inline tlshs_result tlshs__call_done(tlshs *hs, tlshs_result r) {
    if (hs && hs->capture) tlshs__capture_flush(hs->capture);
    return r;
}

/* Writes the pending data and a FIN exchange (client FIN, server FIN, client
   ACK), closes the file and frees cap.  Returns 0, or -1 with errno set if
   this or any earlier write failed (cap is freed either way). */
int tlshs__capture_close(struct tlshs_capture *cap);

/* hello_api.c: the message callback hands it every ClientHello and
   ServerHello (copied; parsed when first asked for); tlshs_free frees them. */
void tlshs__hellos_record(tlshs *hs, const unsigned char *msg, size_t len);
/* hello.c: whether a handshake message is a HelloRetryRequest (a ServerHello
   with RFC 8446's special random). */
int tlshs__is_hrr(const unsigned char *msg, size_t len);
void tlshs__hellos_free(tlshs *hs);
/* hello_cb.c: OpenSSL's ClientHello callback, which the freeze installs on
   every server config: runs tlshs_set_hello_cb's callback. */
int tlshs__on_client_hello(SSL *ssl, int *alert, void *arg);

/* hello.c: the ClientHello and the ServerHello, parsed from their messages.
   The messages are hostile input: every length is checked against its
   container, nothing is read past len, and a message that does not parse
   leaves nothing reported. */

/* A parsed ClientHello: the public view and the one block of memory it
   points into.  Zero-initialise it; parse as often as needed (the block is
   reused); tlshs__hello_clear frees it (safe twice). */
struct tlshs_hello_store {
    tlshs_hello view;   /* valid while parsed */
    int parsed;         /* 1 after a successful parse */
    unsigned char *mem; /* arrays, the copy of raw, strings */
    size_t cap;
    EVP_MD_CTX *md_ctx; /* kept for the fingerprints' digests */
};

/* tlshs__hello_parse and tlshs__server_hello_parse answer 0, or one of these. */
#define TLSHS__HELLO_MALFORMED (-1) /* not a well-formed hello message */
#define TLSHS__HELLO_NOMEM (-2)     /* memory ran out */

/* Parses a whole ClientHello handshake message (its 4-byte header included,
   as the message callback gives it; with dtls a DTLS one: its 12-byte header
   and the cookie) into st, replacing what st held.  On failure st reports
   nothing (tlshs__hello_get answers NULL). */
int tlshs__hello_parse(struct tlshs_hello_store *st, const unsigned char *msg, size_t len,
                       int dtls);
/* The parsed hello, or NULL if none; valid until the next parse or clear of st. */
const tlshs_hello *tlshs__hello_get(const struct tlshs_hello_store *st);
/* Frees st's memory; st then reports nothing.  Safe twice. */
void tlshs__hello_clear(struct tlshs_hello_store *st);

/* A parsed ServerHello (or HelloRetryRequest).  Zero-initialise it, as above. */
struct tlshs_server_hello {
    int parsed;              /* 1 after a successful parse */
    unsigned legacy_version; /* the ServerHello's legacy_version */
    unsigned cipher;         /* the cipher suite chosen */
    unsigned version;        /* supported_versions' selected_version, 0 without it */
    int hrr;                 /* 1 if this is a HelloRetryRequest (RFC 8446 4.1.3) */
    char *ja3s;              /* "771,4865,43-51": legacy_version,cipher,extensions */
    size_t ja3s_cap;
    char ja3s_hash[33];      /* its MD5 in lowercase hex; "" without MD5 */
    EVP_MD_CTX *md_ctx;      /* kept for the digest */
};

/* Parses a whole ServerHello handshake message (4-byte header included;
   with dtls a DTLS one, with its 12-byte header) into sh, replacing what it
   held; on failure sh->parsed is 0. */
int tlshs__server_hello_parse(struct tlshs_server_hello *sh, const unsigned char *msg, size_t len,
                              int dtls);
/* Frees sh's memory; sh->parsed becomes 0.  Safe twice. */
void tlshs__server_hello_clear(struct tlshs_server_hello *sh);

#endif
