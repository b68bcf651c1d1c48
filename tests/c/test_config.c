/* test_config.c - the configuration side of the core: keys and their
   values one by one, the checks made at the freeze, files, DH and security
   levels, the system store.  Configs shared by threads: test_threads.c. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check.h"

/* Makes a client and a server from the configs (their references are handed
   over) and pumps them; returns 1 if both ended DONE, the objects in *c, *s. */
static int handshake(tlshs_config *cc, tlshs_config *sc, tlshs **c, tlshs **s) {
    struct pair p = pair_of(cc, sc, "localhost");
    *c = p.c;
    *s = p.s;
    return p.c && p.s && pump(p.c, p.s, 30);
}

static void free_both(tlshs *c, tlshs *s) {
    tlshs_free(c);
    tlshs_free(s);
}

/* Runs a shell command made from a format; 0 when it succeeded. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* ------------------------------------------------------------ roles */

TEST(test_role_names) {
    tlshs_role role = (tlshs_role)7;
    CHECK_STR(tlshs_role_name(TLSHS_CLIENT), "client");
    CHECK_STR(tlshs_role_name(TLSHS_SERVER), "server");
    CHECK_STR(tlshs_role_name((tlshs_role)7), "unknown");
    CHECK_STR(tlshs_role_name((tlshs_role)-1), "unknown");
    CHECK_INT(tlshs_role_from_name("server", &role), ==, 0);
    CHECK_INT(role, ==, TLSHS_SERVER);
    CHECK_INT(tlshs_role_from_name("client", &role), ==, 0);
    CHECK_INT(role, ==, TLSHS_CLIENT);
    for (int i = 0; i < 2; i++) /* every name round-trips */
        CHECK_INT(tlshs_role_from_name(tlshs_role_name((tlshs_role)i), &role) == 0 && role == (tlshs_role)i, ==, 1);
    role = TLSHS_SERVER;
    CHECK_INT(tlshs_role_from_name("Client", &role), ==, -1);
    CHECK_INT(tlshs_role_from_name("clients", &role), ==, -1);
    CHECK_INT(tlshs_role_from_name("", &role), ==, -1);
    CHECK_INT(tlshs_role_from_name("unknown", &role), ==, -1);
    CHECK_INT(tlshs_role_from_name(NULL, &role), ==, -1);
    CHECK_INT(tlshs_role_from_name("client", NULL), ==, -1);
    CHECK_INT(role, ==, TLSHS_SERVER); /* untouched by the failures */
}

/* ------------------------------------------------- keys and values, one by one */

/* set(key, value) on a new config of role fails with code; the message
   starts with the key's name and holds detail (our words; NULL for none);
   nothing is left in OpenSSL's error queue for others. */
static void expect_set_error(tlshs_role role, const char *key, const char *value, tlshs_code code,
                             const char *detail) {
    tlshs_config *cfg = tlshs_config_new(role);
    char start[64];
    CHECK(cfg);
    snprintf(start, sizeof start, "%s: ", key);
    CHECK_INT(tlshs_config_set(cfg, key, value), ==, -1);
    if (detail)
        CHECK_CONFIG_ERROR(cfg, code, start, detail);
    else
        CHECK_CONFIG_ERROR(cfg, code, start);
    CHECK_INT(ERR_peek_error(), ==, 0);
    tlshs_config_free(cfg);
}

