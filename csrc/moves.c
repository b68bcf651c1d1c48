/* moves.c - the moves after the handshake (KeyUpdate, renegotiation,
 * post-handshake client authentication), 0-RTT data, and what the options
 * of the protocol bring back (the stapled OCSP response).
 *
 * A move is driven like step: the first call asks OpenSSL for the message and
 * lets SSL_do_handshake write it; in memory mode it then waits in pending
 * (WANT_WRITE) and the next call, once it is taken, answers DONE.  What the
 * peer answers (its KeyUpdate, its renegotiation flight, its certificate)
 * arrives through tlshs_read, which OpenSSL's SSL_read drives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tlshs_internal.h"

/* ---- moves after the handshake ---- */

/* Why hs cannot start a move now (a TLS version, "" for any), or NULL. */
static const char *move_refusal(const tlshs *hs, int version) {
    static const char *const versions[] = {"TLS 1.2", "TLS 1.3"};
    if (hs->phase != PHASE_OPEN) return "the handshake is not DONE (or the connection is closed)";
    if (hs->move != MOVE_NONE) return "another move is still under way: drive it to DONE first";
    if (version && SSL_version(hs->ssl) != version)
        return versions[version == TLS1_3_VERSION];
    return NULL;
}

/* Drives the move under way: SSL_do_handshake writes its message; the move
   is over (DONE) once nothing of it waits.  A client's renegotiation then
   waits for the server's answer (WANT_READ from OpenSSL): its ClientHello is
   out, so the move is DONE and read drives the rest. */
static tlshs_result drive_move(tlshs *hs) {
    int r, err, saved_errno;
    tlshs_result res;
    if (!hs->fd_mode && BIO_ctrl_pending(hs->wbio) > 0) return hs->last = TLSHS_WANT_WRITE;
    tlshs__clear_errors();
    errno = 0;
    r = SSL_do_handshake(hs->ssl);
    saved_errno = errno;
    err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(hs->ssl, r);
    if (err == SSL_ERROR_NONE || err == SSL_ERROR_WANT_READ) {
        tlshs__clear_errors();
        res = tlshs__settle(hs, TLSHS_DONE);
    } else {
        res = tlshs__answer_incomplete(hs, err, saved_errno);
    }
    if (res == TLSHS_DONE || res == TLSHS_CLOSED) hs->move = MOVE_NONE;
    return res;
}

/* Starts move (its OpenSSL call made by start) or continues it. */
static tlshs_result run_move(tlshs *hs, enum tlshs_move move, int version, const char *call,
                             int (*start)(tlshs *hs, int arg), int arg) {
    const char *why;
    if (hs->move == move) return drive_move(hs);
    if ((why = move_refusal(hs, version)) != NULL) {
        if (version && hs->phase == PHASE_OPEN && hs->move == MOVE_NONE)
            tlshs__usage(hs, TLSHS_E_STATE, "%s: only on a %s connection, this one is %s", call, why,
                         SSL_get_version(hs->ssl));
        else
            tlshs__usage(hs, TLSHS_E_STATE, "%s: %s", call, why);
        return hs->last;
    }
    tlshs__clear_errors();
    if (start(hs, arg) != 1) {
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_EXTENSION_NOT_RECEIVED)
            tlshs__usage(hs, TLSHS_E_STATE, "%s: the client did not offer post-handshake "
                                            "authentication (post_handshake_auth)", call);
        else
            tlshs__usage(hs, TLSHS_E_STATE, "%s: refused by OpenSSL: %s", call,
                         tlshs__openssl_reason("unknown reason"));
        tlshs__clear_errors();
        return hs->last;
    }
    hs->move = (unsigned char)move;
    return drive_move(hs);
}

static int start_key_update(tlshs *hs, int request_peer) {
    return SSL_key_update(hs->ssl, request_peer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED);
}

static int start_renegotiate(tlshs *hs, int unused) {
    (void)unused;
    return SSL_renegotiate(hs->ssl);
}

