/*
 * test_registry.c - the names of csrc/registry.c against IANA's registries
 * (tests/data/iana-*.csv), for every group and signature algorithm the
 * OpenSSL under test knows.
 *
 * The names come from `openssl list -tls-groups` (and -tls1_2 for the groups
 * only TLS 1.2 has) and `openssl list -tls-signature-algorithms` of the
 * openssl command on PATH, the same version as the library (make
 * test-openssl35 puts 3.5's first).  Each is offered alone by a tlshs client
 * (groups or sigalgs), and its code point read from the ClientHello as
 * tlshs parsed it: OpenSSL maps the name to the number, IANA's table the
 * number to the name, and tlshs must say that name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define TEST_ENTRY(name) void name(void);
#include "list_registry.h"
#undef TEST_ENTRY

struct iana_row {
    unsigned value;
    char name[64];
};

/* Reads "Value,Description" rows (decimal or 0x hex); the count, 0 on failure. */
static size_t read_iana(const char *path, struct iana_row *rows, size_t cap) {
    FILE *f = fopen(path, "r");
    char line[256];
    size_t n = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f) && n < cap) {
        char *comma = strchr(line, ','), *end;
        unsigned long v;
        if (!comma || strncmp(line, "Value,", 6) == 0) continue;
        v = strtoul(line, &end, 0);
        if (end != comma) continue;
        comma[1 + strcspn(comma + 1, ",\r\n")] = '\0';
        rows[n].value = (unsigned)v;
        snprintf(rows[n].name, sizeof rows[n].name, "%s", comma + 1);
        n++;
    }
    fclose(f);
    return n;
}

static const char *iana_name(const struct iana_row *rows, size_t n, unsigned value) {
    for (size_t i = 0; i < n; i++)
        if (rows[i].value == value) return rows[i].name;
    return NULL;
}

/* The names `openssl list ARGS` prints, colon-separated, into buf; how many. */
static size_t openssl_list(const char *args, char *buf, size_t cap, char **names, size_t max) {
    char cmd[128];
    FILE *p;
    size_t len, n = 0;
    snprintf(cmd, sizeof cmd, "openssl list %s 2>/dev/null", args);
    if (!(p = popen(cmd, "r"))) return 0;
    len = fread(buf, 1, cap - 1, p);
    pclose(p);
    buf[len] = '\0';
    for (char *save = NULL, *t = strtok_r(buf, ":\n", &save); t && n < max; t = strtok_r(NULL, ":\n", &save))
        names[n++] = t;
    return n;
}

/* The first code point of the list `field` (groups or sigalgs) a client
   offers with key=name (and max_version 1.2 when tls12), at security level
   0 so that the weakest are offered too: -1 if it cannot. */
static long offered(const char *key, const char *name, int tls12, const char *field) {
    tlshs_config *cfg = tlshs_config_new(TLSHS_CLIENT);
    tlshs *hs = NULL;
    long v = -1;
    if (cfg && tlshs_config_set(cfg, "verify", "none") == 0 && tlshs_config_set(cfg, key, name) == 0 &&
        (!tls12 || tlshs_config_set(cfg, "max_version", "1.2") == 0) &&
        tlshs_config_set(cfg, "security_level", "0") == 0 && /* SHA-1, 160-bit curves */
        (hs = tlshs_new(cfg, NULL)) != NULL && tlshs_step(hs) == TLSHS_WANT_WRITE) {
        const tlshs_hello *h = tlshs_client_hello(hs);
        if (h && strcmp(field, "groups") == 0 && h->n_groups) v = h->groups[0];
        if (h && strcmp(field, "sigalgs") == 0 && h->n_sigalgs) v = h->sigalgs[0];
    }
    tlshs_free(hs);
    tlshs_config_free(cfg);
    return v;
}

/* name against IANA's description: the same, or (RFC 8446's reserved DSA
   schemes) the description without "_RESERVED". */
static int same_name(const char *ours, const char *iana) {
    size_t n = strlen(iana);
    if (strcmp(ours, iana) == 0) return 1;
    return n > 9 && strcmp(iana + n - 9, "_RESERVED") == 0 && strlen(ours) == n - 9 &&
           strncmp(ours, iana, n - 9) == 0;
}

/* Every row of registry.c that IANA names has IANA's name (checked over the
   whole 16-bit space, so no row of ours is missed). */
TEST(test_registry_matches_iana) {
    static struct iana_row groups[128], sigs[128];
    size_t ng = read_iana("tests/data/iana-tls-supported-groups.csv", groups, 128);
    size_t ns = read_iana("tests/data/iana-tls-signaturescheme.csv", sigs, 128);
    size_t checked = 0;
    CHECK(ng > 50 && ns > 40);
    for (unsigned v = 0; v <= 0xffff; v++) {
        const char *g = tlshs_group_name(v), *s = tlshs_sigalg_name(v), *ig = iana_name(groups, ng, v),
                   *is = iana_name(sigs, ns, v);
        if (ig) {
            if (!g || !same_name(g, ig)) check_fail(__FILE__, __LINE__, "group 0x%04x: ours %s, IANA %s", v, g ? g : "(none)", ig);
            CHECK(g && same_name(g, ig));
            checked++;
        }
        if (is) {
            if (!s || !same_name(s, is)) check_fail(__FILE__, __LINE__, "sigalg 0x%04x: ours %s, IANA %s", v, s ? s : "(none)", is);
            CHECK(s && same_name(s, is));
            checked++;
        }
    }
    CHECK_INT(checked, ==, ng + ns);
}