TEST(test_config_bad_keys_and_values) {
    static const struct {
        tlshs_role role;
        const char *key, *value;
        tlshs_code code;
        const char *detail; /* in the message after the key's name, or NULL */
    } cases[] = {
        {TLSHS_CLIENT, "nope", "x", TLSHS_E_UNKNOWN_KEY, "unknown key"},
        {TLSHS_CLIENT, "ca_file", "/nonexistent/ca.pem", TLSHS_E_FILE, "/nonexistent/ca.pem"},
        {TLSHS_CLIENT, "ca_path", "/nonexistent", TLSHS_E_FILE, "/nonexistent"},
        {TLSHS_CLIENT, "ca_pem", "not a certificate", TLSHS_E_BAD_VALUE, "no PEM certificate"},
        {TLSHS_SERVER, "cert_file", "/nonexistent", TLSHS_E_FILE, "/nonexistent"},
        {TLSHS_SERVER, "cert_file", "Makefile", TLSHS_E_BAD_VALUE, "Makefile"},
        {TLSHS_SERVER, "key_file", "/nonexistent", TLSHS_E_FILE, "/nonexistent"},
        {TLSHS_SERVER, "cert_pem", "garbage", TLSHS_E_BAD_VALUE, "no PEM certificate"},
        {TLSHS_SERVER, "key_pem", "garbage", TLSHS_E_BAD_VALUE, "no usable PEM private key"},
        {TLSHS_CLIENT, "verify", "maybe", TLSHS_E_BAD_VALUE, "'maybe' is not one of none, peer, require"},
        {TLSHS_CLIENT, "min_version", "2.0", TLSHS_E_BAD_VALUE, "'2.0'"},
        {TLSHS_CLIENT, "max_version", "None", TLSHS_E_BAD_VALUE, "'None'"},
        {TLSHS_CLIENT, "max_version", "TLSv9", TLSHS_E_BAD_VALUE, "'TLSv9'"},
        {TLSHS_CLIENT, "alpn", "", TLSHS_E_BAD_VALUE, "the list is empty"},
        {TLSHS_CLIENT, "alpn", "h2,,x", TLSHS_E_BAD_VALUE, "each protocol must be 1 to 255 bytes"},
        {TLSHS_CLIENT, "ciphers", "NO-SUCH-CIPHER", TLSHS_E_BAD_VALUE, "'NO-SUCH-CIPHER'"},
        {TLSHS_CLIENT, "ciphersuites", "TLS_NOPE", TLSHS_E_BAD_VALUE, "'TLS_NOPE'"},
        {TLSHS_CLIENT, "groups", "nogroup", TLSHS_E_BAD_VALUE, "'nogroup'"},
        {TLSHS_CLIENT, "sigalgs", "RSA+NOPE", TLSHS_E_BAD_VALUE, "'RSA+NOPE'"},
        {TLSHS_CLIENT, "tickets", "yes", TLSHS_E_BAD_VALUE, "'yes' is not one of on, off"},
        {TLSHS_CLIENT, "keylog_file", "/nonexistent/dir/keys", TLSHS_E_FILE, "/nonexistent/dir/keys"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && !check_current_failed; i++)
        expect_set_error(cases[i].role, cases[i].key, cases[i].value, cases[i].code,
                         cases[i].detail);
}

TEST(test_config_null_arguments) {
    tlshs_config *cfg = tlshs_config_new(TLSHS_CLIENT);
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(NULL, "verify", "none"), ==, -1);
    CHECK_INT(tlshs_config_set(cfg, NULL, "none"), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_ARGUMENT, "", "key is NULL");
    CHECK_INT(tlshs_config_set(cfg, "verify", NULL), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_ARGUMENT, "verify: ", "value is NULL");
    CHECK_STR(tlshs_config_error(NULL), "");
    CHECK(tlshs_config_new((tlshs_role)7) == NULL);
    CHECK(tlshs_new(NULL, "localhost") == NULL);
    tlshs_config_free(NULL);
    tlshs_config_free(cfg);
}

TEST(test_config_read_only_in_use) {
    tlshs_config *cfg = client_config();
    tlshs *hs;
    CHECK(cfg);
    hs = tlshs_new(cfg, "localhost");
    CHECK(hs);
    CHECK_INT(tlshs_config_set(cfg, "alpn", "h2"), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_IN_USE, "alpn: ", "in use");
    tlshs_free(hs);
    CHECK_INT(tlshs_config_set(cfg, "alpn", "h2"), ==, -1); /* stays read-only */
    tlshs_config_free(cfg);
}

TEST(test_config_freed_while_in_use) {
    struct pair p = pair_of(client_config(), server_config(), "localhost"); /* configs freed */
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_STR(tlshs_version(p.c), "TLSv1.3");
    pair_free(&p);
}

TEST(test_server_needs_certificate) {
    tlshs_config *cfg = tlshs_config_new(TLSHS_SERVER);
    CHECK(cfg);
    CHECK(tlshs_new(cfg, NULL) == NULL);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "cert_file: ", "a server needs a certificate");
    tlshs_config_free(cfg);
    cfg = make_config(TLSHS_SERVER, "cert_file", cert_path("server.pem"), (char *)NULL);
    CHECK(cfg);
    CHECK(tlshs_new(cfg, NULL) == NULL);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "key_file: ", "the certificate has no key");
    tlshs_config_free(cfg);
}

/* OpenSSL 3.0 checks a key against the certificate of its own type when it
   is set: an RSA key for another RSA certificate is refused at once.  A key
   of another type (EC for an RSA certificate) goes into another slot and is
   taken; the check at the first handshake then refuses the config. */
TEST(test_key_must_match_certificate) {
    tlshs_config *cfg =
        make_config(TLSHS_SERVER, "cert_file", cert_path("server.pem"), (char *)NULL);
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(cfg, "key_file", cert_path("unknown.key")), ==, -1); /* RSA, RSA */
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "key_file: ");
    CHECK_INT(tlshs_config_set(cfg, "key_file", cert_path("client.key")), ==, 0); /* EC, RSA */
    CHECK(tlshs_new(cfg, NULL) == NULL);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "key_file: ", "does not match");
    tlshs_config_free(cfg);
}

TEST(test_client_needs_server_name) {
    tlshs_config *cfg = client_config();
    tlshs *hs;
    CHECK(cfg);
    CHECK(tlshs_new(cfg, NULL) == NULL);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "server_name: ", "a client that verifies needs");
    CHECK(tlshs_new(cfg, "") == NULL);
    tlshs_config_free(cfg);
    cfg = make_config(TLSHS_CLIENT, "verify", "none", (char *)NULL);
    CHECK(cfg);
    hs = tlshs_new(cfg, NULL);
    CHECK(hs);
    CHECK(tlshs_server_name(hs) == NULL);
    tlshs_free(hs);
    tlshs_config_free(cfg);
}

