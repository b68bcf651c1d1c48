/* test_hello.c - the hello parser (csrc/hello.c) on hand-built, real and
   broken hellos: fields, JA3, JA4 (the definition's worked examples and
   rules), JA3S, GREASE, every truncation, oversized lengths, duplicates.
   The oracles (tshark, scapy) are in tests/python/test_hello_oracles.py. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "tlshs_internal.h"

/* ---- building hellos from lists ---- */

struct buf {
    unsigned char b[8192];
    size_t n;
};

static void put8(struct buf *o, unsigned v) {
    o->b[o->n++] = (unsigned char)v;
}

static void put16(struct buf *o, unsigned v) {
    put8(o, v >> 8 & 0xff);
    put8(o, v & 0xff);
}

static void put_bytes(struct buf *o, const void *p, size_t n) {
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

/* Patches a length field of `width` bytes at `at` to the bytes after it. */
static void patch_len(struct buf *o, size_t at, int width) {
    size_t n = o->n - at - (size_t)width;
    for (int i = width - 1; i >= 0; i--, n >>= 8)
        o->b[at + (size_t)i] = (unsigned char)(n & 0xff);
}

/* One extension: a type and its body. */
struct ext {
    unsigned type;
    struct buf body;
};

/* A body holding a list of 16-bit values with a 1- or 2-byte length prefix. */
static struct buf list16(int prefix, const uint16_t *v, size_t n) {
    struct buf o = {.n = 0};
    if (prefix == 1)
        put8(&o, (unsigned)(2 * n));
    else
        put16(&o, (unsigned)(2 * n));
    for (size_t i = 0; i < n; i++)
        put16(&o, v[i]);
    return o;
}

static struct buf raw_body(const char *bytes, size_t n) {
    struct buf o = {.n = 0};
    put_bytes(&o, bytes, n);
    return o;
}

static struct buf sni_body(const char *name) {
    struct buf o = {.n = 0};
    put16(&o, (unsigned)strlen(name) + 3);
    put8(&o, 0);
    put16(&o, (unsigned)strlen(name));
    put_bytes(&o, name, strlen(name));
    return o;
}

/* ALPN names separated by ','. */
static struct buf alpn_body(const char *names) {
    struct buf o = {.n = 0};
    const char *p = names;
    put16(&o, 0);
    while (*p) {
        size_t k = strcspn(p, ",");
        put8(&o, (unsigned)k);
        put_bytes(&o, p, k);
        p += k + (p[k] == ',');
    }
    patch_len(&o, 0, 2);
    return o;
}

/* A key_share body: one entry per group, each with a 32-byte share. */
static struct buf shares_body(const uint16_t *groups, size_t n) {
    static const unsigned char zeros[32];
    struct buf o = {.n = 0};
    put16(&o, 0);
    for (size_t i = 0; i < n; i++) {
        put16(&o, groups[i]);
        put16(&o, 32);
        put_bytes(&o, zeros, 32);
    }
    patch_len(&o, 0, 2);
    return o;
}

/* A whole ClientHello message; with_exts 0 leaves out the extensions block. */
static struct buf build_hello(unsigned version, const uint16_t *ciphers, size_t nc,
                              const struct ext *exts, size_t ne, int with_exts) {
    struct buf o = {.n = 0};
    put8(&o, 1);
    put8(&o, 0), put16(&o, 0); /* length, patched */
    put16(&o, version);
    for (int i = 0; i < 32; i++)
        put8(&o, (unsigned)i);
    put8(&o, 32);
    for (int i = 0; i < 32; i++)
        put8(&o, 0xee);
    put16(&o, (unsigned)(2 * nc));
    for (size_t i = 0; i < nc; i++)
        put16(&o, ciphers[i]);
    put8(&o, 1), put8(&o, 0);
    if (with_exts) {
        size_t at = o.n;
        put16(&o, 0);
        for (size_t i = 0; i < ne; i++) {
            put16(&o, exts[i].type);
            put16(&o, (unsigned)exts[i].body.n);
            put_bytes(&o, exts[i].body.b, exts[i].body.n);
        }
        patch_len(&o, at, 2);
    }
    patch_len(&o, 1, 3);
    return o;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The JA4 definition's example: its ciphers, extensions and signature
   algorithms in its order (technical_details/JA4.md, "Example"). */
static const uint16_t ex_ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                      0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                      0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t ex_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                      0x0805, 0x0501, 0x0806, 0x0601};

/* The example's 16 extensions; grease adds BoringSSL's GREASE: a first and a
   last extension, and a value first in supported_versions, supported_groups
   and key_share.  Answers the count. */
static size_t example_exts(struct ext *e, int grease, int sigalgs) {
    static const uint16_t versions[] = {0x6a6a, 0x0304, 0x0303}, groups[] = {0x4a4a, 29, 23, 24},
                          shares[] = {0x3a3a, 29};
    size_t n = 0, g = grease ? 1 : 0;
    if (grease) e[n++] = (struct ext){0x2a2a, raw_body("", 0)};
    e[n++] = (struct ext){0x001b, raw_body("\x02\x00\x02", 3)};
    e[n++] = (struct ext){0x0000, sni_body("example.com")};
    e[n++] = (struct ext){0x0033, shares_body(shares + 1 - g, N(shares) - 1 + g)};
    e[n++] = (struct ext){0x0010, alpn_body("h2,http/1.1")};
    e[n++] = (struct ext){0x4469, raw_body("\x00\x03\x02h2", 5)};
    e[n++] = (struct ext){0x0017, raw_body("", 0)};
    e[n++] = (struct ext){0x002d, raw_body("\x01\x01", 2)};
    e[n++] = (struct ext){0x000d, list16(2, ex_sigalgs, sigalgs ? N(ex_sigalgs) : 0)};
    e[n++] = (struct ext){0x0005, raw_body("\x01\x00\x00\x00\x00", 5)};
    e[n++] = (struct ext){0x0023, raw_body("", 0)};
    e[n++] = (struct ext){0x0012, raw_body("", 0)};
    e[n++] = (struct ext){0x002b, list16(1, versions + 1 - g, N(versions) - 1 + g)};
    e[n++] = (struct ext){0xff01, raw_body("\x00", 1)};
    e[n++] = (struct ext){0x000b, raw_body("\x01\x00", 2)};
    e[n++] = (struct ext){0x000a, list16(2, groups + 1 - g, N(groups) - 1 + g)};
    e[n++] = (struct ext){0x0015, raw_body("\0\0\0\0\0\0\0", 7)};
    if (grease) e[n++] = (struct ext){0xdada, raw_body("\x00", 1)};
    return n;
}

static struct buf example_hello(int grease, int sigalgs) {
    static struct ext e[20];
    uint16_t ciphers[16];
    size_t nc = 0, ne = example_exts(e, grease, sigalgs);
    if (grease) ciphers[nc++] = 0x8a8a;
    for (size_t i = 0; i < N(ex_ciphers); i++)
        ciphers[nc++] = ex_ciphers[i];
    return build_hello(0x0303, ciphers, nc, e, ne, 1);
}

static int parse(struct tlshs_hello_store *st, const struct buf *m) {
    return tlshs__hello_parse(st, m->b, m->n, 0);
}

/* ---------------------------------------------------------------- fields */

TEST(test_hello_fields_from_lists) {
    struct tlshs_hello_store st = {0};
    struct buf m = example_hello(1, 1);
    const tlshs_hello *h;
    CHECK_INT(parse(&st, &m), ==, 0);
    h = tlshs__hello_get(&st);
    CHECK(h != NULL);
    CHECK_INT(h->legacy_version, ==, 0x0303);
    CHECK_INT(h->n_ciphers, ==, 16);
    CHECK_INT(h->ciphers[0], ==, 0x8a8a);
    CHECK_INT(h->ciphers[15], ==, 0x0035);
    CHECK_INT(h->n_extensions, ==, 18);
    CHECK_INT(h->extensions[0], ==, 0x2a2a);
    CHECK_INT(h->extensions[2], ==, 0x0000);
    CHECK_INT(h->extensions[17], ==, 0xdada);
    CHECK_INT(h->n_versions, ==, 3);
    CHECK_INT(h->versions[0], ==, 0x6a6a);
    CHECK_INT(h->versions[1], ==, 0x0304);
    CHECK_INT(h->n_groups, ==, 4);
    CHECK_INT(h->groups[0], ==, 0x4a4a);
    CHECK_INT(h->groups[3], ==, 24);
    CHECK_INT(h->n_key_shares, ==, 2);
    CHECK_INT(h->key_shares[0], ==, 0x3a3a);
    CHECK_INT(h->key_shares[1], ==, 29);
    CHECK_INT(h->n_sigalgs, ==, 8);
    CHECK_INT(h->sigalgs[0], ==, 0x0403);
    CHECK_INT(h->sigalgs[7], ==, 0x0601);
    CHECK_STR(h->server_name, "example.com");
    CHECK_INT(h->n_alpn, ==, 2);
    CHECK_STR(h->alpn[0], "h2");
    CHECK_STR(h->alpn[1], "http/1.1");
    CHECK_INT(h->raw_len, ==, m.n);
    CHECK(memcmp(h->raw, m.b, m.n) == 0);
    CHECK(h->raw != m.b); /* a copy, owned by the store */
    /* JA3: decimal, GREASE out of ciphers, extensions and groups */
    CHECK_STR(h->ja3,
              "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-"
              "53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0");
    CHECK_INT(strlen(h->ja3_hash), ==, 32);
    CHECK(strspn(h->ja3_hash, "0123456789abcdef") == 32);
    tlshs__hello_clear(&st);
    CHECK(tlshs__hello_get(&st) == NULL);
    tlshs__hello_clear(&st); /* twice is safe */
}

TEST(test_hello_ja3_hash_is_md5_of_string) {
    /* a TLS 1.0-style hello without extensions: empty lists render as
       nothing between the commas */
    static const uint16_t ciphers[] = {0x002f, 0x0035, 0x000a};
    struct tlshs_hello_store st = {0};
    struct buf m = build_hello(0x0301, ciphers, N(ciphers), NULL, 0, 0);
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_STR(st.view.ja3, "769,47-53-10,,,");
    /* printf '769,47-53-10,,,' | md5sum */
    CHECK_STR(st.view.ja3_hash, "7bc4acc37e8095387bed8c0b30a6081a");
    CHECK_INT(st.view.n_extensions, ==, 0);
    CHECK(st.view.server_name == NULL);
    /* no supported_versions: legacy_version; no SNI; 3 ciphers, 0 extensions;
       printf '000a,002f,0035' | sha256sum; no extensions: zeros */
    CHECK_STR(st.view.ja4, "t10i030000_5704bdfc91c6_000000000000");
    tlshs__hello_clear(&st);
}

/* ---------------------------------------------------------------- JA4 */

TEST(test_hello_ja4_worked_example) {
    struct tlshs_hello_store st = {0};
    struct buf m = example_hello(0, 1);
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_STR(st.view.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    /* the same with BoringSSL's GREASE: GREASE is ignored everywhere */
    m = example_hello(1, 1);
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_STR(st.view.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    /* "If there are no signature algorithms in the hello packet, then the
       string ends without an underscore": 6d807ffa2a79 */
    m = example_hello(1, 0);
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_STR(st.view.ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");
    tlshs__hello_clear(&st);
}

/* GREASE where Chrome also puts it: in signature_algorithms, in the middle of
   lists, more than one value. */
TEST(test_hello_ja4_grease_everywhere) {
    static const uint16_t ciphers[] = {0x0a0a, 0x1301, 0xfafa, 0x1302};
    static const uint16_t sig[] = {0x0403, 0x1a1a, 0x0804},
                          ver[] = {0x0303, 0x7a7a, 0x0304, 0xaaaa};
    static const uint16_t groups[] = {0x29, 0xbaba};
    struct ext e[6];
    struct tlshs_hello_store st = {0};
    struct buf m, ref;
    e[0] = (struct ext){0x5a5a, raw_body("", 0)};
    e[1] = (struct ext){0x000d, list16(2, sig, N(sig))};
    e[2] = (struct ext){0x9a9a, raw_body("\x00", 1)};
    e[3] = (struct ext){0x002b, list16(1, ver, N(ver))};
    e[4] = (struct ext){0x000a, list16(2, groups, N(groups))};
    e[5] = (struct ext){0xeaea, raw_body("", 0)};
    m = build_hello(0x0303, ciphers, N(ciphers), e, 6, 1);
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_STR(st.view.ja3, "771,4865-4866,13-43-10,41,");
    { /* the same hello without any GREASE gives the same JA4 */
        static const uint16_t c2[] = {0x1301, 0x1302}, s2[] = {0x0403, 0x0804},
                              v2[] = {0x0303, 0x0304};
        struct ext f[3];
        char ja4[40];
        snprintf(ja4, sizeof ja4, "%s", st.view.ja4);
        f[0] = (struct ext){0x000d, list16(2, s2, 2)};
        f[1] = (struct ext){0x002b, list16(1, v2, 2)};
        f[2] = (struct ext){0x000a, list16(2, groups, 1)};
        ref = build_hello(0x0303, c2, 2, f, 3, 1);
        CHECK_INT(parse(&st, &ref), ==, 0);
        CHECK_STR(st.view.ja4, ja4);
        CHECK(strncmp(ja4, "t13i0203", 8) == 0);
    }
    tlshs__hello_clear(&st);
}

/* JA4.md, "ALPN Extension Value": its examples and its rules for none,
   empty and single-character values. */
TEST(test_hello_ja4_alpn_rules) {
    static const struct {
        const char *value; /* the first ALPN value's bytes; NULL: no extension */
        size_t len;
        const char *want;
    } cases[] = {
        {"h2", 2, "h2"},
        {"http/1.1", 8, "h1"},
        {"\xab", 1, "ab"},
        {"\xab\xcd", 2, "ad"},
        {"\x30\xab", 2, "3b"},
        {"\x30\x31\xab\xcd", 4, "3d"},
        {"\x30\xab\xcd\x31", 4, "01"},
        {"a", 1, "aa"},
        {"", 0, "00"},
        {NULL, 0, "00"},
        {"Z-9", 3, "Z9"},
        {"-x", 2, "28"}, /* '-' is 0x2d, 'x' is 0x78 */
    };
    static const uint16_t ciphers[] = {0x1301};
    struct tlshs_hello_store st = {0};
    for (size_t i = 0; i < N(cases); i++) {
        struct ext e;
        struct buf m, body = {.n = 0};
        put16(&body, (unsigned)cases[i].len + 1);
        put8(&body, (unsigned)cases[i].len);
        if (cases[i].value) put_bytes(&body, cases[i].value, cases[i].len);
        e = (struct ext){0x0010, body};
        m = build_hello(0x0303, ciphers, 1, &e, 1, cases[i].value != NULL);
        CHECK_INT(parse(&st, &m), ==, 0);
        if (strncmp(st.view.ja4 + 8, cases[i].want, 2) != 0) {
            check_fail(__FILE__, __LINE__, "case %zu: %s, want %s", i, st.view.ja4, cases[i].want);
            return;
        }
    }
    tlshs__hello_clear(&st);
}

TEST(test_hello_ja4_versions_counts_and_empty_lists) {
    static const struct {
        uint16_t versions[3];
        size_t n; /* 0: no supported_versions extension */
        unsigned legacy;
        const char *want;
    } cases[] = {
        {{0}, 0, 0x0303, "12"},
        {{0}, 0, 0x0301, "10"},
        {{0}, 0, 0x0300, "s3"},
        {{0}, 0, 0x0002, "s2"},
        {{0}, 0, 0x0399, "00"},
        {{0x0303, 0x0304}, 2, 0x0303, "13"},
        {{0x0304, 0x0302}, 2, 0x0303, "13"},
        {{0x0a0a}, 1, 0x0303, "00"},
        {{0xfefc, 0xfefd}, 2, 0xfefd, "d2"},
    };
    static const uint16_t cipher[] = {0x1301};
    struct tlshs_hello_store st = {0};
    struct buf m;
    for (size_t i = 0; i < N(cases); i++) {
        struct ext e = {0x002b, list16(1, cases[i].versions, cases[i].n)};
        m = build_hello(cases[i].legacy, cipher, 1, &e, cases[i].n ? 1 : 0, 1);
        CHECK_INT(parse(&st, &m), ==, 0);
        if (strncmp(st.view.ja4 + 1, cases[i].want, 2) != 0) {
            check_fail(__FILE__, __LINE__, "case %zu: %s, want %s", i, st.view.ja4, cases[i].want);
            return;
        }
    }
    { /* counts stop at 99; all-GREASE ciphers and an SNI-only extension list hash to zeros */
        uint16_t many[120];
        struct ext e[120];
        for (size_t i = 0; i < 120; i++)
            many[i] = (uint16_t)(0x0100 + i);
        for (size_t i = 0; i < 120; i++)
            e[i] = (struct ext){0x1000 + (unsigned)i, raw_body("", 0)};
        m = build_hello(0x0303, many, 120, e, 120, 1);
        CHECK_INT(parse(&st, &m), ==, 0);
        CHECK(strncmp(st.view.ja4, "t12i9999", 8) == 0);
        m = build_hello(0x0303, many, 100, e, 99, 1);
        CHECK_INT(parse(&st, &m), ==, 0);
        CHECK(strncmp(st.view.ja4, "t12i9999", 8) == 0);
        m = build_hello(0x0303, many, 98, e, 10, 1);
        CHECK_INT(parse(&st, &m), ==, 0);
        CHECK(strncmp(st.view.ja4, "t12i9810", 8) == 0);
        many[0] = 0x0a0a, many[1] = 0x1a1a;
        e[0] = (struct ext){0x0000, sni_body("a.example")};
        m = build_hello(0x0303, many, 2, e, 1, 1);
        CHECK_INT(parse(&st, &m), ==, 0);
        CHECK_STR(st.view.ja4, "t12d000100_000000000000_000000000000");
        CHECK_STR(st.view.ja3, "771,,0,,");
    }
    tlshs__hello_clear(&st);
}

/* ---------------------------------------------------------------- hostile input */

/* A real ClientHello: what tlshs's client (OpenSSL) sends, its record header cut. */
static struct buf real_hello(const char *key, const char *value) {
    struct buf m = {.n = 0};
    tlshs_config *cfg = client_with(key, value, NULL);
    tlshs *c = cfg ? tlshs_new(cfg, "real.example") : NULL;
    unsigned char rec[8192];
    size_t n = 0;
    if (c && tlshs_step(c) == TLSHS_WANT_WRITE) n = tlshs_take(c, rec, sizeof rec);
    if (n > 5 && rec[0] == 22 && (size_t)(rec[3] << 8 | rec[4]) == n - 5)
        put_bytes(&m, rec + 5, n - 5);
    tlshs_free(c);
    tlshs_config_free(cfg);
    return m;
}

/* What a successful parse must hold whatever the input: raw is the input, every
   string ends within its bounds, the fingerprints have their shapes. */
static int consistent(const tlshs_hello *h, const unsigned char *msg, size_t len) {
    if (h->raw_len != len || memcmp(h->raw, msg, len) != 0) return 0;
    if (2 * (h->n_ciphers + h->n_extensions + h->n_groups + h->n_sigalgs + h->n_versions) > len)
        return 0;
    if (h->server_name && strlen(h->server_name) > len) return 0;
    for (size_t i = 0; i < h->n_alpn; i++)
        if (strlen(h->alpn[i]) > 255) return 0;
    return strlen(h->ja4) == 36 && h->ja4[10] == '_' && h->ja4[23] == '_' &&
           (strlen(h->ja3_hash) == 32 || !*h->ja3_hash) && strchr(h->ja3, ',') != NULL;
}

TEST(test_hello_real_openssl_client) {
    struct tlshs_hello_store st = {0};
    struct buf m = real_hello("alpn", "h2,http/1.1");
    const tlshs_hello *h;
    CHECK(m.n > 100);
    CHECK_INT(parse(&st, &m), ==, 0);
    h = tlshs__hello_get(&st);
    CHECK_STR(h->server_name, "real.example");
    CHECK_INT(h->n_alpn, ==, 2);
    CHECK_STR(h->alpn[1], "http/1.1");
    CHECK_INT(h->n_versions, >=, 2);
    CHECK_INT(h->versions[0], ==, 0x0304);
    CHECK(strncmp(h->ja4, "t13d", 4) == 0);
    CHECK(strncmp(h->ja4 + 8, "h2_", 3) == 0);
    CHECK(consistent(h, m.b, m.n));
    m = real_hello("ciphersuites", "TLS_AES_256_GCM_SHA384");
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_INT(st.view.ciphers[0], ==, 0x1302);
    m = real_hello("groups", "P-384:X25519");
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_INT(st.view.n_groups, ==, 2);
    CHECK_INT(st.view.groups[0], ==, 0x0018);
    CHECK_INT(st.view.n_key_shares, ==, 1);
    CHECK_INT(st.view.key_shares[0], ==, 0x0018);
    tlshs__hello_clear(&st);
}

/* Every prefix of a real hello and of a GREASE one fails and reports nothing;
   with the header's length made to fit the prefix, it fails or is consistent. */
TEST(test_hello_every_truncation) {
    struct buf hellos[2];
    struct tlshs_hello_store st = {0};
    hellos[0] = real_hello("alpn", "h2");
    hellos[1] = example_hello(1, 1);
    CHECK(hellos[0].n > 100);
    for (int k = 0; k < 2; k++) {
        struct buf *m = &hellos[k];
        for (size_t n = 0; n < m->n; n++) {
            unsigned char *copy = malloc(n ? n : 1); /* exact size: ASan sees any over-read */
            CHECK(copy != NULL);
            memcpy(copy, m->b, n);
            if (tlshs__hello_parse(&st, copy, n, 0) != TLSHS__HELLO_MALFORMED ||
                tlshs__hello_get(&st)) {
                free(copy);
                check_fail(__FILE__, __LINE__, "hello %d cut to %zu bytes parsed", k, n);
                return;
            }
            if (n >= 4) {
                copy[1] = (unsigned char)((n - 4) >> 16), copy[2] = (unsigned char)((n - 4) >> 8);
                copy[3] = (unsigned char)(n - 4);
                if (tlshs__hello_parse(&st, copy, n, 0) == 0 && !consistent(&st.view, copy, n)) {
                    free(copy);
                    check_fail(__FILE__, __LINE__, "hello %d cut to %zu bytes: inconsistent", k, n);
                    return;
                }
            }
            free(copy);
        }
        CHECK_INT(tlshs__hello_parse(&st, m->b, m->n, 0), ==, 0);
    }
    tlshs__hello_clear(&st);
}

/* Every byte of a hello set to 0x00, 0xff, +1 and -1: never a crash, and what
   parses is consistent.  The length fields made too big or too small fail. */
TEST(test_hello_oversized_and_mutated_lengths) {
    struct tlshs_hello_store st = {0};
    struct buf m = example_hello(1, 1), bad;
    static const int deltas[] = {0x100, 0x1ff, 1, -1}; /* 0x100: set to 0x00, 0x1ff: set to 0xff */
    for (size_t i = 0; i < m.n; i++) {
        for (size_t d = 0; d < N(deltas); d++) {
            unsigned char *copy = malloc(m.n);
            CHECK(copy != NULL);
            memcpy(copy, m.b, m.n);
            copy[i] = deltas[d] == 0x100   ? 0
                      : deltas[d] == 0x1ff ? 0xff
                                           : (unsigned char)(copy[i] + deltas[d]);
            if (tlshs__hello_parse(&st, copy, m.n, 0) == 0 && !consistent(&st.view, copy, m.n)) {
                free(copy);
                check_fail(__FILE__, __LINE__, "byte %zu changed: inconsistent", i);
                return;
            }
            free(copy);
        }
    }
    /* named length fields: header 1..3, session id 38, ciphers 71..72, then
       compression and the extensions block */
    {
        static const size_t fields[] = {1, 2, 3, 38, 71, 72};
        for (size_t f = 0; f < N(fields); f++) {
            bad = m;
            bad.b[fields[f]] = 0xff;
            CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
            CHECK(tlshs__hello_get(&st) == NULL);
        }
        bad = m; /* a session id of 33 bytes, the rest well-formed */
        memmove(bad.b + 40, bad.b + 39, bad.n - 39);
        bad.n++;
        bad.b[38] = 33;
        patch_len(&bad, 1, 3);
        CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
        bad.b[38] = 32, bad.b[39 + 32] = 0; /* one cipher-list length byte back: 32 parses */
        memmove(bad.b + 39 + 32, bad.b + 39 + 33, bad.n - 39 - 33);
        bad.n--;
        patch_len(&bad, 1, 3);
        CHECK_INT(parse(&st, &bad), ==, 0);
        bad = m;
        bad.b[72] ^= 1; /* an odd cipher list */
        CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
        bad = m;
        bad.n++; /* a byte after the extensions */
        bad.b[bad.n - 1] = 0;
        CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
    }
    /* an extension whose inner list overruns its body, or stops short of it */
    {
        static const uint16_t ciphers[] = {0x1301}, groups[] = {29, 23};
        struct ext e = {0x000a, list16(2, groups, 2)};
        e.body.b[1] = 6;
        bad = build_hello(0x0303, ciphers, 1, &e, 1, 1);
        CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
        e.body.b[1] = 2;
        bad = build_hello(0x0303, ciphers, 1, &e, 1, 1);
        CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
        e = (struct ext){0x0010, alpn_body("h2")};
        e.body.b[2] = 3; /* a name longer than the list */
        bad = build_hello(0x0303, ciphers, 1, &e, 1, 1);
        CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
        e = (struct ext){0x0000, raw_body("", 0)}; /* an empty SNI body from a client */
        bad = build_hello(0x0303, ciphers, 1, &e, 1, 1);
        CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
        e = (struct ext){0x0033, shares_body(groups, 1)};
        e.body.n--; /* a key share one byte short */
        bad = build_hello(0x0303, ciphers, 1, &e, 1, 1);
        CHECK_INT(parse(&st, &bad), ==, TLSHS__HELLO_MALFORMED);
    }
    /* a good parse, then a bad one: nothing is reported */
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_INT(tlshs__hello_parse(&st, m.b, m.n - 1, 0), ==, TLSHS__HELLO_MALFORMED);
    CHECK(tlshs__hello_get(&st) == NULL);
    CHECK_INT(tlshs__hello_parse(&st, NULL, 0, 0), ==, TLSHS__HELLO_MALFORMED);
    tlshs__hello_clear(&st);
}

TEST(test_hello_duplicate_extensions) {
    static const uint16_t ciphers[] = {0x1301}, g1[] = {29}, g2[] = {23, 24};
    struct ext e[5];
    struct tlshs_hello_store st = {0};
    struct buf m;
    e[0] = (struct ext){0x0000, sni_body("first.example")};
    e[1] = (struct ext){0x000a, list16(2, g1, 1)};
    e[2] = (struct ext){0x0000, sni_body("second.example")};
    e[3] = (struct ext){0x000a, list16(2, g2, 2)};
    e[4] = (struct ext){0x0010, alpn_body("h2")};
    m = build_hello(0x0303, ciphers, 1, e, 5, 1);
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_INT(st.view.n_extensions, ==, 5);
    CHECK_INT(st.view.extensions[2], ==, 0);
    CHECK_STR(st.view.server_name, "first.example");
    CHECK_INT(st.view.n_groups, ==, 1);
    CHECK_INT(st.view.groups[0], ==, 29);
    CHECK_STR(st.view.ja3, "771,4865,0-10-0-10-16,29,");
    CHECK(strncmp(st.view.ja4, "t12d0105h2_", 11) == 0);
    /* a later duplicate that is malformed still makes the hello malformed */
    e[3].body.b[1] = 9;
    m = build_hello(0x0303, ciphers, 1, e, 5, 1);
    CHECK_INT(parse(&st, &m), ==, TLSHS__HELLO_MALFORMED);
    tlshs__hello_clear(&st);
}

TEST(test_hello_server_name_edges) {
    static const uint16_t ciphers[] = {0x1301};
    struct tlshs_hello_store st = {0};
    struct ext e;
    struct buf m, body = {.n = 0};
    /* an entry of another name type first, then the host name */
    put16(&body, 0), put8(&body, 7), put16(&body, 2), put_bytes(&body, "xy", 2);
    put8(&body, 0), put16(&body, 9), put_bytes(&body, "h.example", 9);
    patch_len(&body, 0, 2);
    e = (struct ext){0x0000, body};
    m = build_hello(0x0303, ciphers, 1, &e, 1, 1);
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK_STR(st.view.server_name, "h.example");
    /* a host name holding a NUL byte: not reported, yet the SNI was offered */
    body.n = 0;
    put16(&body, 0), put8(&body, 0), put16(&body, 3), put_bytes(&body, "a\0b", 3);
    patch_len(&body, 0, 2);
    e = (struct ext){0x0000, body};
    m = build_hello(0x0303, ciphers, 1, &e, 1, 1);
    CHECK_INT(parse(&st, &m), ==, 0);
    CHECK(st.view.server_name == NULL);
    CHECK_INT(st.view.ja4[3], ==, 'd');
    tlshs__hello_clear(&st);
}

TEST(test_hello_store_reuse) {
    struct tlshs_hello_store st = {0};
    struct buf big = example_hello(1, 1), small;
    static const uint16_t ciphers[] = {0x002f};
    small = build_hello(0x0303, ciphers, 1, NULL, 0, 0);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(parse(&st, &big), ==, 0);
        CHECK_STR(st.view.server_name, "example.com");
        CHECK_INT(parse(&st, &small), ==, 0);
        CHECK(st.view.server_name == NULL);
        CHECK_INT(st.view.n_alpn, ==, 0);
        CHECK_STR(st.view.ja3, "771,47,,,");
    }
    tlshs__hello_clear(&st);
}

/* ---------------------------------------------------------------- ServerHello */

static struct buf server_hello(const unsigned char random[32], unsigned cipher, const struct ext *e,
                               size_t ne) {
    struct buf o = {.n = 0};
    put8(&o, 2), put8(&o, 0), put16(&o, 0);
    put16(&o, 0x0303);
    put_bytes(&o, random, 32);
    put8(&o, 0);
    put16(&o, cipher);
    put8(&o, 0);
    if (ne) {
        size_t at = o.n;
        put16(&o, 0);
        for (size_t i = 0; i < ne; i++) {
            put16(&o, e[i].type);
            put16(&o, (unsigned)e[i].body.n);
            put_bytes(&o, e[i].body.b, e[i].body.n);
        }
        patch_len(&o, at, 2);
    }
    patch_len(&o, 1, 3);
    return o;
}

TEST(test_server_hello_ja3s_and_hrr) {
    static const unsigned char hrr[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11,
                                          0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                                          0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
                                          0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
    unsigned char random[32] = {1};
    struct tlshs_server_hello sh = {0};
    struct ext e[2] = {{0x002b, raw_body("\x03\x04", 2)}, {0x0033, raw_body("\x00\x17", 2)}};
    struct buf m = server_hello(random, 0x1301, e, 2);
    CHECK_INT(tlshs__server_hello_parse(&sh, m.b, m.n, 0), ==, 0);
    CHECK_INT(sh.parsed, ==, 1);
    CHECK_INT(sh.hrr, ==, 0);
    CHECK_INT(sh.version, ==, 0x0304);
    CHECK_INT(sh.cipher, ==, 0x1301);
    CHECK_STR(sh.ja3s, "771,4865,43-51");
    /* printf '771,4865,43-51' | md5sum */
    CHECK_STR(sh.ja3s_hash, "f4febc55ea12b31ae17cfb7e614afda8");
    m = server_hello(hrr, 0x1302, e, 2);
    CHECK_INT(tlshs__server_hello_parse(&sh, m.b, m.n, 0), ==, 0);
    CHECK_INT(sh.hrr, ==, 1);
    m = server_hello(random, 0xc02f, NULL, 0); /* TLS 1.2, no extensions */
    CHECK_INT(tlshs__server_hello_parse(&sh, m.b, m.n, 0), ==, 0);
    CHECK_STR(sh.ja3s, "771,49199,");
    CHECK_INT(sh.version, ==, 0);
    /* every truncation fails, with the header fitted or not */
    m = server_hello(random, 0x1301, e, 2);
    for (size_t n = 0; n < m.n; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        CHECK(copy != NULL);
        memcpy(copy, m.b, n);
        if (tlshs__server_hello_parse(&sh, copy, n, 0) == 0 || sh.parsed) {
            free(copy);
            check_fail(__FILE__, __LINE__, "ServerHello cut to %zu bytes parsed", n);
            return;
        }
        if (n >= 4) {
            copy[1] = 0, copy[2] = (unsigned char)((n - 4) >> 8), copy[3] = (unsigned char)(n - 4);
            if (tlshs__server_hello_parse(&sh, copy, n, 0) == 0 && n != 4 + 38) {
                free(copy);
                check_fail(__FILE__, __LINE__,
                           "ServerHello cut to %zu bytes, header fitted, parsed", n);
                return;
            }
        }
        free(copy);
    }
    e[0].body.n = 3; /* a selected_version of 3 bytes */
    e[0].body.b[2] = 0;
    m = server_hello(random, 0x1301, e, 1);
    CHECK_INT(tlshs__server_hello_parse(&sh, m.b, m.n, 0), ==, TLSHS__HELLO_MALFORMED);
    m.b[0] = 1; /* not a ServerHello */
    CHECK_INT(tlshs__server_hello_parse(&sh, m.b, m.n, 0), ==, TLSHS__HELLO_MALFORMED);
    tlshs__server_hello_clear(&sh);
    tlshs__server_hello_clear(&sh);
}
