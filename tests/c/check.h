/*
 * check.h - the C suite's runner: named tests, CHECK macros that print the
 * file, line and the values involved, and shared helpers for handshakes.
 *
 * A test is `void test_name(void)` listed in test_list.h.  A failed CHECK
 * prints and returns from the test; the runner counts and goes on.
 */
#ifndef TLSHS_CHECK_H
#define TLSHS_CHECK_H

#include <stdio.h>
#include <string.h>

#include "tlshs.h"

/* Defines a test: TEST(test_name) { ... }; list it in the file's list_*.h. */
#define TEST(name)                                                                 \
    void name(void);                                                               \
    void name(void)

void check_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
extern int check_current_failed;

/* Whether the runner (main.c) has a test of this name in test_list.h. */
int check_listed(const char *name);

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            check_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                    \
            return;                                                                \
        }                                                                          \
    } while (0)

#define CHECK_INT(a, op, b)                                                        \
    do {                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);            \
        if (!(check_a_ op check_b_)) {                                             \
            check_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op, #b,   \
                       check_a_, check_b_);                                        \
            return;                                                                \
        }                                                                          \
    } while (0)

#define CHECK_RESULT(a, b)                                                         \
    do {                                                                           \
        tlshs_result check_a_ = (a), check_b_ = (b);                               \
        if (check_a_ != check_b_) {                                                \
            check_fail(__FILE__, __LINE__, "%s == %s: %s vs %s", #a, #b,            \
                       tlshs_result_name(check_a_), tlshs_result_name(check_b_));  \
            return;                                                                \
        }                                                                          \
    } while (0)