/* The system store is the default trust: our private CA is not in it. */
TEST(test_client_default_is_system_store) {
    struct pair p = pair_of(tlshs_config_new(TLSHS_CLIENT), server_config(), "localhost");
    tlshs_result rc, rs;
    CHECK(p.c && p.s);
    run_pair(&p, &rc, &rs);
    CHECK_RESULT(rc, TLSHS_CLOSED);
    CHECK_CODE(tlshs_error_code(p.c), TLSHS_E_VERIFY);
    CHECK_INT(tlshs_verify_result(p.c), !=, 0);
    pair_free(&p);
}

TEST(test_pem_keys) {
    char ca[4096], cert[4096], key[4096];
    const char *files[3] = {"ca.pem", "server-ec.pem", "server-ec.key"};
    char *bufs[3] = {ca, cert, key};
    struct pair p;
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(cert_path(files[i]), "r");
        size_t n;
        CHECK(f);
        n = fread(bufs[i], 1, 4095, f);
        fclose(f);
        bufs[i][n] = '\0';
    }
    p = pair_of(make_config(TLSHS_CLIENT, "ca_pem", ca, (char *)NULL),
                make_config(TLSHS_SERVER, "cert_pem", cert, "key_pem", key, (char *)NULL),
                "localhost");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    pair_free(&p);
}

TEST(test_ca_path) {
    const char *dir = cert_path("hashed");
    char cmd[1200];
    struct pair p;
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s %s/ && openssl rehash %s 2>/dev/null", dir,
             cert_path("ca.pem"), dir, dir);
    CHECK_INT(system(cmd), ==, 0);
    p = pair_of(make_config(TLSHS_CLIENT, "ca_path", dir, (char *)NULL), server_config(),
                "localhost");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    pair_free(&p);
}

TEST(test_keylog_file) {
    const char *path = cert_path("keylog.txt");
    struct pair p;
    char line[512];
    int found = 0;
    FILE *f;
    remove(path);
    p = pair_of(client_with("keylog_file", path, (char *)NULL), server_config(), "localhost");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    pair_free(&p);
    f = fopen(path, "r");
    CHECK(f);
    while (fgets(line, sizeof line, f))
        found += strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32) == 0 ||
                 strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0;
    fclose(f);
    CHECK_INT(found, ==, 2);
}

TEST(test_cipher_settings) {
    struct pair p = pair_of(
        client_with("max_version", "1.2", "ciphers", "ECDHE-RSA-AES128-GCM-SHA256", (char *)NULL),
        server_config(), "localhost");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_STR(tlshs_cipher(p.c), "ECDHE-RSA-AES128-GCM-SHA256");
    pair_free(&p);
    p = pair_of(client_with("ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", "sigalgs",
                            "ECDSA+SHA256:RSA-PSS+SHA256", (char *)NULL),
                server_config(), "localhost");
    CHECK(p.c && p.s);
    CHECK(pump(p.c, p.s, 20));
    CHECK_STR(tlshs_cipher(p.c), "TLS_CHACHA20_POLY1305_SHA256");
    pair_free(&p);
}

/* --------------------------------------------------- the moves' keys */

