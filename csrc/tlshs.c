/* tlshs.c - the handshake object: step, transports, read/write/shutdown, outcome. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tlshs_internal.h"

/* The ServerHello.random that marks a HelloRetryRequest (RFC 8446 4.1.3). */
static const unsigned char hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

#define MAX_EVENTS 100000 /* a trace stops growing here */

static void usage(tlshs *hs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void usage(tlshs *hs, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tlshs__format(hs->usage, fmt, ap);
    va_end(ap);
}

/* Clears OpenSSL's error queue of this thread; a peek first, because the
   queue is nearly always empty and a full clear walks every slot. */
static void clear_errors(void) {
    if (ERR_peek_error()) ERR_clear_error();
}

/* ---- the message callback: alerts always, the trace when on ---- */

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

static void on_message(int write_p, int version, int content_type, const void *buf, size_t len,
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
        if (hs->trace_on && len >= 1) {
            const char *name = tlshs__handshake_name(p[0]);
            if (p[0] == SSL3_MT_SERVER_HELLO && len >= 38 && memcmp(p + 6, hrr_random, 32) == 0)
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

/* Keeps the peer's leaf as it is verified, so it can be read even when the
   verification fails (OpenSSL then keeps no peer certificate).  Only a
   reference: the DER is made if someone asks (tlshs_peer_cert). */
int tlshs__on_verify(int ok, X509_STORE_CTX *store) {
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    tlshs *hs = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (hs && leaf && !hs->peer_seen && X509_up_ref(leaf)) hs->peer_seen = leaf;
    return ok;
}

/* ---- life ---- */

static int is_ip_literal(const char *name) {
    unsigned char addr[16];
    return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

/* A client's name for the server: SNI (unless an address) and the name check. */
static int set_server_name(tlshs *hs, const char *name) {
    int check = hs->cfg->verify != TLSHS_VERIFY_NONE;
    hs->server_name = strdup(name);
    if (!hs->server_name) return -1;
    if (is_ip_literal(name))
        return check && !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(hs->ssl), name) ? -1 : 0;
    if (!SSL_set_tlsext_host_name(hs->ssl, hs->server_name)) return -1; /* a macro that drops const */
    return check && !SSL_set1_host(hs->ssl, name) ? -1 : 0;
}

tlshs *tlshs_new(tlshs_config *cfg, const char *server_name) { /* see tlshs.h */
    tlshs *hs;
    if (!cfg) return NULL;
    if (server_name && !*server_name) server_name = NULL;
    clear_errors();
    if (tlshs__config_freeze(cfg)) return NULL;
    if (cfg->role == TLSHS_CLIENT && !server_name && cfg->verify != TLSHS_VERIFY_NONE) {
        tlshs__config_fail(cfg, "server_name: a client that verifies needs the server's name "
                                "(or set verify to none)");
        return NULL;
    }
    hs = calloc(1, sizeof *hs);
    if (!hs) return NULL;
    hs->cfg = cfg;
    atomic_fetch_add(&cfg->refs, 1);
    hs->alert_sent = hs->alert_received = -1;
    hs->peer = &hs->peer_store;
    hs->last = TLSHS_WANT_READ;
    hs->ssl = SSL_new(cfg->ctx);
    hs->rbio = BIO_new(BIO_s_mem());
    hs->wbio = BIO_new(BIO_s_mem());
    if (!hs->ssl || !hs->rbio || !hs->wbio) {
        BIO_free(hs->rbio); /* not yet owned by ssl */
        BIO_free(hs->wbio);
        goto fail;
    }
    BIO_set_mem_eof_return(hs->rbio, -1); /* empty means "no more yet" until feed_eof */
    SSL_set_bio(hs->ssl, hs->rbio, hs->wbio);
    SSL_set_app_data(hs->ssl, hs);
    SSL_set_msg_callback(hs->ssl, on_message);
    SSL_set_msg_callback_arg(hs->ssl, hs);
    if (cfg->role == TLSHS_CLIENT) {
        SSL_set_connect_state(hs->ssl);
        if (server_name && set_server_name(hs, server_name)) {
            tlshs__config_fail(cfg, "server_name: cannot use '%s'", server_name);
            goto fail;
        }
    } else {
        SSL_set_accept_state(hs->ssl);
    }
    clear_errors();
    return hs;
fail:
    tlshs_free(hs);
    clear_errors();
    return NULL;
}

void tlshs_free(tlshs *hs) { /* see tlshs.h */
    if (!hs) return;
    SSL_free(hs->ssl); /* frees the memory BIOs too */
    X509_free(hs->peer_seen);
    OPENSSL_free(hs->peer_store.der);
    free(hs->server_name);
    free(hs->events);
    tlshs_config_free(hs->cfg);
    free(hs);
}

int tlshs_set_fd(tlshs *hs, int fd) { /* see tlshs.h */
    int flags;
    BIO *bio;
    if (!hs) return -1;
    if (hs->started || hs->fd_mode) {
        usage(hs, "set_fd: the transport is fixed once the handshake has started");
        return -1;
    }
    if (fd < 0 || (flags = fcntl(fd, F_GETFL)) < 0) {
        usage(hs, "set_fd: %d is not an open file descriptor", fd);
        return -1;
    }
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        usage(hs, "set_fd: cannot make %d non-blocking: %s", fd, strerror(errno));
        return -1;
    }
    bio = tlshs__fd_bio(fd);
    if (!bio) {
        usage(hs, "set_fd: out of memory");
        ERR_clear_error();
        return -1;
    }
    SSL_set_bio(hs->ssl, bio, bio); /* frees the memory BIOs; one reference for both */
    hs->rbio = hs->wbio = NULL;
    hs->fd_mode = 1;
    return 0;
}

int tlshs_set_session(tlshs *hs, const void *der, size_t len) { /* see tlshs.h */
    const unsigned char *p = der;
    SSL_SESSION *sess;
    int ok;
    if (!hs) return -1;
    if (hs->cfg->role != TLSHS_CLIENT || hs->started) {
        usage(hs, "set_session: only a client, before its first step, can resume a session");
        return -1;
    }
    if (!der || len == 0 || len > LONG_MAX) {
        usage(hs, "set_session: the session is empty");
        return -1;
    }
    ERR_clear_error();
    sess = d2i_SSL_SESSION(NULL, &p, (long)len);
    if (!sess || p != (const unsigned char *)der + len) {
        SSL_SESSION_free(sess);
        ERR_clear_error();
        usage(hs, "set_session: not a DER-encoded TLS session");
        return -1;
    }
    if (!SSL_SESSION_is_resumable(sess)) {
        SSL_SESSION_free(sess);
        usage(hs, "set_session: the session cannot be resumed");
        return -1;
    }
    ok = SSL_set_session(hs->ssl, sess);
    SSL_SESSION_free(sess);
    ERR_clear_error();
    if (!ok) {
        usage(hs, "set_session: the session does not fit this handshake");
        return -1;
    }
    return 0;
}

int tlshs_set_trace(tlshs *hs, int on) { /* see tlshs.h */
    if (!hs) return -1;
    hs->trace_on = on != 0;
    return 0;
}

/* ---- the reason a connection closed ---- */

static void set_error(tlshs *hs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(tlshs *hs, const char *fmt, ...) {
    va_list ap;
    if (hs->error[0]) return; /* the first reason stays */
    va_start(ap, fmt);
    tlshs__format(hs->error, fmt, ap);
    va_end(ap);
}

static int is_eof_reason(unsigned long e) {
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

/* Turns a failed OpenSSL call (its SSL_get_error code) and the error queue
   into hs->error, then clears the queue. */
static void explain_failure(tlshs *hs, int ssl_err, int saved_errno) {
    unsigned long e = ERR_peek_error();
    long vr = SSL_get_verify_result(hs->ssl);
    int eof = is_eof_reason(e) || (ssl_err == SSL_ERROR_SYSCALL && e == 0 && saved_errno == 0);
    if (hs->alert_received >= 0 && hs->alert_received_fatal)
        set_error(hs, "peer sent fatal alert %s", tlshs_alert_name(hs->alert_received));
    else if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
             ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK)
        set_error(hs, "certificate verify failed: %s", X509_verify_cert_error_string(vr));
    else if (eof)
        set_error(hs, hs->complete ? "peer closed the connection without close_notify"
                                   : "peer closed the connection during the handshake");
    else if (ssl_err == SSL_ERROR_SYSCALL && e == 0)
        set_error(hs, "socket error: %s", strerror(saved_errno));
    else if (e && ERR_reason_error_string(e))
        set_error(hs, "%s", ERR_reason_error_string(e));
    else
        set_error(hs, "%s failed", hs->complete ? "connection" : "handshake");
    ERR_clear_error();
}

/* ---- the state machine ---- */

static void capture_outcome(tlshs *hs) {
    const unsigned char *alpn;
    unsigned alpn_len;
    SSL_get0_alpn_selected(hs->ssl, &alpn, &alpn_len);
    if (alpn && alpn_len) {
        memcpy(hs->alpn, alpn, alpn_len); /* alpn_len < 256 by the protocol */
        hs->alpn[alpn_len] = '\0';
    }
}

/* Ends the connection: the reason is kept, any alert left to take. */
static void close_with(tlshs *hs, int ssl_err, int saved_errno) {
    explain_failure(hs, ssl_err, saved_errno);
    capture_outcome(hs);
    hs->phase = PHASE_FLUSH_CLOSE;
}

/* The answer after an OpenSSL call, by the memory-mode rules (pending bytes
   first, then the phase) or, in fd mode, the phase and the call's want. */
static tlshs_result settle(tlshs *hs, tlshs_result want) {
    tlshs_result r = want;
    if (!hs->fd_mode && BIO_ctrl_pending(hs->wbio) > 0) {
        r = TLSHS_WANT_WRITE;
    } else if (hs->phase == PHASE_FLUSH_DONE) {
        hs->phase = PHASE_OPEN;
        r = TLSHS_DONE;
    } else if (hs->phase == PHASE_FLUSH_CLOSE || hs->phase == PHASE_CLOSED) {
        hs->phase = PHASE_CLOSED;
        r = TLSHS_CLOSED;
    }
    return hs->last = r;
}

/* The want of a call that did not complete, or -1 if it failed. */
static int want_of(int ssl_err) {
    switch (ssl_err) {
    case SSL_ERROR_WANT_READ: return TLSHS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return TLSHS_WANT_WRITE;
    default: return -1;
    }
}

/* The answer to an OpenSSL call that did not complete (its SSL_get_error
   code): a want as such, a failure closes with its reason; then the
   memory-mode rules. */
static tlshs_result answer_incomplete(tlshs *hs, int ssl_err, int saved_errno) {
    int want = want_of(ssl_err);
    if (want < 0) close_with(hs, ssl_err, saved_errno);
    return settle(hs, want < 0 ? TLSHS_CLOSED : (tlshs_result)want);
}

static tlshs_result run_handshake(tlshs *hs) {
    int r, saved_errno;
    clear_errors();
    errno = 0;
    if (!hs->started && hs->cfg->role == TLSHS_CLIENT) r = SSL_connect(hs->ssl);
    else r = SSL_do_handshake(hs->ssl);
    saved_errno = errno;
    hs->started = 1;
    if (r == 1) {
        hs->complete = 1;
        capture_outcome(hs);
        hs->phase = PHASE_FLUSH_DONE;
        clear_errors();
        return settle(hs, TLSHS_DONE);
    }
    return answer_incomplete(hs, SSL_get_error(hs->ssl, r), saved_errno);
}

tlshs_result tlshs_step(tlshs *hs) { /* see tlshs.h */
    if (!hs) return TLSHS_CLOSED;
    switch (hs->phase) {
    case PHASE_HANDSHAKE: return run_handshake(hs);
    case PHASE_OPEN: return TLSHS_DONE;
    case PHASE_CLOSED: return TLSHS_CLOSED;
    default: return settle(hs, hs->last);
    }
}

/* Before read, write or shutdown: the handshake must be DONE. Returns DONE
   or the result to answer instead. */
static tlshs_result ensure_open(tlshs *hs) {
    if (hs->phase == PHASE_OPEN) return TLSHS_DONE;
    if (hs->phase == PHASE_CLOSED) return hs->last = TLSHS_CLOSED;
    return tlshs_step(hs);
}

/* OpenSSL sends the KeyUpdate a peer asked for only on its next write; a
   zero-length write sends it now, so a reader that owes one says WANT_WRITE
   (memory) or flushes it to the socket (fd). */
static void send_owed_key_update(tlshs *hs) {
    size_t none;
    if (SSL_get_key_update_type(hs->ssl) == SSL_KEY_UPDATE_NONE) return;
    if (!SSL_write_ex(hs->ssl, "", 0, &none)) clear_errors();
}

tlshs_result tlshs_read(tlshs *hs, void *buf, size_t cap, size_t *n) { /* see tlshs.h */
    size_t got = 0;
    int ok, err, saved_errno;
    tlshs_result r;
    if (n) *n = 0;
    if (!hs) return TLSHS_CLOSED;
    if (!buf || cap == 0) {
        usage(hs, "read: no buffer to read into");
        return TLSHS_CLOSED;
    }
    if ((r = ensure_open(hs)) != TLSHS_DONE) return r;
    clear_errors();
    errno = 0;
    ok = SSL_read_ex(hs->ssl, buf, cap, &got);
    saved_errno = errno;
    err = ok ? SSL_ERROR_NONE : SSL_get_error(hs->ssl, 0); /* before any other call */
    send_owed_key_update(hs);
    if (ok) {
        if (n) *n = got;
        return hs->last = TLSHS_DONE;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
        set_error(hs, "peer sent close_notify");
        hs->phase = PHASE_CLOSED;
        clear_errors();
        return hs->last = TLSHS_CLOSED;
    }
    return answer_incomplete(hs, err, saved_errno);
}

tlshs_result tlshs_write(tlshs *hs, const void *buf, size_t len, size_t *n) { /* see tlshs.h */
    size_t put = 0;
    int ok, err, saved_errno, want;
    tlshs_result r;
    if (n) *n = 0;
    if (!hs) return TLSHS_CLOSED;
    if (!buf && len) {
        usage(hs, "write: no buffer to write from");
        return TLSHS_CLOSED;
    }
    if ((r = ensure_open(hs)) != TLSHS_DONE) return r;
    if (len == 0) return hs->last = TLSHS_DONE;
    clear_errors();
    errno = 0;
    ok = SSL_write_ex(hs->ssl, buf, len, &put);
    saved_errno = errno;
    if (ok) {
        if (n) *n = put;
        return hs->last = TLSHS_DONE;
    }
    err = SSL_get_error(hs->ssl, 0);
    want = want_of(err);
    if (want < 0) close_with(hs, err, saved_errno);
    else clear_errors();
    if (want >= 0) return hs->last = (tlshs_result)want; /* retry with the same buffer */
    return settle(hs, TLSHS_CLOSED);
}

tlshs_result tlshs_shutdown(tlshs *hs) { /* see tlshs.h */
    int r, err, want;
    if (!hs) return TLSHS_CLOSED;
    if (hs->phase == PHASE_FLUSH_CLOSE) return settle(hs, TLSHS_CLOSED);
    if (!hs->complete || (hs->phase == PHASE_CLOSED && !(SSL_get_shutdown(hs->ssl) &
                                                         SSL_RECEIVED_SHUTDOWN))) {
        /* nothing to close politely: not yet open, or over after a failure */
        set_error(hs, "shut down before the handshake completed");
        hs->phase = PHASE_CLOSED;
        return hs->last = TLSHS_CLOSED;
    }
    clear_errors();
    r = SSL_shutdown(hs->ssl);
    if (r < 0) {
        err = SSL_get_error(hs->ssl, r);
        want = want_of(err);
        if (want < 0) {
            /* an error while closing still closes; keep the first reason */
            set_error(hs, "shut down: %s", tlshs__openssl_reason("error while closing"));
            clear_errors();
            hs->phase = PHASE_FLUSH_CLOSE;
            return settle(hs, TLSHS_CLOSED);
        }
        clear_errors();
        return settle(hs, (tlshs_result)want);
    }
    clear_errors();
    if (r == 1) {
        set_error(hs, "shut down: close_notify sent and received");
        hs->phase = PHASE_FLUSH_CLOSE;
        return settle(hs, TLSHS_CLOSED);
    }
    /* ours is out (or pending), the peer's not yet in */
    if (hs->phase == PHASE_FLUSH_DONE) hs->phase = PHASE_OPEN;
    return settle(hs, TLSHS_WANT_READ);
}

/* ---- memory transport ---- */

int tlshs_feed(tlshs *hs, const void *data, size_t len) { /* see tlshs.h */
    const unsigned char *p = data;
    if (!hs) return -1;
    if (hs->fd_mode) {
        usage(hs, "feed: the handshake uses a socket (fd mode)");
        return -1;
    }
    if (!data && len) {
        usage(hs, "feed: data is NULL");
        return -1;
    }
    if (hs->phase == PHASE_CLOSED || hs->phase == PHASE_FLUSH_CLOSE) {
        usage(hs, "feed: the connection is closed (%s)", hs->error);
        return -1;
    }
    if (hs->eof_fed) {
        usage(hs, "feed: the input has ended (feed_eof)");
        return -1;
    }
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        int w = BIO_write(hs->rbio, p, chunk);
        if (w <= 0) {
            clear_errors();
            usage(hs, "feed: out of memory");
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int tlshs_feed_eof(tlshs *hs) { /* see tlshs.h */
    if (!hs) return -1;
    if (hs->fd_mode) {
        usage(hs, "feed_eof: the handshake uses a socket (fd mode)");
        return -1;
    }
    hs->eof_fed = 1;
    BIO_set_mem_eof_return(hs->rbio, 0); /* once drained, reads see EOF */
    return 0;
}

size_t tlshs_pending(const tlshs *hs) { /* see tlshs.h */
    return hs && !hs->fd_mode ? BIO_ctrl_pending(hs->wbio) : 0;
}

size_t tlshs_take(tlshs *hs, void *buf, size_t cap) { /* see tlshs.h */
    int n;
    if (!hs || !buf || hs->fd_mode || cap == 0) return 0;
    n = BIO_read(hs->wbio, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    return n > 0 ? (size_t)n : 0;
}

/* ---- outcome ---- */

tlshs_result tlshs_last_result(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->last : TLSHS_CLOSED;
}

int tlshs_handshake_done(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->complete;
}

const char *tlshs_error(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->last == TLSHS_CLOSED ? hs->error : "";
}

const char *tlshs_usage_error(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->usage : "";
}

int tlshs_alert_sent(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->alert_sent : -1;
}

int tlshs_alert_received(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->alert_received : -1;
}

const char *tlshs_version(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->complete ? SSL_get_version(hs->ssl) : NULL;
}

const char *tlshs_cipher(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->complete ? SSL_get_cipher_name(hs->ssl) : NULL;
}

const char *tlshs_alpn(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->alpn[0] ? hs->alpn : NULL;
}

const char *tlshs_server_name(const tlshs *hs) { /* see tlshs.h */
    if (!hs) return NULL;
    if (hs->cfg->role == TLSHS_CLIENT) return hs->server_name;
    return SSL_get_servername(hs->ssl, TLSEXT_NAMETYPE_host_name);
}

int tlshs_resumed(const tlshs *hs) { /* see tlshs.h */
    return hs && hs->complete && SSL_session_reused(hs->ssl);
}

long tlshs_verify_result(const tlshs *hs) { /* see tlshs.h */
    return hs ? SSL_get_verify_result(hs->ssl) : -1;
}

const unsigned char *tlshs_peer_cert(const tlshs *hs, size_t *len) { /* see tlshs.h */
    if (len) *len = 0;
    if (!hs) return NULL;
    if (!hs->peer->der) {
        /* the verified leaf, else (a resumption, verify none) the session's */
        const X509 *x = hs->peer_seen ? hs->peer_seen : SSL_get0_peer_certificate(hs->ssl);
        int n = x ? i2d_X509(x, &hs->peer->der) : 0;
        hs->peer->len = n > 0 ? (size_t)n : 0;
    }
    if (len) *len = hs->peer->len;
    return hs->peer->der;
}

size_t tlshs_session(const tlshs *hs, void *buf, size_t cap) { /* see tlshs.h */
    SSL_SESSION *sess;
    int len;
    if (!hs || hs->cfg->role != TLSHS_CLIENT || !hs->complete) return 0;
    sess = SSL_get_session(hs->ssl);
    if (!sess || !SSL_SESSION_is_resumable(sess)) return 0;
    len = i2d_SSL_SESSION(sess, NULL);
    if (len <= 0) {
        clear_errors();
        return 0;
    }
    if (buf && cap >= (size_t)len) {
        unsigned char *p = buf;
        i2d_SSL_SESSION(sess, &p);
    }
    return (size_t)len;
}

size_t tlshs_trace_count(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->nevents : 0;
}

const tlshs_event *tlshs_trace_event(const tlshs *hs, size_t i) { /* see tlshs.h */
    return hs && i < hs->nevents ? &hs->events[i] : NULL;
}

tlshs_role tlshs_get_role(const tlshs *hs) { /* see tlshs.h */
    return hs ? hs->cfg->role : TLSHS_CLIENT;
}
