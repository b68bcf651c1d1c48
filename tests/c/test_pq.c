/*
 * test_pq.c - post-quantum hybrid key exchange (X25519MLKEM768, RFC 8446
 * key shares carrying ML-KEM-768 with X25519, draft-ietf-tls-ecdhe-mlkem).
 *
 * On OpenSSL 3.5: between two tlshs peers and against `openssl s_server`
 * 3.5, the group negotiated, named in the hello, and the key share sizes
 * read from the hellos' bytes in the trace (the client's share: an
 * ML-KEM-768 encapsulation key, 1,184 bytes, and an X25519 key, 32; the
 * server's: the 1,088-byte ciphertext and its X25519 key).  OpenSSL 3.5
 * offers it by default.  On 3.0, which has no ML-KEM, the groups key
 * refuses it with a clear error.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_pq.h"
#undef TEST_ENTRY

#define X25519MLKEM768 0x11ec
#define CLIENT_SHARE 1216 /* 1,184 + 32 */
#define SERVER_SHARE 1120 /* 1,088 + 32 */

static unsigned get16(const unsigned char *p) {
    return (unsigned)p[0] << 8 | p[1];
}

/* The key_share extension's entries in a ClientHello or ServerHello message
   (4-byte header included), as the trace gives it: the group and key length
   of the first entry; 0 if none is found.  A test's own walk over the bytes,
   independent of csrc/hello.c. */
static int first_share(const unsigned char *m, size_t len, unsigned *group, size_t *key_len) {
    size_t i = 4 + 2 + 32, end;
    int client = m[0] == 1;
    if (len < i + 1) return 0;
    i += 1 + m[i];                                 /* session id */
    if (client) {
        if (i + 2 > len) return 0;
        i += 2 + get16(m + i);                     /* cipher suites */
        if (i + 1 > len) return 0;
        i += 1 + m[i];                             /* compression methods */
    } else {
        i += 2 + 1;                                /* cipher suite, compression */
    }
    if (i + 2 > len) return 0;
    end = i + 2 + get16(m + i);
    for (i += 2; i + 4 <= end && end <= len; i += 4 + get16(m + i + 2)) {
        const unsigned char *d = m + i + 4;
        if (get16(m + i) != 51) continue;          /* key_share */
        if (client) d += 2;                        /* client_shares' length */
        *group = get16(d);
        *key_len = get16(d + 2);
        return 1;
    }
    return 0;
}

/* The first event named name (sent or received) in hs's trace, or NULL. */
static const tlshs_event *event(const tlshs *hs, int sent, const char *name) {
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e->sent == sent && strcmp(e->name, name) == 0) return e;
    }
    return NULL;
}

/* Checks hs's trace (client or server) shows the hybrid shares' sizes. */
static void check_shares(const tlshs *hs, int client) {
    const tlshs_event *ch = event(hs, client, "ClientHello"), *sh = event(hs, !client, "ServerHello");
    unsigned group = 0;
    size_t len = 0;
    CHECK(ch && ch->data && sh && sh->data);
    CHECK(first_share(ch->data, ch->length, &group, &len));
    CHECK_INT(group, ==, X25519MLKEM768);
    CHECK_INT(len, ==, CLIENT_SHARE);
    CHECK(first_share(sh->data, sh->length, &group, &len));
    CHECK_INT(group, ==, X25519MLKEM768);
    CHECK_INT(len, ==, SERVER_SHARE);
}

/* Two tlshs peers agree on X25519MLKEM768 (3.5), or the key refuses it (3.0). */
TEST(test_pq_between_tlshs_peers) {
    tlshs_config *cc = client_config(), *sc = server_config();
    tlshs *c = NULL, *s = NULL;
    const tlshs_hello *hello;
    CHECK(cc && sc);
    if (openssl_minor() < 5) {
        CHECK_INT(tlshs_config_set(cc, "groups", "X25519MLKEM768"), ==, -1);
        CHECK_INT(tlshs_config_error_code(cc), ==, TLSHS_E_BAD_VALUE);
        CHECK_CONTAINS(tlshs_config_error(cc), "groups: OpenSSL rejected 'X25519MLKEM768'");
        tlshs_config_free(cc);
        tlshs_config_free(sc);
        return;
    }
    CHECK_INT(tlshs_config_set(cc, "groups", "X25519MLKEM768"), ==, 0);
    CHECK_INT(tlshs_config_set(sc, "groups", "X25519MLKEM768:X25519"), ==, 0);
    c = tlshs_new(cc, "localhost");
    s = tlshs_new(sc, NULL);
    CHECK(c && s);
    tlshs_set_trace(c, 1);
    tlshs_set_trace(s, 1);
    CHECK(pump(c, s, 20));
    hello = tlshs_client_hello(s);
    CHECK(hello && hello->n_key_shares == 1);
    CHECK_STR(tlshs_group_name(hello->key_shares[0]), "X25519MLKEM768");
    CHECK_STR(tlshs_group_name(hello->groups[0]), "X25519MLKEM768");
    check_shares(c, 1);
    check_shares(s, 0);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

/* OpenSSL 3.5's default: a client offers X25519MLKEM768 and X25519 key
   shares, and two default peers agree on the hybrid. */
TEST(test_pq_default_groups) {
    tlshs_config *cc = client_config(), *sc = server_config();
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    const tlshs_hello *hello;
    CHECK(c && s);
    tlshs_set_trace(c, 1);
    CHECK(pump(c, s, 20));
    hello = tlshs_client_hello(s);
    CHECK(hello && hello->n_key_shares >= 1);
    if (openssl_minor() >= 5) {
        CHECK_INT(hello->n_key_shares, ==, 2);
        CHECK_INT(hello->key_shares[0], ==, X25519MLKEM768);
        CHECK_INT(hello->key_shares[1], ==, 29); /* x25519 */
        check_shares(c, 1);
    } else {
        CHECK_INT(hello->n_key_shares, ==, 1);
        CHECK_INT(hello->key_shares[0], ==, 29);
    }
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

/* Against `openssl s_server -groups X25519MLKEM768` (3.5): the hybrid is
   negotiated and s_server says so. */
static void s_server_body(peer_link *l) {
    if (openssl_minor() < 5) { /* 3.0's s_server has no ML-KEM either: it refuses the group */
        char out[2048];
        FILE *p = popen("timeout 10 openssl s_server -accept 127.0.0.1:0 -naccept 1 -groups X25519MLKEM768 "
                        "-nocert </dev/null 2>&1", "r");
        size_t n;
        int rc;
        CHECK(p);
        n = fread(out, 1, sizeof out - 1, p);
        out[n] = '\0';
        rc = pclose(p);
        CHECK(rc != 0 && WIFEXITED(rc) && WEXITSTATUS(rc) != 124); /* failed, not timed out */
        CHECK_CONTAINS(out, "X25519MLKEM768");                      /* "group ... cannot be set" */
        return;
    }
    peer_argl(&l->args, "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-cert",
              cert_path("server.pem"), "-key", cert_path("server.key"), "-tls1_3", "-groups",
              "X25519MLKEM768", (char *)NULL);
    l->cfg = client_config();
    CHECK(l->cfg);
    CHECK_INT(tlshs_config_set(l->cfg, "groups", "X25519MLKEM768:X25519"), ==, 0);
    CHECK(link_to_s_server(l) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    check_shares(l->hs, 1);
    CHECK(link_write(l, "Q\n", 2) == 0); /* s_server: end the session */
}

TEST(test_pq_against_s_server) {
    peer_link l;
    link_init(&l, 0);
    s_server_body(&l);
    link_close(&l);
}