TEST(test_moves_keys_refused) {
    static const struct {
        tlshs_role role;
        const char *key, *value;
        tlshs_code code;
    } cases[] = {
        {TLSHS_SERVER, "num_tickets", "-1", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "num_tickets", "101", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "num_tickets", "", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "num_tickets", "2x", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "num_tickets", "2", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "max_early_data", "4294967296", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "max_early_data", "99999999999999999999999", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "max_early_data", "10", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "post_handshake_auth", "yes", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "post_handshake_auth", "on", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "status_request", "1", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "status_request", "on", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "ocsp_response_file", "/nonexistent/x.der", TLSHS_E_FILE},
        {TLSHS_SERVER, "ocsp_response_file", "/", TLSHS_E_FILE},
        {TLSHS_CLIENT, "ocsp_response_file", "x.der", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "max_fragment_length", "1000", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "max_fragment_length", "512", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", "", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", "65280", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", ":ab", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", "65536:ab", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", "65280:abc", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", "65280:zz", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", "65280:ab,65280:cd", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", "65280:ab,", TLSHS_E_BAD_VALUE},
        {TLSHS_CLIENT, "extensions", "0:00", TLSHS_E_BAD_VALUE},  /* server_name */
        {TLSHS_CLIENT, "extensions", "43:0304", TLSHS_E_BAD_VALUE}, /* supported_versions */
        {TLSHS_SERVER, "extensions", "65281:00", TLSHS_E_BAD_VALUE}, /* renegotiation_info */
        {TLSHS_CLIENT, "self_signed", "a.example", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "self_signed", "", TLSHS_E_BAD_VALUE},
        {TLSHS_SERVER, "self_signed", "a b", TLSHS_E_BAD_VALUE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && !check_current_failed; i++)
        expect_set_error(cases[i].role, cases[i].key, cases[i].value, cases[i].code, NULL);
}

TEST(test_moves_keys_accepted) {
    tlshs_config *c = tlshs_config_new(TLSHS_CLIENT), *s = tlshs_config_new(TLSHS_SERVER);
    CHECK(c && s);
    CHECK_INT(tlshs_config_set(c, "max_fragment_length", "4096"), ==, 0);
    CHECK_INT(tlshs_config_set(c, "post_handshake_auth", "off"), ==, 0);
    CHECK_INT(tlshs_config_set(c, "status_request", "off"), ==, 0);
    CHECK_INT(tlshs_config_set(c, "extensions", "1000:00ff,65535:AbCd"), ==, 0);
    CHECK_INT(tlshs_config_set(s, "num_tickets", "100"), ==, 0);
    CHECK_INT(tlshs_config_set(s, "max_early_data", "4294967295"), ==, 0);
    CHECK_INT(tlshs_config_set(s, "ocsp_response_file", cert_path("ocsp-server.der")), ==, 0);
    tlshs_config_free(c);
    tlshs_config_free(s);
}

/* A file that is not an OCSP response is refused at set time. */
TEST(test_moves_ocsp_file_not_der) {
    tlshs_config *s = tlshs_config_new(TLSHS_SERVER);
    CHECK(s);
    CHECK_INT(tlshs_config_set(s, "ocsp_response_file", cert_path("server.pem")), ==, -1);
    CHECK_CONFIG_ERROR(s, TLSHS_E_BAD_VALUE, "ocsp_response_file: ");
    tlshs_config_free(s);
}

/* num_tickets above 0 with tickets off contradicts, whatever the order. */
TEST(test_moves_num_tickets_vs_tickets_off) {
    tlshs_config *a = server_with("num_tickets", "3", "tickets", "off", NULL);
    tlshs_config *b = server_with("tickets", "off", "num_tickets", "3", NULL);
    tlshs_config *ok = server_with("tickets", "off", "num_tickets", "0", NULL);
    CHECK(a && b && ok);
    CHECK_INT(tlshs_config_check(a), ==, -1);
    CHECK_CONFIG_ERROR(a, TLSHS_E_INCOMPLETE, "num_tickets: ");
    CHECK_INT(tlshs_config_check(b), ==, -1);
    CHECK(tlshs_new(b, NULL) == NULL);
    CHECK_CONFIG_ERROR(b, TLSHS_E_INCOMPLETE, "num_tickets: ");
    CHECK_INT(tlshs_config_check(ok), ==, 0);
    tlshs_config_free(a);
    tlshs_config_free(b);
    tlshs_config_free(ok);
}

/* ------------------------------------------------- keys checked together */

/* What a client config with min_version and max_version set in the given
   order does: whether tlshs_new takes it, the code and message if not, and
   the version it then negotiates with a server that allows 1.0 to 1.3. */
struct outcome {
    int made, done;
    tlshs_code code;
    char error[256], version[16];
};

static struct outcome versions_outcome(const char *min, const char *max, int min_first) {
    struct outcome o = {0, 0, TLSHS_OK, "", ""};
    tlshs_config *cc = client_with("security_level", "0", (char *)NULL);
    tlshs_config *sc = server_with("min_version", "1.0", "security_level", "0", (char *)NULL);
    tlshs *c = NULL, *s = NULL;
    const char *first[2] = {"min_version", min}, *second[2] = {"max_version", max};
    if (!cc || !sc) goto out;
    if (!min_first) first[0] = "max_version", first[1] = max, second[0] = "min_version", second[1] = min;
    if (tlshs_config_set(cc, first[0], first[1]) != 0 || tlshs_config_set(cc, second[0], second[1]) != 0) {
        snprintf(o.error, sizeof o.error, "set refused: %s", tlshs_config_error(cc));
        goto out;
    }
    c = tlshs_new(cc, "localhost");
    o.made = c != NULL;
    o.code = tlshs_config_error_code(cc);
    snprintf(o.error, sizeof o.error, "%s", tlshs_config_error(cc));
    if (c && (s = tlshs_new(sc, NULL)) != NULL) {
        o.done = pump(c, s, 30);
        snprintf(o.version, sizeof o.version, "%s", tlshs_version(c) ? tlshs_version(c) : "-");
    }
out:
    free_both(c, s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    return o;
}

/* The same keys in either order give the same config: the versions are
   checked against each other at the freeze, not as each is set. */
TEST(test_config_version_keys_any_order) {
    static const struct {
        const char *min, *max, *version; /* NULL version: refused at the freeze */
    } cases[] = {{"1.0", "1.1", "TLSv1.1"}, {"1.1", "1.1", "TLSv1.1"}, {"1.2", "1.2", "TLSv1.2"},
                 {"1.2", "1.3", "TLSv1.3"}, {"1.3", "1.3", "TLSv1.3"}, {"1.3", "1.2", NULL},
                 {"1.2", "1.0", NULL},      {"TLSv1.3", "TLSv1.1", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct outcome a = versions_outcome(cases[i].min, cases[i].max, 1);
        struct outcome b = versions_outcome(cases[i].min, cases[i].max, 0);
        if (a.made != b.made || a.done != b.done || a.code != b.code || strcmp(a.error, b.error) != 0 ||
            strcmp(a.version, b.version) != 0)
            check_fail(__FILE__, __LINE__, "min %s max %s: min first (%d %d %d \"%s\" %s) != max first (%d %d %d \"%s\" %s)",
                       cases[i].min, cases[i].max, a.made, a.done, a.code, a.error, a.version, b.made, b.done,
                       b.code, b.error, b.version);
        if (cases[i].version) {
            CHECK_INT(a.made && a.done, ==, 1);
            CHECK_STR(a.version, cases[i].version);
        } else {
            CHECK_INT(a.made, ==, 0);
            CHECK_INT(a.code, ==, TLSHS_E_INCOMPLETE);
            CHECK_CONTAINS(a.error, "max_version: ");
            CHECK_CONTAINS(a.error, " is below min_version ");
        }
    }
}

/* A floor above the ceiling is refused by tlshs_config_check and the first
   tlshs_new, with both keys named; fixing either key before then mends it. */
TEST(test_config_check_names_both_version_keys) {
    tlshs_config *cfg = make_config(TLSHS_CLIENT, "verify", "none", "max_version", "1.2", "min_version", "1.3",
                                    (char *)NULL);
    tlshs *hs;
    CHECK(cfg);
    CHECK_INT(tlshs_config_error_code(cfg), ==, TLSHS_OK); /* both sets succeeded */
    CHECK_INT(tlshs_config_check(cfg), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "max_version: 1.2 is below min_version 1.3");
    CHECK(tlshs_new(cfg, NULL) == NULL);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "max_version: 1.2 is below min_version 1.3");
    CHECK_INT(tlshs_config_set(cfg, "max_version", "1.3"), ==, 0); /* not frozen: still settable */
    CHECK_INT(tlshs_config_check(cfg), ==, 0);
    CHECK_STR(tlshs_config_error(cfg), "");
    hs = tlshs_new(cfg, NULL);
    CHECK(hs);
    tlshs_free(hs);
    CHECK_INT(tlshs_config_check(cfg), ==, 0); /* in use: it passed */
    tlshs_config_free(cfg);
    /* only a ceiling below the default floor */
    cfg = make_config(TLSHS_CLIENT, "verify", "none", "max_version", "1.1", (char *)NULL);
    CHECK(cfg);
    CHECK(tlshs_new(cfg, NULL) == NULL);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "max_version: 1.1 is below min_version 1.2 (the default)");
    tlshs_config_free(cfg);
    CHECK_INT(tlshs_config_check(NULL), ==, -1);
}

/* ------------------------------------------------------------- values */

/* Fills buf with count protocols of len bytes each, comma-separated. */
static char *alpn_list(size_t count, size_t len, size_t last_len) {
    char *buf = malloc(count * (len + 1) + 1), *p = buf;
    for (size_t i = 0; buf && i < count; i++) {
        size_t n = i + 1 == count ? last_len : len;
        memset(p, 'a' + (int)(i % 26), n);
        p += n;
        *p++ = i + 1 == count ? '\0' : ',';
    }
    return buf;
}

/* RFC 7301's protocol list is at most 65535 bytes on the wire (a length byte
   and the name for each): one byte more is refused when set. */
TEST(test_config_alpn_wire_limit) {
    /* 255 names of 255 bytes and one of 254: 255 * 256 + 255 = 65535 */
    char *at = alpn_list(256, 255, 254), *over = alpn_list(256, 255, 255);
    tlshs_config *cfg = tlshs_config_new(TLSHS_CLIENT), *sc = tlshs_config_new(TLSHS_SERVER);
    CHECK(at && over && cfg && sc);
    CHECK_INT(strlen(at) + 1, ==, 65535);
    CHECK_INT(tlshs_config_set(cfg, "alpn", at), ==, 0);
    CHECK_INT(tlshs_config_set(cfg, "alpn", over), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "alpn: ", "65536 bytes");
    CHECK_INT(tlshs_config_set(sc, "alpn", over), ==, -1); /* the same rule for a server */
    CHECK_CONFIG_ERROR(sc, TLSHS_E_BAD_VALUE, "alpn: ");
    tlshs_config_free(cfg);
    tlshs_config_free(sc);
    free(at);
    free(over);
}

TEST(test_security_level_values) {
    static const char *const bad[] = {"6", "-1", "", "x", "00", "1 ", "2.0"};
    tlshs_config *cfg = tlshs_config_new(TLSHS_CLIENT);
    CHECK(cfg);
    for (int level = 0; level <= 5; level++) {
        char v[2] = {(char)('0' + level), '\0'};
        CHECK_INT(tlshs_config_set(cfg, "security_level", v), ==, 0);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(tlshs_config_set(cfg, "security_level", bad[i]), ==, -1);
        CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "security_level: ", "is not one of 0, 1, 2, 3, 4, 5");
    }
    tlshs_config_free(cfg);
}

