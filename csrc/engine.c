/* engine.c - the handshake object's life and state machine: new, free,
 * set_session, step, read, write, shutdown, and why a connection closed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "tlshs_internal.h"


/* ---- life ---- */

#define MAX_SERVER_NAME 255 /* bytes in a DNS name, and in SNI's HostName */


/* A client's name for the server: SNI (unless an address) and the name check. */
static int set_server_name(tlshs *hs, const char *name) {
    int check = hs->cfg->verify != TLSHS_VERIFY_NONE;
    hs->server_name = strdup(name);
    if (!hs->server_name) return -1;
    if (tlshs__is_ip_literal(name))
        return check && !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(hs->ssl), name) ? -1 : 0;
    if (!SSL_set_tlsext_host_name(hs->ssl, hs->server_name)) return -1; /* a macro that drops const */
    return check && !SSL_set1_host(hs->ssl, name) ? -1 : 0;
}

tlshs *tlshs_new(tlshs_config *cfg, const char *server_name) { /* see tlshs.h */
    tlshs *hs;
    if (!cfg) return NULL;
    if (server_name && !*server_name) server_name = NULL;
    tlshs__clear_errors();
    if (tlshs__config_freeze(cfg, &tlshs__server_cbs)) return NULL;
    if (cfg->role == TLSHS_CLIENT && !server_name && cfg->verify != TLSHS_VERIFY_NONE) {
        tlshs__config_fail(cfg, TLSHS_E_INCOMPLETE, "server_name: a client that verifies needs the server's name "
                                "(or set verify to none)");
        return NULL;
    }
    if (cfg->role == TLSHS_CLIENT && server_name && strlen(server_name) > MAX_SERVER_NAME) {
        /* the name itself is not echoed: it may be any size */
        tlshs__config_fail(cfg, TLSHS_E_ARGUMENT,
                           "server_name: %zu bytes, longer than the %d a host name may have "
                           "(RFC 1035, RFC 6066)",
                           strlen(server_name), MAX_SERVER_NAME);
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
    if (cfg->datagram) {
        hs->dg = calloc(1, sizeof *hs->dg);
        if (hs->dg) hs->dg->hs = hs;
        hs->rbio = hs->dg ? tlshs__dgram_bio(hs->dg, -1) : NULL;
        hs->wbio = hs->dg ? tlshs__dgram_bio(hs->dg, -1) : NULL;
    } else {
        hs->rbio = BIO_new(BIO_s_mem());
        hs->wbio = BIO_new(BIO_s_mem());
    }
    if (!hs->ssl || !hs->rbio || !hs->wbio) {
        BIO_free(hs->rbio); /* not yet owned by ssl */
        BIO_free(hs->wbio);
        goto fail;
    }
    BIO_set_mem_eof_return(hs->rbio, -1); /* empty means "no more yet" until feed_eof */
    SSL_set_bio(hs->ssl, hs->rbio, hs->wbio);
    SSL_set_app_data(hs->ssl, hs);
    SSL_set_msg_callback(hs->ssl, tlshs__on_message);
    SSL_set_msg_callback_arg(hs->ssl, hs);
    if (hs->dg) {
        DTLS_set_timer_cb(hs->ssl, tlshs__dtls_timer);
        SSL_set_mtu(hs->ssl, cfg->mtu ? cfg->mtu : 1200);
        hs->dg->listening = cfg->role == TLSHS_SERVER && !cfg->no_cookie;
    }
    if (cfg->role == TLSHS_CLIENT) {
        SSL_set_connect_state(hs->ssl);
        if (server_name && set_server_name(hs, server_name)) {
            tlshs__config_fail(cfg, TLSHS_E_ARGUMENT, "server_name: cannot use '%s': %s", server_name,
                               tlshs__openssl_reason(hs->server_name ? "refused by OpenSSL"
                                                                     : "out of memory"));
            goto fail;
        }
    } else {
        SSL_set_accept_state(hs->ssl);
    }
    tlshs__clear_errors();
    return hs;
fail:
    tlshs_free(hs);
    tlshs__clear_errors();
    return NULL;
}

void tlshs_free(tlshs *hs) { /* see tlshs.h */
    if (!hs) return;
    tlshs__capture_close(hs->capture);
    tlshs__hellos_free(hs);
    SSL_free(hs->ssl); /* frees the memory BIOs too */
    X509_free(hs->peer_seen);
    OPENSSL_free(hs->peer_store.der);
    free(hs->server_name);
    free(hs->alpn);
    tlshs__free_peer_exts(hs);
    tlshs__free_message(hs->error);
    tlshs__free_message(hs->usage);
    tlshs__trace_free(hs);
    tlshs_config_free(hs->cfg);
    free(hs->dg);
    free(hs);
}

int tlshs_set_session(tlshs *hs, const void *der, size_t len) { /* see tlshs.h */
    const unsigned char *p = der;
    const char *why;
    SSL_SESSION *sess;
    int ok;
    if (!hs) return -1;
    tlshs__begin(hs);
    if (hs->cfg->role != TLSHS_CLIENT || hs->started) {
        tlshs__usage(hs, TLSHS_E_STATE, "set_session: only a client, before its first step, can resume a session");
        return -1;
    }
    if (!der || len == 0 || len > LONG_MAX) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "set_session: the session is empty");
        return -1;
    }
    ERR_clear_error();
    sess = d2i_SSL_SESSION(NULL, &p, (long)len);
    if (!sess || p != (const unsigned char *)der + len) {
        SSL_SESSION_free(sess);
        ERR_clear_error();
        tlshs__usage(hs, TLSHS_E_SESSION, "set_session: not a DER-encoded TLS session");
        return -1;
    }
    if (!SSL_SESSION_is_resumable(sess)) {
        SSL_SESSION_free(sess);
        tlshs__usage(hs, TLSHS_E_SESSION, "set_session: the session cannot be resumed");
        return -1;
    }
    if (hs->cfg->verify == TLSHS_VERIFY_NONE &&
        !SSL_SESSION_set1_id_context(sess, (const unsigned char *)"", 0)) {
        /* OpenSSL resumes a session only in the context that made it: a
           client that does not verify takes it into its own (none), so the
           sessions that follow from it cannot pass for verified ones */
        SSL_SESSION_free(sess);
        ERR_clear_error();
        tlshs__usage(hs, TLSHS_E_NOMEM, "set_session: out of memory");
        return -1;
    }
    if ((why = tlshs__session_refusal(hs, sess)) != NULL) {
        SSL_SESSION_free(sess);
        ERR_clear_error();
        tlshs__usage(hs, TLSHS_E_SESSION, "%s", why);
        return -1;
    }
    ok = SSL_set_session(hs->ssl, sess);
    SSL_SESSION_free(sess);
    ERR_clear_error();
    if (!ok) {
        tlshs__usage(hs, TLSHS_E_SESSION, "set_session: the session does not fit this handshake");
        return -1;
    }
    return 0;
}

