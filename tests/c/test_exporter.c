/*
 * test_exporter.c - tlshs_export_keying_material (RFC 5705, RFC 8446 7.5):
 * both ends of a tlshs pair derive the same bytes, and they are the bytes
 * `openssl s_server -keymatexport` prints for the same label, in TLS 1.2
 * and 1.3; misuse is refused without touching the output.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_exporter.h"
#undef TEST_ENTRY

#define LABEL "EXPERIMENTAL-tlshs-test"

static void hex(const unsigned char *p, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02X", p[i]);
}

/* Both sides agree, with and without a context; the context matters in
   TLS 1.2 (none and empty differ) but not in 1.3. */
static void pair_agrees(const char *version) {
    tlshs_config *cc = client_with("max_version", version, NULL), *sc = server_config();
    tlshs *c = NULL, *s = NULL;
    unsigned char a[48], b[48], none[48], empty[48], ctx[48];
    CHECK(cc && sc);
    c = tlshs_new(cc, "localhost");
    s = tlshs_new(sc, NULL);
    CHECK(c && s);
    memset(a, 0xAA, sizeof a);
    CHECK_INT(tlshs_export_keying_material(c, a, sizeof a, LABEL, NULL, 0, 0), ==, -1);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_STATE); /* before the handshake */
    CHECK(a[0] == 0xAA && a[47] == 0xAA);
    CHECK(pump(c, s, 20));
    CHECK_INT(tlshs_export_keying_material(c, a, sizeof a, LABEL, NULL, 0, 0), ==, 0);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_OK);
    CHECK_INT(tlshs_export_keying_material(s, b, sizeof b, LABEL, NULL, 0, 0), ==, 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    memcpy(none, a, sizeof none);
    CHECK_INT(tlshs_export_keying_material(c, empty, sizeof empty, LABEL, (const unsigned char *)"", 0, 1), ==, 0);
    CHECK_INT(tlshs_export_keying_material(c, ctx, sizeof ctx, LABEL, (const unsigned char *)"ctx", 3, 1), ==, 0);
    CHECK_INT(tlshs_export_keying_material(s, b, sizeof b, LABEL, (const unsigned char *)"ctx", 3, 1), ==, 0);
    CHECK(memcmp(ctx, b, sizeof b) == 0);
    CHECK(memcmp(ctx, none, sizeof ctx) != 0);
    if (strcmp(version, "1.2") == 0) CHECK(memcmp(none, empty, sizeof none) != 0);
    else CHECK(memcmp(none, empty, sizeof none) == 0);
    /* another label, another length: other bytes */
    CHECK_INT(tlshs_export_keying_material(c, b, 16, "EXPERIMENTAL-other", NULL, 0, 0), ==, 0);
    CHECK(memcmp(a, b, 16) != 0);
    /* misuse: refused, out untouched */
    memset(b, 0x55, sizeof b);
    CHECK_INT(tlshs_export_keying_material(c, b, 0, LABEL, NULL, 0, 0), ==, -1);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_ARGUMENT);
    CHECK_INT(tlshs_export_keying_material(c, b, sizeof b, NULL, NULL, 0, 0), ==, -1);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_ARGUMENT);
    CHECK_INT(tlshs_export_keying_material(c, b, sizeof b, LABEL, NULL, 4, 1), ==, -1);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_ARGUMENT);
    CHECK(b[0] == 0x55);
    CHECK_INT(tlshs_export_keying_material(NULL, b, sizeof b, LABEL, NULL, 0, 0), ==, -1);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

TEST(test_exporter_pair_tls13) {
    pair_agrees("1.3");
}

TEST(test_exporter_pair_tls12) {
    pair_agrees("1.2");
}

/* What s_server -keymatexport LABEL -keymatexportlen 32 prints ("Keying
   material: HEX") is what a tlshs client derives. */
static void s_server_agrees(peer_link *l, const char *version) {
    unsigned char km[32];
    char want[80], line[120];
    peer_argl(&l->args, "openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-cert",
              cert_path("server.pem"), "-key", cert_path("server.key"), version, "-keymatexport", LABEL,
              "-keymatexportlen", "32", (char *)NULL);
    l->cfg = client_config();
    CHECK(l->cfg);
    CHECK(link_to_s_server(l) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK_INT(tlshs_export_keying_material(l->hs, km, sizeof km, LABEL, NULL, 0, 0), ==, 0);
    hex(km, sizeof km, want);
    snprintf(line, sizeof line, "Keying material: %s", want);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, line, peer_now() + peer_budget(5)));
}

TEST(test_exporter_against_s_server_tls13) {
    peer_link l;
    link_init(&l, 0);
    s_server_agrees(&l, "-tls1_3");
    link_close(&l);
}

TEST(test_exporter_against_s_server_tls12) {
    peer_link l;
    link_init(&l, 0);
    s_server_agrees(&l, "-tls1_2");
    link_close(&l);
}