/* ------------------------------------------------------------- files */

static void on_alarm(int sig) {
    static const char msg[] = "test_config_files_must_be_regular: blocked on a FIFO\n";
    (void)sig;
    write(2, msg, sizeof msg - 1);
    _exit(2);
}

/* A FIFO, a device or a directory named as a file to read is refused at
   once with TLSHS_E_FILE: never opened in a way that blocks (alarm() ends
   the suite if it does), never handed to OpenSSL ("PEM lib").  (The key
   log, which is written, takes more: test_keylog_file_kinds.) */
TEST(test_config_files_must_be_regular) {
    static const struct {
        tlshs_role role;
        const char *key;
    } file_keys[] = {{TLSHS_CLIENT, "ca_file"},     {TLSHS_SERVER, "cert_file"},
                     {TLSHS_SERVER, "key_file"},    {TLSHS_SERVER, "dh_params_file"}};
    char fifo[512], dir[512];
    const char *kinds[3][2];
    tlshs_config *cfg;
    snprintf(fifo, sizeof fifo, "%s", cert_path("test.fifo"));
    snprintf(dir, sizeof dir, "%s", cert_path("."));
    unlink(fifo);
    CHECK_INT(mkfifo(fifo, 0600), ==, 0);
    kinds[0][0] = fifo, kinds[0][1] = "is a FIFO, not a regular file";
    kinds[1][0] = "/dev/null", kinds[1][1] = "is a character device, not a regular file";
    kinds[2][0] = dir, kinds[2][1] = "is a directory, not a regular file";
    signal(SIGALRM, on_alarm);
    alarm(10);
    for (size_t k = 0; k < sizeof file_keys / sizeof file_keys[0]; k++) {
        for (int i = 0; i < 3; i++) {
            cfg = tlshs_config_new(file_keys[k].role);
            CHECK(cfg);
            if (tlshs_config_set(cfg, file_keys[k].key, kinds[i][0]) != -1 ||
                tlshs_config_error_code(cfg) != TLSHS_E_FILE ||
                !strstr(tlshs_config_error(cfg), file_keys[k].key) ||
                !strstr(tlshs_config_error(cfg), kinds[i][1]))
                check_fail(__FILE__, __LINE__, "%s = %s: code %s, \"%s\"", file_keys[k].key, kinds[i][0],
                           tlshs_code_name(tlshs_config_error_code(cfg)), tlshs_config_error(cfg));
            tlshs_config_free(cfg);
        }
    }
    /* ca_path must be a directory */
    cfg = tlshs_config_new(TLSHS_CLIENT);
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(cfg, "ca_path", fifo), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_FILE, "ca_path: ", "is a FIFO, not a directory");
    CHECK_INT(tlshs_config_set(cfg, "ca_path", cert_path("ca.pem")), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_FILE, "ca_path: ", "is a regular file, not a directory");
    CHECK_INT(tlshs_config_set(cfg, "ca_path", dir), ==, 0);
    tlshs_config_free(cfg);
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    unlink(fifo);
}