/* ---- the reason a connection closed ---- */

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
        tlshs__set_error(hs, TLSHS_E_ALERT, "peer sent fatal alert %s", tlshs_alert_name(hs->alert_received));
    else if (ssl_err == SSL_ERROR_ZERO_RETURN)
        tlshs__set_error(hs, TLSHS_E_CLOSE_NOTIFY, hs->complete ? "peer sent close_notify"
                                                         : "peer sent close_notify during the handshake");
    else if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
             ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK)
        tlshs__set_error(hs, TLSHS_E_VERIFY, "certificate verify failed: %s", X509_verify_cert_error_string(vr));
    else if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_READ_TIMEOUT_EXPIRED)
        tlshs__set_error(hs, TLSHS_E_TIMEOUT, "no answer: the retransmission timer fired after the 12th "
                                              "retransmission (the last timeout %ld ms)",
                         hs->dg ? hs->dg->dur_ms : 0L);
    else if (eof)
        tlshs__set_error(hs, TLSHS_E_EOF, hs->complete ? "peer closed the connection without close_notify"
                                   : "peer closed the connection during the handshake");
    else if (ssl_err == SSL_ERROR_SYSCALL && e == 0)
        tlshs__set_error(hs, TLSHS_E_SOCKET, "socket error: %s", strerror(saved_errno));
    else if (e && ERR_reason_error_string(e))
        tlshs__set_error(hs, TLSHS_E_PROTOCOL, "%s", ERR_reason_error_string(e));
    else
        tlshs__set_error(hs, TLSHS_E_PROTOCOL, "%s failed", hs->complete ? "connection" : "handshake");
    ERR_clear_error();
}

