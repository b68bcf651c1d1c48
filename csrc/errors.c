/* errors.c - the ground floor: messages and codes of why a call failed.
 * A handshake's reason to close (tlshs_error) and its refused call
 * (tlshs_usage_error); a config's failure, per thread (tlshs_config_error);
 * the formatting and OpenSSL's reason they share.  Every other file uses
 * this one; it uses none. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "tlshs_internal.h"

/* ---- formatting ---- */

void tlshs__format(char *buf, const char *fmt, va_list ap) {
    vsnprintf(buf, TLSHS_MSGLEN, fmt, ap);
}

const char *tlshs__openssl_reason(const char *fallback) {
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

/* ---- the config's error: written under its lock, read as a copy ----
   Each thread also keeps its own last failure on each config it used last
   (as errno does), so a thread reads why its own call failed even while
   other threads' calls fail on the same shared config.  Configs are told
   apart by a serial number, never by address (an address can be reused). */

static atomic_ulong config_serials;

unsigned long tlshs__config_serial(void) {
    return atomic_fetch_add(&config_serials, 1) + 1;
}

static _Thread_local struct {
    unsigned long serial; /* the config this thread's last call failed or succeeded on; 0 none */
    tlshs_code code;
    char error[TLSHS_MSGLEN];
} mine;

static void vfail_locked(tlshs_config *cfg, tlshs_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vfail_locked(tlshs_config *cfg, tlshs_code code, const char *fmt, va_list ap) {
    cfg->error_code = code;
    tlshs__format(cfg->error, fmt, ap);
    mine.serial = cfg->serial;
    mine.code = code;
    memcpy(mine.error, cfg->error, sizeof mine.error);
    ERR_clear_error();
}

/* A call that succeeded clears the config's error (the caller holds its lock). */
void tlshs__config_succeeded_locked(tlshs_config *cfg) {
    cfg->error[0] = '\0';
    cfg->error_code = TLSHS_OK;
    mine.serial = cfg->serial;
    mine.code = TLSHS_OK;
    mine.error[0] = '\0';
}

/* Records why a call failed; the caller holds cfg->lock for writing (every
   setter, the freeze). */
void tlshs__config_fail_locked(tlshs_config *cfg, tlshs_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail_locked(cfg, code, fmt, ap);
    va_end(ap);
}

/* The same from a caller that does not hold the lock (tlshs_new refusing a
   config other threads may be using). */
void tlshs__config_fail(tlshs_config *cfg, tlshs_code code, const char *fmt, ...) {
    va_list ap;
    int locked = CRYPTO_THREAD_write_lock(cfg->lock);
    va_start(ap, fmt);
    if (locked) vfail_locked(cfg, code, fmt, ap);
    va_end(ap);
    if (locked) CRYPTO_THREAD_unlock(cfg->lock);
    ERR_clear_error();
}

/* Each thread reads a copy, made under the lock: another thread's failure
   can never change the string a caller holds. */
static _Thread_local char error_copy[TLSHS_MSGLEN];

const char *tlshs_config_error(const tlshs_config *cfg) { /* see tlshs.h */
    if (!cfg) return "";
    if (mine.serial == cfg->serial) return mine.error;
    if (!CRYPTO_THREAD_read_lock(cfg->lock)) return "";
    memcpy(error_copy, cfg->error, sizeof error_copy);
    CRYPTO_THREAD_unlock(cfg->lock);
    return error_copy;
}

tlshs_code tlshs_config_error_code(const tlshs_config *cfg) { /* see tlshs.h */
    tlshs_code code;
    if (!cfg) return TLSHS_E_ARGUMENT;
    if (mine.serial == cfg->serial) return mine.code;
    if (!CRYPTO_THREAD_read_lock(cfg->lock)) return TLSHS_E_NOMEM;
    code = cfg->error_code;
    CRYPTO_THREAD_unlock(cfg->lock);
    return code;
}

/* ---- a handshake's messages ---- */

/* Messages live outside the object, made when first needed: most
   connections never fail, and an object in flight stays small.  If memory
   runs out the message is this one (never freed). */
static char no_memory[] = "out of memory (the reason could not be kept)";

/* A message buffer of TLSHS_MSGLEN bytes: *msg if it has one, else a new one. */
static char *message_buffer(char **msg) {
    if (*msg && *msg != no_memory) return *msg;
    *msg = malloc(TLSHS_MSGLEN);
    return *msg ? *msg : (*msg = no_memory, NULL);
}

void tlshs__free_message(char *msg) {
    if (msg != no_memory) free(msg);
}

void tlshs__usage(tlshs *hs, tlshs_code code, const char *fmt, ...) {
    va_list ap;
    char *buf = message_buffer(&hs->usage);
    hs->usage_code = code;
    if (!buf) return;
    va_start(ap, fmt);
    tlshs__format(buf, fmt, ap);
    va_end(ap);
}

void tlshs__set_error(tlshs *hs, tlshs_code code, const char *fmt, ...) {
    va_list ap;
    char *buf;
    if (hs->error) return; /* the first reason stays */
    hs->error_code = code;
    if (!(buf = message_buffer(&hs->error))) return;
    va_start(ap, fmt);
    tlshs__format(buf, fmt, ap);
    va_end(ap);
}