/* Files still load as before, and a missing one says so. */
TEST(test_config_file_errors) {
    tlshs_config *cfg = tlshs_config_new(TLSHS_SERVER);
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(cfg, "cert_file", "/nonexistent/x.pem"), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_FILE, "cert_file: cannot read /nonexistent/x.pem: No such file or directory");
    CHECK_INT(tlshs_config_set(cfg, "key_file", cert_path("ca.pem")), ==, -1); /* a certificate */
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "key_file: ", "ca.pem");
    CHECK_INT(tlshs_config_set(cfg, "ca_file", cert_path("server.key")), ==, -1); /* a key */
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "ca_file: ", "no PEM certificate or CRL found");
    CHECK_INT(tlshs_config_set(cfg, "cert_file", cert_path("server.pem")), ==, 0);
    CHECK_INT(tlshs_config_set(cfg, "key_file", cert_path("server.key")), ==, 0);
    CHECK_INT(tlshs_config_set(cfg, "ca_file", cert_path("ca.pem")), ==, 0);
    tlshs_config_free(cfg);
}

/* Reads a whole small file into buf (NUL-terminated); 0 on failure. */
static size_t slurp(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    return n;
}

/* A key that does not match its certificate is named by the keys that gave
   them; the mismatch is found at the freeze (EC key, RSA certificate). */
TEST(test_key_mismatch_names_keys_used) {
    static char cert[8192], key[8192];
    static const struct {
        const char *cert_key, *key_key;
    } ways[] = {{"cert_pem", "key_pem"}, {"cert_file", "key_pem"}, {"cert_pem", "key_file"},
                {"cert_file", "key_file"}};
    CHECK_INT(slurp(cert_path("server.pem"), cert, sizeof cert), >, 0);
    CHECK_INT(slurp(cert_path("client.key"), key, sizeof key), >, 0);
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        int cert_pem = strcmp(ways[i].cert_key, "cert_pem") == 0, key_pem = strcmp(ways[i].key_key, "key_pem") == 0;
        tlshs_config *cfg = make_config(TLSHS_SERVER, ways[i].cert_key, cert_pem ? cert : cert_path("server.pem"),
                                        ways[i].key_key, key_pem ? key : cert_path("client.key"), (char *)NULL);
        char want[128];
        CHECK(cfg);
        CHECK(tlshs_new(cfg, NULL) == NULL);
        snprintf(want, sizeof want, "%s: the key does not match the certificate (%s)", ways[i].key_key,
                 ways[i].cert_key);
        CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, want);
        tlshs_config_free(cfg);
    }
}