/* ---- the state machine ---- */

static void capture_outcome(tlshs *hs) {
    const unsigned char *alpn;
    unsigned alpn_len;
    SSL_get0_alpn_selected(hs->ssl, &alpn, &alpn_len);
    if (alpn && alpn_len && !hs->alpn && (hs->alpn = malloc(alpn_len + 1)) != NULL) {
        memcpy(hs->alpn, alpn, alpn_len);
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
tlshs_result tlshs__settle(tlshs *hs, tlshs_result want) {
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
tlshs_result tlshs__answer_incomplete(tlshs *hs, int ssl_err, int saved_errno) {
    int want = want_of(ssl_err);
    if (want < 0) close_with(hs, ssl_err, saved_errno);
    return tlshs__settle(hs, want < 0 ? TLSHS_CLOSED : (tlshs_result)want);
}

/* A DTLS server with cookies, before a ClientHello with a valid one:
   DTLSv1_listen answers the others with a HelloVerifyRequest and keeps no
   state (cookie.c).  Returns 1 when the handshake may go on, or the result
   to answer. */
static int listen_step(tlshs *hs, tlshs_result *answer) {
    BIO_ADDR *from = BIO_ADDR_new();
    size_t mark;
    int r;
    if (!from) {
        tlshs__set_error(hs, TLSHS_E_NOMEM, "out of memory");
        hs->phase = PHASE_FLUSH_CLOSE;
        *answer = tlshs__settle(hs, TLSHS_CLOSED);
        return 0;
    }
    mark = tlshs__trace_mark(hs);
    r = DTLSv1_listen(hs->ssl, from);
    BIO_ADDR_free(from);
    if (r == 1) {
        /* the hello with the valid cookie: the handshake reports it again,
           reassembled, so the trace keeps it once (one call may have taken
           a cookie-less hello and answered it first: those stay) */
        tlshs__trace_drop_received(hs, mark, "ClientHello");
        hs->dg->listening = 0;
        tlshs__clear_errors();
        return 1;
    }
    if (r < 0) {
        close_with(hs, SSL_ERROR_SSL, 0);
        *answer = tlshs__settle(hs, TLSHS_CLOSED);
        return 0;
    }
    tlshs__clear_errors(); /* no hello, or one without a valid cookie: answered and forgotten */
    *answer = tlshs__settle(hs, TLSHS_WANT_READ);
    return 0;
}

tlshs_result tlshs__run_handshake(tlshs *hs) {
    int r, saved_errno;
    tlshs__clear_errors();
    errno = 0;
    if (!hs->started && hs->capture) tlshs__capture_attach(hs);
    if (hs->dg && hs->dg->listening) {
        tlshs_result answer;
        hs->started = 1;
        if (!listen_step(hs, &answer)) return answer;
    }
    if (!hs->started && hs->cfg->role == TLSHS_CLIENT) r = SSL_connect(hs->ssl);
    else r = SSL_do_handshake(hs->ssl);
    saved_errno = errno;
    hs->started = 1;
    hs->early_writing = 0; /* the handshake went on: no more early data */
    if (r == 1) {
        hs->complete = 1;
        capture_outcome(hs);
        hs->phase = PHASE_FLUSH_DONE;
        tlshs__clear_errors();
        return tlshs__settle(hs, TLSHS_DONE);
    }
    return tlshs__answer_incomplete(hs, SSL_get_error(hs->ssl, r), saved_errno);
}

/* A DONE datagram side with datagrams queued: OpenSSL answers a peer's
   retransmitted final flight inside its read, so a peek processes them
   (application data stays for tlshs_read). */
static tlshs_result answer_late(tlshs *hs) {
    unsigned char c;
    size_t n = 0;
    int err, saved_errno;
    tlshs__clear_errors();
    errno = 0;
    if (SSL_peek_ex(hs->ssl, &c, 1, &n)) return tlshs__settle(hs, TLSHS_DONE);
    saved_errno = errno;
    err = SSL_get_error(hs->ssl, 0);
    if (err == SSL_ERROR_ZERO_RETURN) {
        tlshs__set_error(hs, TLSHS_E_CLOSE_NOTIFY, "peer sent close_notify");
        hs->phase = PHASE_CLOSED;
        tlshs__clear_errors();
        return hs->last = TLSHS_CLOSED;
    }
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        tlshs__clear_errors();
        return tlshs__settle(hs, TLSHS_DONE);
    }
    return tlshs__answer_incomplete(hs, err, saved_errno);
}

static tlshs_result step_call(tlshs *hs) {
    if (!hs) return TLSHS_CLOSED;
    switch (hs->phase) {
    case PHASE_HANDSHAKE:
        if (hs->early_reading && !hs->early_over) { /* a refused call changes nothing */
            tlshs__usage(hs, TLSHS_E_STATE, "step: the server reads early data: call read_early "
                                            "until the early data has ended");
            return hs->last;
        }
        return tlshs__run_handshake(hs);
    case PHASE_OPEN: return hs->dg && tlshs__dgram_next(SSL_get_rbio(hs->ssl)) ? answer_late(hs) : (hs->last = TLSHS_DONE);
    case PHASE_CLOSED: return TLSHS_CLOSED;
    default: return tlshs__settle(hs, hs->last);
    }
}

/* Before read, write or shutdown: the handshake must be DONE. Returns DONE
   or the result to answer instead. */
static tlshs_result ensure_open(tlshs *hs) {
    if (hs->phase == PHASE_OPEN) return TLSHS_DONE;
    if (hs->phase == PHASE_CLOSED) return hs->last = TLSHS_CLOSED;
    return step_call(hs);
}

/* OpenSSL sends the KeyUpdate a peer asked for only on its next write; a
   zero-length write sends it now, so a reader that owes one says WANT_WRITE
   (memory) or flushes it to the socket (fd). */
static void send_owed_key_update(tlshs *hs) {
    size_t none;
    if (SSL_get_key_update_type(hs->ssl) == SSL_KEY_UPDATE_NONE) return;
    if (!SSL_write_ex(hs->ssl, "", 0, &none)) tlshs__clear_errors();
}

static tlshs_result read_call(tlshs *hs, void *buf, size_t cap, size_t *n) {
    size_t got = 0;
    int ok, err, saved_errno;
    tlshs_result r;
    if (n) *n = 0;
    if (!hs) return TLSHS_CLOSED;
    if (!buf || cap == 0) { /* a refused call changes nothing */
        tlshs__usage(hs, TLSHS_E_ARGUMENT, buf ? "read: cap is 0: no room to read into"
                                               : "read: buf is NULL: no buffer to read into");
        return hs->last;
    }
    if ((r = ensure_open(hs)) != TLSHS_DONE) return r;
    tlshs__clear_errors();
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
        tlshs__set_error(hs, TLSHS_E_CLOSE_NOTIFY, "peer sent close_notify");
        hs->phase = PHASE_CLOSED;
        tlshs__clear_errors();
        return hs->last = TLSHS_CLOSED;
    }
    return tlshs__answer_incomplete(hs, err, saved_errno);
}

/* Datagrams: application data larger than a datagram holds goes out as
   several records, each in a datagram within mtu.  Answers DONE with *n the
   bytes written (all of them unless the socket would block part way). */
static tlshs_result write_datagrams(tlshs *hs, const void *buf, size_t len, size_t *n) {
    const unsigned char *p = buf;
    size_t done = 0, room = DTLS_get_data_mtu(hs->ssl), put;
    if (room == 0) room = 256; /* not known yet: never happens once DONE */
    while (done < len) {
        size_t chunk = len - done < room ? len - done : room;
        int err, want, saved_errno;
        errno = 0;
        if (SSL_write_ex(hs->ssl, p + done, chunk, &put)) {
            done += put;
            continue;
        }
        saved_errno = errno;
        err = SSL_get_error(hs->ssl, 0);
        want = want_of(err);
        if (want >= 0 && done > 0) break; /* a part went: say how much */
        if (want >= 0) {
            tlshs__clear_errors();
            return hs->last = (tlshs_result)want;
        }
        close_with(hs, err, saved_errno);
        return tlshs__settle(hs, TLSHS_CLOSED);
    }
    tlshs__clear_errors();
    if (n) *n = done;
    return hs->last = TLSHS_DONE;
}

static tlshs_result write_call(tlshs *hs, const void *buf, size_t len, size_t *n) {
    size_t put = 0;
    int ok, err, saved_errno, want;
    tlshs_result r;
    if (n) *n = 0;
    if (!hs) return TLSHS_CLOSED;
    if (!buf && len) { /* a refused call changes nothing */
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "write: buf is NULL with len %zu: no bytes to write", len);
        return hs->last;
    }
    if ((r = ensure_open(hs)) != TLSHS_DONE) return r;
    if (len == 0) return hs->last = TLSHS_DONE;
    tlshs__clear_errors();
    errno = 0;
    if (hs->dg) return write_datagrams(hs, buf, len, n);
    ok = SSL_write_ex(hs->ssl, buf, len, &put);
    saved_errno = errno;
    if (ok) {
        if (n) *n = put;
        return hs->last = TLSHS_DONE;
    }
    err = SSL_get_error(hs->ssl, 0);
    want = want_of(err);
    if (want < 0) close_with(hs, err, saved_errno);
    else tlshs__clear_errors();
    if (want >= 0) return hs->last = (tlshs_result)want; /* retry with the same buffer */
    return tlshs__settle(hs, TLSHS_CLOSED);
}

