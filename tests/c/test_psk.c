/*
 * test_psk.c - the psk and psk_identity keys: a server with a pre-shared
 * key and no certificate, TLS 1.2's PSK suites and TLS 1.3's external PSK,
 * between two tlshs peers and against openssl s_server / s_client -psk.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_psk.h"
#undef TEST_ENTRY

#define KEY "00112233445566778899aabbccddeeff"

static tlshs_config *psk_server(const char *version, const char *identity) {
    tlshs_config *cfg = tlshs_config_new(TLSHS_SERVER);
    if (cfg && (tlshs_config_set(cfg, "psk", KEY) || tlshs_config_set(cfg, "max_version", version) ||
                (identity && tlshs_config_set(cfg, "psk_identity", identity)))) {
        tlshs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static tlshs_config *psk_client(const char *key, const char *identity) {
    tlshs_config *cfg = tlshs_config_new(TLSHS_CLIENT);
    if (cfg && (tlshs_config_set(cfg, "verify", "none") || tlshs_config_set(cfg, "psk", key) ||
                (identity && tlshs_config_set(cfg, "psk_identity", identity)))) {
        tlshs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* A handshake of cc against sc in memory; the results in *rc, *rs. */
static void run(tlshs_config *cc, tlshs_config *sc, tlshs_result *rc, tlshs_result *rs, char *cipher, size_t cap) {
    tlshs *c = tlshs_new(cc, NULL), *s = tlshs_new(sc, NULL);
    *rc = *rs = TLSHS_WANT_READ;
    if (c && s) tlshs_pair(c, s, NULL, NULL, 30, rc, rs);
    snprintf(cipher, cap, "%s", tlshs_cipher(c));
    if (*rs == TLSHS_DONE) CHECK(tlshs_peer_cert(c, NULL) == NULL); /* no certificate was sent */
    tlshs_free(c);
    tlshs_free(s);
}

static void psk_pair(const char *version) {
    tlshs_config *sc = psk_server(version, "device-7"), *good = psk_client(KEY, "device-7"),
                 *wrong_id = psk_client(KEY, "device-8"), *wrong_key = psk_client("ffff" KEY, "device-7");
    tlshs_result rc, rs;
    char cipher[64];
    CHECK(sc && good && wrong_id && wrong_key);
    run(good, sc, &rc, &rs, cipher, sizeof cipher);
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    if (strcmp(version, "1.2") == 0) CHECK_CONTAINS(cipher, "PSK");
    run(wrong_id, sc, &rc, &rs, cipher, sizeof cipher);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    run(wrong_key, sc, &rc, &rs, cipher, sizeof cipher);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_RESULT(rs, TLSHS_CLOSED);
    tlshs_config_free(sc);
    tlshs_config_free(good);
    tlshs_config_free(wrong_id);
    tlshs_config_free(wrong_key);
}

TEST(test_psk_pair_tls12) {
    psk_pair("1.2");
}

TEST(test_psk_pair_tls13) {
    psk_pair("1.3");
}

/* Values: hex of 1 to 256 bytes; an identity of 1 to 256 bytes; a server
   without psk still needs a certificate. */
TEST(test_psk_values) {
    tlshs_config *cfg = tlshs_config_new(TLSHS_SERVER);
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(cfg, "psk", "abc"), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "psk: ", "hex");
    CHECK_INT(tlshs_config_set(cfg, "psk", "zz"), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "psk: ", "hex");
    CHECK_INT(tlshs_config_set(cfg, "psk", ""), ==, -1);
    CHECK_INT(tlshs_config_set(cfg, "psk_identity", ""), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "psk_identity: ", "1 to 256 bytes");
    CHECK(tlshs_new(cfg, NULL) == NULL); /* no certificate and no psk */
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "cert_file: ", "or a psk");
    tlshs_config_free(cfg);
}

/* A tlshs client against `openssl s_server -psk KEY -psk_identity ID -nocert`. */
static void against_s_server(peer_link *l, const char *version) {
    peer_argl(&l->args, "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-nocert", "-psk",
              KEY, "-psk_identity", "device-7", version, (char *)NULL);
    l->cfg = psk_client(KEY, "device-7");
    CHECK(l->cfg);
    CHECK(link_to_s_server(l) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, NULL)) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK(link_write(l, "psk hello\n", 10) == 0);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "psk hello", peer_now() + peer_budget(5)));
}

TEST(test_psk_against_s_server_tls12) {
    peer_link l;
    link_init(&l, 0);
    against_s_server(&l, "-tls1_2");
    link_close(&l);
}

TEST(test_psk_against_s_server_tls13) {
    peer_link l;
    link_init(&l, 0);
    against_s_server(&l, "-tls1_3");
    link_close(&l);
}
