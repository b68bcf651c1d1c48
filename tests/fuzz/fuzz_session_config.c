/*
 * fuzz_session_config.c - a libFuzzer target over what a program hands
 * tlshs besides the peer's bytes: a saved session (tlshs_set_session) and
 * config values (tlshs_config_set, then tlshs_new).  Whatever it is given,
 * a refusal must say why (a message and a code), nothing may stay in
 * OpenSSL's error queue, and a handshake made from what was accepted must
 * keep the rules of fuzz_common.h against a real peer.
 *
 * The first input byte:
 *   bit 7 clear: session mode.  The rest is a DER session given to a client
 *     (bits 1-2 pick the variant as FZ_TLS12 and FZ_MUTUAL do in
 *     fuzz_handshake.c; bit 5 makes the client "verify none"), which then
 *     talks to a real server.  With bit 4 set the rest is instead edits
 *     [offset hi, offset lo, x] (x 0: cut there) of the session this process
 *     saved from a clean run of the variant: its server holds the ticket
 *     key, so an edited session can really resume (a seed's session, from
 *     another process, never can: the server refuses its ticket).
 *   bit 7 set: config mode, for a client (bit 6 clear) or a server (bit 6
 *     set).  A client config starts with ca_file set to the test CA unless
 *     bit 5 is set: loading the system's trust store, the default, costs a
 *     client tens of ms per run under ASan, ten times the rest of the run.
 *     The rest is up to 16 pairs "key\0value\0": each is set, then a
 *     handshake is made and, if it was, talks to a real peer (for a server:
 *     a verifying client with a certificate; for a client: an ECDSA server).
 *     A path is never taken from the input: the value of a key whose name
 *     has "file" or "path" in it picks one of the test certificates, their
 *     directory or a missing path by its first byte, and keylog_file always
 *     writes /dev/null, so a run reads and writes nothing else.
 *
 * Seeds: make_seeds.c writes real exported sessions and a value for every
 * key into build/fuzz-seeds/session-config (`make fuzz-seeds`).
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 16

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fz_setup();
    atexit(fz_print_tally);
    return 0;
}

static void session_mode(int flags, const uint8_t *der, size_t len) {
    static unsigned char edited[sizeof fz.session[0]];
    int v = FZ_VARIANT(flags);
    if (flags & 0x10) { /* edits [offset hi, offset lo, x] of this process's own session */
        const uint8_t *edits = der;
        size_t n = len;
        len = fz.session_len[v];
        memcpy(edited, fz.session[v], len);
        for (size_t i = 0; i + 3 <= n && len > 0; i += 3) {
            size_t at = ((size_t)edits[i] << 8 | edits[i + 1]) % len;
            if (edits[i + 2]) edited[at] ^= edits[i + 2];
            else len = at;
        }
        der = edited;
    }
    tlshs *c = tlshs_new(flags & 0x20 ? fz.client_noverify[v] : fz.client[v], "localhost");
    tlshs *s = tlshs_new(fz.server[v], NULL);
    must(c && s, "tlshs_new failed");
    if (tlshs_set_session(c, der, len) != 0) {
        must(*tlshs_usage_error(c) != '\0', "set_session refused without a reason");
        must(tlshs_usage_code(c) != TLSHS_OK, "set_session refused with the code ok");
        fz_count("set_session refused", tlshs_code_name(tlshs_usage_code(c)));
    } else {
        fz_count("set_session accepted", NULL);
    }
    must(ERR_peek_error() == 0, "errors left in OpenSSL's queue by set_session");
    fz_converse(c, s, c, NULL, NULL);
}

/* The value a path key gets instead of the input's bytes. */
static const char *safe_path(const char *key, const char *value) {
    static const char *const names[] = {"ca.pem",     "server-ec.pem", "server-ec.key",
                                        "server.pem", "server.key",    "client.pem",
                                        "client.key", "unknown-ca.pem"};
    size_t pick = (unsigned char)value[0] % (sizeof names / sizeof names[0] + 2);
    if (strstr(key, "keylog")) return "/dev/null";
    if (pick < sizeof names / sizeof names[0]) return fz_path(names[pick]);
    return pick == sizeof names / sizeof names[0] ? fz_certs() : "/nonexistent/tlshs-fuzz";
}

/* The next NUL-terminated string of [*at, end) copied into out (cut to cap). */
static const char *next_string(const uint8_t **at, const uint8_t *end, char *out, size_t cap) {
    size_t n = 0;
    while (*at < end && **at != 0) {
        if (n + 1 < cap) out[n++] = (char)**at;
        (*at)++;
    }
    if (*at < end) (*at)++; /* the NUL */
    out[n] = '\0';
    return out;
}

static void config_mode(int flags, const uint8_t *at, const uint8_t *end) {
    static char key[256], value[16384];
    int server = (flags & 0x40) != 0;
    tlshs_config *cfg = tlshs_config_new(server ? TLSHS_SERVER : TLSHS_CLIENT);
    tlshs *hs, *peer;
    must(cfg != NULL, "out of memory");
    if (!server && !(flags & 0x20)) fz_set(cfg, "ca_file", fz_path("ca.pem"));
    for (int i = 0; i < MAX_PAIRS && at < end; i++) {
        const char *val;
        next_string(&at, end, key, sizeof key);
        val = next_string(&at, end, value, sizeof value);
        if (strstr(key, "file") || strstr(key, "path") || strstr(key, "keylog"))
            val = safe_path(key, value);
        if (tlshs_config_set(cfg, key, val) != 0) {
            must(*tlshs_config_error(cfg) != '\0', "config_set refused without a reason");
            must(tlshs_config_error_code(cfg) != TLSHS_OK, "config_set refused with the code ok");
            fz_count("config_set refused", tlshs_code_name(tlshs_config_error_code(cfg)));
        } else {
            fz_count("config_set accepted", key);
        }
        must(ERR_peek_error() == 0, "errors left in OpenSSL's queue by config_set");
    }
    hs = tlshs_new(cfg, server ? NULL : "localhost");
    must(ERR_peek_error() == 0, "errors left in OpenSSL's queue by tlshs_new");
    if (!hs) {
        must(*tlshs_config_error(cfg) != '\0', "tlshs_new refused without a reason");
        fz_count("tlshs_new refused", tlshs_code_name(tlshs_config_error_code(cfg)));
    } else if (server) {
        peer = tlshs_new(fz.client[FZ_VARIANT(FZ_MUTUAL)], "localhost");
        must(peer != NULL, "tlshs_new failed");
        fz_converse(peer, hs, hs, NULL, NULL);
    } else {
        peer = tlshs_new(fz.server[0], NULL);
        must(peer != NULL, "tlshs_new failed");
        fz_converse(hs, peer, hs, NULL, NULL);
    }
    tlshs_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    fz_runs++;
    if (data[0] & 0x80) {
        fz_count(data[0] & 0x40 ? "config mode, server" : "config mode, client", NULL);
        config_mode(data[0], data + 1, data + size);
    } else {
        fz_count("session mode", data[0] & 0x20 ? "verify none" : "verifying client");
        session_mode(data[0], data + 1, size - 1);
    }
    return 0;
}