/* ------------------------------------------------------ DHE and levels */

/* TLS 1.2 DHE_RSA: a server picks DH parameters by itself, as s_server. */
TEST(test_dhe_rsa_auto) {
    tlshs *c, *s;
    int ok = handshake(client_with("ciphers", "DHE-RSA-AES128-GCM-SHA256", "max_version", "1.2", (char *)NULL),
                       server_config(), &c, &s);
    if (!ok) check_fail(__FILE__, __LINE__, "client: %s; server: %s", tlshs_error(c), tlshs_error(s));
    if (ok) {
        CHECK_STR(tlshs_cipher(c), "DHE-RSA-AES128-GCM-SHA256");
        CHECK_STR(tlshs_cipher(s), "DHE-RSA-AES128-GCM-SHA256");
        CHECK_STR(tlshs_version(c), "TLSv1.2");
    }
    free_both(c, s);
}

/* The length of the ServerKeyExchange a DHE client receives from a server
   with the extra server keys; 0 if the handshake fails. */
static size_t dhe_server_key_exchange(const char *key, const char *value) {
    tlshs *c, *s;
    size_t len = 0;
    tlshs_config *cc = client_with("ciphers", "DHE-RSA-AES128-GCM-SHA256", "max_version", "1.2", (char *)NULL);
    if (cc) tlshs_config_set(cc, "verify", "peer");
    c = cc ? tlshs_new(cc, "localhost") : NULL;
    if (c) tlshs_set_trace(c, 1);
    s = NULL;
    {
        tlshs_config *sc = server_with(key, value, (char *)NULL);
        s = sc ? tlshs_new(sc, NULL) : NULL;
        tlshs_config_free(sc);
    }
    tlshs_config_free(cc);
    if (c && s && pump(c, s, 30) && strcmp(tlshs_cipher(c), "DHE-RSA-AES128-GCM-SHA256") == 0)
        for (size_t i = 0; i < tlshs_trace_count(c); i++) {
            const tlshs_event *e = tlshs_trace_event(c, i);
            if (!e->sent && strcmp(e->name, "ServerKeyExchange") == 0) len = e->length;
        }
    free_both(c, s);
    return len;
}

/* dh_params_file: the server uses the given group (3072 bits, where the
   automatic choice for a 2048-bit RSA key is 2048), so its key exchange
   message carries a longer prime and public value. */
TEST(test_dhe_rsa_params_file) {
    char params[512];
    size_t auto_len, file_len;
    tlshs_config *cfg;
    snprintf(params, sizeof params, "%s", cert_path("dh-ffdhe3072.pem"));
    CHECK_INT(run("openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe3072 -out %s 2>/dev/null", params), ==, 0);
    auto_len = dhe_server_key_exchange("tickets", "on");
    file_len = dhe_server_key_exchange("dh_params_file", params);
    CHECK_INT(auto_len, >, 0);
    CHECK_INT(file_len, >=, auto_len + 2 * 128); /* p and Ys each 128 bytes longer */
    /* refusals */
    cfg = tlshs_config_new(TLSHS_SERVER);
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(cfg, "dh_params_file", cert_path("server.pem")), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "dh_params_file: ", "no PEM DH parameters found");
    CHECK_INT(tlshs_config_set(cfg, "dh_params_file", "/nonexistent/dh.pem"), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_FILE, "dh_params_file: cannot read /nonexistent/dh.pem");
    tlshs_config_free(cfg);
    cfg = tlshs_config_new(TLSHS_CLIENT);
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(cfg, "dh_params_file", params), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_BAD_VALUE, "dh_params_file: only a server");
    tlshs_config_free(cfg);
}

/* Weak DH parameters and a weak certificate are checked against the final
   security level at the freeze, whatever the order of the keys. */