static tlshs_result shutdown_call(tlshs *hs) {
    int r, err, want;
    if (!hs) return TLSHS_CLOSED;
    if (hs->phase == PHASE_FLUSH_CLOSE) return tlshs__settle(hs, TLSHS_CLOSED);
    if (!hs->complete || (hs->phase == PHASE_CLOSED && !(SSL_get_shutdown(hs->ssl) &
                                                         SSL_RECEIVED_SHUTDOWN))) {
        /* nothing to close politely: not yet open, or over after a failure */
        tlshs__set_error(hs, TLSHS_E_SHUTDOWN, "shut down before the handshake completed");
        hs->phase = PHASE_CLOSED;
        return hs->last = TLSHS_CLOSED;
    }
    tlshs__clear_errors();
    r = SSL_shutdown(hs->ssl);
    if (r < 0) {
        err = SSL_get_error(hs->ssl, r);
        want = want_of(err);
        if (want < 0) {
            /* an error while closing still closes; keep the first reason */
            tlshs__set_error(hs, TLSHS_E_SHUTDOWN, "shut down: %s", tlshs__openssl_reason("error while closing"));
            tlshs__clear_errors();
            hs->phase = PHASE_FLUSH_CLOSE;
            return tlshs__settle(hs, TLSHS_CLOSED);
        }
        tlshs__clear_errors();
        return tlshs__settle(hs, (tlshs_result)want);
    }
    tlshs__clear_errors();
    if (r == 1) {
        tlshs__set_error(hs, TLSHS_E_SHUTDOWN, "shut down: close_notify sent and received");
        hs->phase = PHASE_FLUSH_CLOSE;
        return tlshs__settle(hs, TLSHS_CLOSED);
    }
    /* ours is out (or pending), the peer's not yet in */
    if (hs->phase == PHASE_FLUSH_DONE) hs->phase = PHASE_OPEN;
    return tlshs__settle(hs, TLSHS_WANT_READ);
}

/* ---- the public calls: each ends with the capture complete on disk ---- */

tlshs_result tlshs_step(tlshs *hs) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, step_call(hs));
}

tlshs_result tlshs_read(tlshs *hs, void *buf, size_t cap, size_t *n) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, read_call(hs, buf, cap, n));
}

tlshs_result tlshs_write(tlshs *hs, const void *buf, size_t len, size_t *n) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, write_call(hs, buf, len, n));
}

tlshs_result tlshs_shutdown(tlshs *hs) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, shutdown_call(hs));
}