/* Every group the OpenSSL under test knows is offered under its code point,
   which tlshs names as IANA does (or, for a code point IANA does not name,
   as OpenSSL does). */
TEST(test_registry_names_every_openssl_group) {
    static char buf13[4096], buf12[4096];
    char *names[2][128];
    size_t n[2] = {openssl_list("-tls-groups -tls1_3", buf13, sizeof buf13, names[0], 128),
                   openssl_list("-tls-groups -tls1_2", buf12, sizeof buf12, names[1], 128)};
    static struct iana_row rows[128];
    size_t nrows = read_iana("tests/data/iana-tls-supported-groups.csv", rows, 128), total = 0;
    if (openssl_minor() < 5) {
        /* 3.0's openssl list has no -tls-groups: the groups of its TLS code
           (ssl/t1_lib.c), the elliptic curves for TLS 1.2, the rest for both */
        static char known30[] = "secp256r1:secp384r1:secp521r1:x25519:x448:ffdhe2048:ffdhe3072:"
                                "ffdhe4096:ffdhe6144:ffdhe8192",
                    known30_12[] = "sect163k1:sect163r1:sect163r2:sect193r1:sect193r2:sect233k1:"
                                   "sect233r1:sect239k1:sect283k1:sect283r1:sect409k1:sect409r1:"
                                   "sect571k1:sect571r1:secp160k1:secp160r1:secp160r2:secp192k1:"
                                   "secp192r1:secp224k1:secp224r1:secp256k1:brainpoolP256r1:"
                                   "brainpoolP384r1:brainpoolP512r1";
        CHECK_INT(n[0] + n[1], ==, 0);
        n[0] = n[1] = 0;
        for (char *save = NULL, *t = strtok_r(known30, ":", &save); t; t = strtok_r(NULL, ":", &save))
            names[0][n[0]++] = t;
        for (char *save = NULL, *t = strtok_r(known30_12, ":", &save); t; t = strtok_r(NULL, ":", &save))
            names[1][n[1]++] = t;
    }
    CHECK(n[0] >= 5 && n[1] >= 5);
    for (int tls12 = 0; tls12 <= 1; tls12++) {
        for (size_t i = 0; i < n[tls12]; i++) {
            long v = offered("groups", names[tls12][i], tls12, "groups");
            const char *ours, *iana;
            if (v < 0) check_fail(__FILE__, __LINE__, "groups=%s: no ClientHello offers it", names[tls12][i]);
            CHECK(v >= 0);
            ours = tlshs_group_name((unsigned)v);
            iana = iana_name(rows, nrows, (unsigned)v);
            if (!ours || !same_name(ours, iana ? iana : names[tls12][i]))
                check_fail(__FILE__, __LINE__, "%s (0x%04lx): tlshs says %s, IANA %s", names[tls12][i], v,
                           ours ? ours : "(none)", iana ? iana : "(none)");
            CHECK(ours && iana);
            total++;
        }
    }
    printf("  %zu groups of %s named as IANA names them\n", total, tlshs_openssl_version());
}

/* The same for every TLS signature algorithm the OpenSSL under test lists. */
TEST(test_registry_names_every_openssl_sigalg) {
    static char buf[4096];
    char *names[128];
    size_t n = openssl_list("-tls-signature-algorithms", buf, sizeof buf, names, 128);
    static struct iana_row rows[128];
    size_t nrows = read_iana("tests/data/iana-tls-signaturescheme.csv", rows, 128);
    if (openssl_minor() < 5) {
        /* 3.0's openssl list has no -tls-signature-algorithms: the schemes of
           its TLS code (ssl/t1_lib.c's sigalg_lookup_tbl; the brainpool TLS 1.3
           schemes came in 3.2); 3.0 takes ecdsa_sha1 only as ECDSA+SHA1 */
        static char known30[] = "ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512:"
                                "ed25519:ed448:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"
                                "rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:rsa_pkcs1_sha256:"
                                "rsa_pkcs1_sha384:rsa_pkcs1_sha512:ECDSA+SHA1:rsa_pkcs1_sha1";
        CHECK_INT(n, ==, 0);
        for (char *save = NULL, *t = strtok_r(known30, ":", &save); t; t = strtok_r(NULL, ":", &save))
            names[n++] = t;
    }
    CHECK(n >= 10);
    for (size_t i = 0; i < n; i++) {
        long v = offered("sigalgs", names[i], 0, "sigalgs"); /* TLS 1.3 and 1.2 ... */
        if (v < 0) v = offered("sigalgs", names[i], 1, "sigalgs"); /* ... or 1.2 alone (DSA) */
        const char *ours, *iana;
        if (v < 0) check_fail(__FILE__, __LINE__, "sigalgs=%s: no ClientHello offers it", names[i]);
        CHECK(v >= 0);
        ours = tlshs_sigalg_name((unsigned)v);
        iana = iana_name(rows, nrows, (unsigned)v);
        if (!ours || !same_name(ours, iana ? iana : names[i]))
            check_fail(__FILE__, __LINE__, "%s (0x%04lx): tlshs says %s, IANA %s", names[i], v,
                       ours ? ours : "(none)", iana ? iana : "(none)");
        CHECK(ours && same_name(ours, iana ? iana : names[i]));
    }
    printf("  %zu signature algorithms of %s named as IANA names them\n", n, tlshs_openssl_version());
}