/* A server whose verify is none asks all the same: for this connection the
   certificate is asked for, and taken whatever its verification finds
   (tlshs__on_verify; tlshs_verify_result tells). */
static int start_cert_request(tlshs *hs, int unused) {
    int ok;
    (void)unused;
    if (hs->cfg->verify == TLSHS_VERIFY_NONE) SSL_set_verify(hs->ssl, SSL_VERIFY_PEER, tlshs__on_verify);
    ok = SSL_verify_client_post_handshake(hs->ssl);
    if (!ok && hs->cfg->verify == TLSHS_VERIFY_NONE) SSL_set_verify(hs->ssl, SSL_VERIFY_NONE, tlshs__on_verify);
    return ok;
}

static tlshs_result key_update_call(tlshs *hs, int request_peer) {
    if (!hs) return TLSHS_CLOSED;
    return run_move(hs, MOVE_KEY_UPDATE, TLS1_3_VERSION, "key_update", start_key_update, request_peer);
}

static tlshs_result renegotiate_call(tlshs *hs) {
    if (!hs) return TLSHS_CLOSED;
    if (hs->move != MOVE_RENEGOTIATE && hs->phase == PHASE_OPEN && hs->move == MOVE_NONE &&
        SSL_version(hs->ssl) == TLS1_2_VERSION && SSL_renegotiate_pending(hs->ssl)) {
        tlshs__usage(hs, TLSHS_E_STATE, "renegotiate: a renegotiation is still under way: read on");
        return hs->last;
    }
    return run_move(hs, MOVE_RENEGOTIATE, TLS1_2_VERSION, "renegotiate", start_renegotiate, 0);
}

static tlshs_result request_client_cert_call(tlshs *hs) {
    if (!hs) return TLSHS_CLOSED;
    if (hs->move != MOVE_CERT_REQUEST && hs->cfg->role != TLSHS_SERVER) {
        tlshs__usage(hs, TLSHS_E_STATE, "request_client_cert: only a server asks for a client certificate");
        return hs->last;
    }
    return run_move(hs, MOVE_CERT_REQUEST, TLS1_3_VERSION, "request_client_cert", start_cert_request, 0);
}

/* ---- 0-RTT ---- */

static tlshs_result write_early_call(tlshs *hs, const void *buf, size_t len, size_t *n) {
    SSL_SESSION *sess;
    size_t put = 0;
    int err, saved_errno;
    if (n) *n = 0;
    if (!hs) return TLSHS_CLOSED;
    if (hs->cfg->role != TLSHS_CLIENT) {
        tlshs__usage(hs, TLSHS_E_STATE, "write_early: only a client writes early data");
        return hs->last;
    }
    if ((hs->started && !hs->early_writing) || hs->phase != PHASE_HANDSHAKE) {
        tlshs__usage(hs, TLSHS_E_STATE, "write_early: only before the handshake's first step, or "
                                        "after write_early while the server's answer has not come");
        return hs->last;
    }
    sess = SSL_get_session(hs->ssl);
    if (!sess || SSL_SESSION_get_max_early_data(sess) == 0) {
        tlshs__usage(hs, TLSHS_E_STATE, "write_early: %s", sess ? "the session does not allow early data"
                                                                : "no session set (set_session)");
        return hs->last;
    }
    if (!buf || len == 0) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "write_early: %s", buf ? "len is 0" : "buf is NULL");
        return hs->last;
    }
    tlshs__clear_errors();
    errno = 0;
    if (!hs->started && hs->capture) tlshs__capture_attach(hs);
    hs->started = 1;
    hs->early_writing = 1;
    if (SSL_write_early_data(hs->ssl, buf, len, &put)) {
        if (n) *n = put;
        /* the handshake goes on: what step would answer now */
        return tlshs__settle(hs, TLSHS_WANT_READ);
    }
    saved_errno = errno;
    err = SSL_get_error(hs->ssl, 0);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        tlshs__clear_errors();
        return hs->last = err == SSL_ERROR_WANT_READ ? TLSHS_WANT_READ : TLSHS_WANT_WRITE;
    }
    return tlshs__answer_incomplete(hs, err, saved_errno);
}