TEST(test_security_level_checked_at_freeze) {
    char dh[512], weak_cert[512], weak_key[512];
    tlshs_config *cfg;
    snprintf(dh, sizeof dh, "%s", cert_path("dh-1024.pem"));
    snprintf(weak_key, sizeof weak_key, "%s", cert_path("weak-rsa1024.key"));
    snprintf(weak_cert, sizeof weak_cert, "%s", cert_path("weak-rsa1024.pem"));
    CHECK_INT(run("openssl genpkey -genparam -algorithm DH -pkeyopt dh_rfc5114:1 -out %s 2>/dev/null", dh), ==, 0);
    CHECK_INT(run("openssl req -x509 -newkey rsa:1024 -nodes -subj /CN=localhost -days 30 -keyout %s -out %s "
                  "2>/dev/null", weak_key, weak_cert), ==, 0);
    /* the default level (at least 1 on every build; Debian's is 2) refuses 1024-bit RSA: 80 bits */
    cfg = make_config(TLSHS_SERVER, "cert_file", weak_cert, "key_file", weak_key, "security_level", "2", (char *)NULL);
    CHECK(cfg);
    CHECK(tlshs_new(cfg, NULL) == NULL);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "cert_file: the own certificate's key gives 80 bits",
                       "security_level 2");
    tlshs_config_free(cfg);
    for (int order = 0; order < 2; order++) {
        tlshs *c, *s;
        tlshs_config *sc = order ? make_config(TLSHS_SERVER, "security_level", "0", "cert_file", weak_cert,
                                               "key_file", weak_key, (char *)NULL)
                                 : make_config(TLSHS_SERVER, "cert_file", weak_cert, "key_file", weak_key,
                                               "security_level", "0", (char *)NULL);
        CHECK(sc);
        CHECK_INT(handshake(make_config(TLSHS_CLIENT, "verify", "none", "security_level", "0", (char *)NULL), sc,
                            &c, &s), ==, 1);
        free_both(c, s);
    }
    cfg = server_with("dh_params_file", dh, "security_level", "2", (char *)NULL);
    CHECK(cfg);
    CHECK_INT(tlshs_config_check(cfg), ==, -1);
    CHECK_CONFIG_ERROR(cfg, TLSHS_E_INCOMPLETE, "dh_params_file: 1024-bit parameters are below security_level 2");
    CHECK(tlshs_new(cfg, NULL) == NULL);
    CHECK_INT(tlshs_config_error_code(cfg), ==, TLSHS_E_INCOMPLETE);
    CHECK_INT(tlshs_config_set(cfg, "security_level", "1"), ==, 0);
    CHECK_INT(tlshs_config_check(cfg), ==, 0);
    tlshs_config_free(cfg);
}

/* TLS 1.1 needs security level 0 on OpenSSL 3 (its signatures use SHA-1):
   with it the handshake completes, without it it fails. */
TEST(test_security_level_0_speaks_tls11) {
    tlshs *c, *s;
    int ok = handshake(client_with("min_version", "1.1", "max_version", "1.1", "security_level", "0", (char *)NULL),
                       server_with("min_version", "1.1", "max_version", "1.1", "security_level", "0", (char *)NULL),
                       &c, &s);
    if (!ok) check_fail(__FILE__, __LINE__, "client: %s; server: %s", tlshs_error(c), tlshs_error(s));
    if (ok) CHECK_STR(tlshs_version(c), "TLSv1.1");
    free_both(c, s);
    CHECK(ok);
    ok = handshake(client_with("min_version", "1.1", "max_version", "1.1", (char *)NULL),
                   server_with("min_version", "1.1", "max_version", "1.1", (char *)NULL), &c, &s);
    CHECK_INT(ok, ==, 0);
    CHECK_RESULT(tlshs_last_result(c), TLSHS_CLOSED);
    CHECK_RESULT(tlshs_last_result(s), TLSHS_CLOSED);
    free_both(c, s);
}

/* ----------------------------------------------------- the system store */

/* The system store's default: a client with no ca_* key does not trust our
   test CA, unless the process started with SSL_CERT_FILE naming it. */
static int system_store_trusts_test_ca(void) {
    tlshs *c, *s;
    int ok = handshake(tlshs_config_new(TLSHS_CLIENT), server_config(), &c, &s);
    free_both(c, s);
    return ok;
}

/* The store is read once per process: changing SSL_CERT_FILE later changes
   nothing here, and a new process reads it again.  A config with its own
   ca_file never adds to the shared store. */
TEST(test_system_store_once_per_process) {
    const char *child = getenv("TLSHS_TEST_STORE_CHILD");
    char self[4096];
    ssize_t n;
    pid_t pid;
    int status = -1;
    tlshs *c, *s;
    if (child) { /* the new process, started below with SSL_CERT_FILE=ca.pem */
        CHECK_INT(system_store_trusts_test_ca(), ==, 1);
        return;
    }
    CHECK_INT(system_store_trusts_test_ca(), ==, 0);
    /* a config that trusts ca.pem itself, then the shared store again */
    CHECK_INT(handshake(client_config(), server_config(), &c, &s), ==, 1);
    free_both(c, s);
    CHECK_INT(system_store_trusts_test_ca(), ==, 0);
    CHECK_INT(setenv("SSL_CERT_FILE", cert_path("ca.pem"), 1), ==, 0);
    CHECK_INT(system_store_trusts_test_ca(), ==, 0); /* already read */
    /* readlink, not an exec of /proc/self/exe: valgrind answers the test's path */
    CHECK_INT(n = readlink("/proc/self/exe", self, sizeof self - 1), >, 0);
    self[n] = '\0';
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        setenv("TLSHS_TEST_STORE_CHILD", "1", 1);
        if (!freopen("/dev/null", "w", stdout)) _exit(126); /* its failures go to stderr */
        execl(self, "test-c", "test_system_store_once_per_process", (char *)NULL);
        _exit(127);
    }
    unsetenv("SSL_CERT_FILE");
    CHECK_INT(pid, >, 0);
    CHECK_INT(waitpid(pid, &status, 0), ==, pid);
    CHECK_INT(WIFEXITED(status) && WEXITSTATUS(status) == 0, ==, 1);
}