/* Two tlshs_code values (TLSHS_E_*), printed by name. */
#define CHECK_CODE(a, b)                                                                           \
    do {                                                                                           \
        tlshs_code check_a_ = (a), check_b_ = (b);                                                 \
        if (check_a_ != check_b_) {                                                                \
            check_fail(__FILE__, __LINE__, "%s == %s: %s vs %s", #a, #b, tlshs_code_name(check_a_), \
                       tlshs_code_name(check_b_));                                                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                            \
    do {                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                               \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {           \
            check_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, #b,    \
                       check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
            return;                                                                \
        }                                                                          \
    } while (0)

/* a contains b */
#define CHECK_CONTAINS(a, b)                                                       \
    do {                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                               \
        if (!check_a_ || !strstr(check_a_, check_b_)) {                            \
            check_fail(__FILE__, __LINE__, "%s contains %s: \"%s\" lacks \"%s\"",   \
                       #a, #b, check_a_ ? check_a_ : "(null)", check_b_);          \
            return;                                                                \
        }                                                                          \
    } while (0)

/* The last call on cfg failed with code (TLSHS_E_*), and its message, in
   tlshs's own words, starts with the first string (the key's name and ": ")
   and contains each of the others (what was wrong: the file, the value, the
   choices).  OpenSSL's wording is never asserted: the code says why. */
#define CHECK_CONFIG_ERROR(cfg, code, ...)                                                        \
    do {                                                                                          \
        const char *want_[] = {__VA_ARGS__, NULL};                                                \
        const char *msg_ = tlshs_config_error(cfg);                                               \
        CHECK_CODE(tlshs_config_error_code(cfg), code);                                           \
        if (strncmp(msg_, want_[0], strlen(want_[0])) != 0) {                                     \
            check_fail(__FILE__, __LINE__, "config error \"%s\" does not start with \"%s\"", msg_, \
                       want_[0]);                                                                 \
            return;                                                                               \
        }                                                                                         \
        for (int w_ = 1; want_[w_]; w_++)                                                         \
            CHECK_CONTAINS(msg_, want_[w_]);                                                      \
    } while (0)

/* ---- helpers (helpers.c) ---- */

/* The certificate folder (TLSHS_CERTS, default build/certs) joined with name;
   a static buffer of 8, reused in turn. */
const char *cert_path(const char *name);

/* A config with the given role and a NULL-terminated list of key, value
   pairs; the test fails (and this returns NULL) if any set fails. */
tlshs_config *make_config(tlshs_role role, ...);

/* A server config with server.pem/key, and a client config trusting ca.pem,
   each with more NULL-terminated key, value pairs (key NULL for none). */
tlshs_config *server_with(const char *key, ...);
tlshs_config *client_with(const char *key, ...);

/* A server config with server.pem/key, and a client config trusting ca.pem. */
tlshs_config *server_config(void);
tlshs_config *client_config(void);

/* Carries bytes between a client and a server in memory (tlshs_pair, no
   tamper) until both are DONE or CLOSED, nothing moves, or max_rounds pass;
   returns 1 if both are DONE. */
int pump(tlshs *client, tlshs *server, int max_rounds);

/* A client and a server made from two configs, whose references pass to
   the objects: pair_of frees cc and sc (either NULL: no objects), so
   pair_free frees everything. */
struct pair {
    tlshs *c, *s;
};
struct pair pair_of(tlshs_config *cc, tlshs_config *sc, const char *name);
void pair_free(struct pair *p);

/* Runs the pair's handshake in memory (tlshs_pair, 30 rounds) until both
   are DONE or CLOSED or nothing moves; the results land in rc, rs. */
void run_pair(struct pair *p, tlshs_result *rc, tlshs_result *rs);

/* A client of cc (for "localhost") and a server of sc, both traced, and
   their handshake pumped in memory: 0 when both are DONE.  The objects are
   the caller's to free, whatever the answer. */
int connect_pair(tlshs_config *cc, tlshs_config *sc, tlshs **c, tlshs **s);

/* Reads on both sides, moving bytes, until neither has anything more to
   send or take in (the tickets, the answer to a move): the pair settles. */
void settle(tlshs *a, tlshs *b);

/* Writes msg on from and reads it on to, moving bytes both ways (to may
   owe from an answer, a KeyUpdate); 1 if msg arrived whole. */
int flows(tlshs *from, tlshs *to, const char *msg);

/* The server side of a 0-RTT handshake: tlshs_read_early on s until DONE
   with nothing more, moving bytes with the client c's steps; the early data
   read goes to got (cap bytes), its length to *len.  0 when both are DONE
   with nothing pending (else says why on stderr, -1). */
int early_handshake(tlshs *c, tlshs *s, char *got, size_t cap, size_t *len);

/* A session for a client of cc from a full handshake with a server of sc:
   the pair settles (the tickets are read) and the server shuts down (a
   session whose connection ends without close_notify leaves OpenSSL's
   cache, which 0-RTT's anti-replay needs).  The DER goes to der; returns
   its length, or 0 if there is none or it does not fit in cap. */
size_t session_from(tlshs_config *cc, tlshs_config *sc, unsigned char *der, size_t cap);

/* Moves everything pending from one to the other; returns the byte count. */
size_t move_bytes(tlshs *from, tlshs *to);

/* Whether hs's peer certificate is exactly the first one in the PEM file
   (when not, says what each holds on stderr). */
int peer_cert_is(const tlshs *hs, const char *pem);

/* How many trace events hs recorded with this direction (1 sent, 0
   received) and name ("ClientHello", "fatal:unknown_ca"). */
int trace_count(const tlshs *hs, int sent, const char *name);

/* The index of the nth (0-based) such event, or -1. */
long trace_index(const tlshs *hs, int sent, const char *name, int nth);

/* Prints hs's trace on one line to stderr (diagnostics): ">ClientHello(517)". */
void trace_print(const tlshs *hs);

/* Whether slow tests (many iterations) should be skipped (under valgrind). */
int tests_slow(void);

/* The minor version of the OpenSSL 3 the suite runs on (0 for 3.0, 5 for
   3.5), for the few expectations that differ between versions; the peers
   (openssl s_server, s_client) are the same version (make test-openssl35
   puts 3.5's first on PATH). */
int openssl_minor(void);

#endif