static tlshs_result read_early_call(tlshs *hs, void *buf, size_t cap, size_t *n) {
    size_t got = 0;
    int r, err, saved_errno;
    if (n) *n = 0;
    if (!hs) return TLSHS_CLOSED;
    if (hs->cfg->role != TLSHS_SERVER) {
        tlshs__usage(hs, TLSHS_E_STATE, "read_early: only a server reads early data");
        return hs->last;
    }
    if (!buf || cap == 0) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "read_early: %s", buf ? "cap is 0" : "buf is NULL");
        return hs->last;
    }
    if (hs->started && !hs->early_reading) {
        tlshs__usage(hs, TLSHS_E_STATE, "read_early: the handshake started with step: early data is "
                                        "read only from the first call on");
        return hs->last;
    }
    if (hs->early_over) return tlshs_step(hs);
    if (hs->phase != PHASE_HANDSHAKE) return tlshs__settle(hs, hs->last);
    if (!hs->started && hs->capture) tlshs__capture_attach(hs);
    hs->started = 1;
    hs->early_reading = 1;
    tlshs__clear_errors();
    errno = 0;
    r = SSL_read_early_data(hs->ssl, buf, cap, &got);
    saved_errno = errno;
    if (r == SSL_READ_EARLY_DATA_SUCCESS) {
        if (n) *n = got;
        return hs->last = TLSHS_DONE;
    }
    if (r == SSL_READ_EARLY_DATA_FINISH) {
        hs->early_over = 1;
        return tlshs__run_handshake(hs);
    }
    err = SSL_get_error(hs->ssl, 0);
    return tlshs__answer_incomplete(hs, err, saved_errno);
}

/* ---- the public calls: each ends with the capture complete on disk ---- */

tlshs_result tlshs_key_update(tlshs *hs, int request_peer) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, key_update_call(hs, request_peer));
}

tlshs_result tlshs_renegotiate(tlshs *hs) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, renegotiate_call(hs));
}

tlshs_result tlshs_request_client_cert(tlshs *hs) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, request_client_cert_call(hs));
}

tlshs_result tlshs_write_early(tlshs *hs, const void *buf, size_t len, size_t *n) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, write_early_call(hs, buf, len, n));
}

tlshs_result tlshs_read_early(tlshs *hs, void *buf, size_t cap, size_t *n) { /* see tlshs.h */
    tlshs__begin(hs);
    return tlshs__call_done(hs, read_early_call(hs, buf, cap, n));
}

static const char *const early_names[] = {
    [SSL_EARLY_DATA_NOT_SENT] = "not_sent",
    [SSL_EARLY_DATA_REJECTED] = "rejected",
    [SSL_EARLY_DATA_ACCEPTED] = "accepted",
};

const char *tlshs_early_data(const tlshs *hs) { /* see tlshs.h */
    int status;
    if (!hs) return "not_sent";
    status = SSL_get_early_data_status(hs->ssl);
    if (status < 0 || (size_t)status >= sizeof early_names / sizeof early_names[0] || !early_names[status])
        return "not_sent";
    return early_names[status];
}

/* ---- what the options bring back ---- */

const unsigned char *tlshs_ocsp_response(const tlshs *hs, size_t *len) { /* see tlshs.h */
    const unsigned char *resp = NULL;
    long n;
    if (len) *len = 0;
    if (!hs || hs->cfg->role != TLSHS_CLIENT) return NULL;
    n = SSL_get_tlsext_status_ocsp_resp(hs->ssl, &resp);
    if (n <= 0 || !resp) return NULL;
    if (len) *len = (size_t)n;
    return resp;
}
