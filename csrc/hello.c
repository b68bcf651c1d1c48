/* hello.c - the ClientHello and ServerHello parsed from their messages, with
 * their fingerprints: JA3 and JA4 of the ClientHello, JA3S of the ServerHello.
 *
 * The bytes are hostile: every read goes through a cursor that checks what
 * is left, every length field must agree exactly with its container, and a
 * message is checked whole before anything is stored, so a malformed one
 * leaves nothing reported.  Parsing is two passes over the message: the
 * first checks it and finds the lists, the second fills one block of memory
 * (reused from parse to parse) with the arrays, the strings and the
 * fingerprints.
 *
 * JA3: https://github.com/salesforce/ja3 (the ClientHello's legacy_version,
 * ciphers, extensions, supported groups and EC point formats in decimal,
 * GREASE left out).  JA4: FoxIO's technical_details/JA4.md (BSD-3-Clause).
 *
 * DTLS hellos (RFC 6347 4.2.2, 4.3.2) differ in two places: the 12-byte
 * handshake header (the message whole, as OpenSSL's message callback gives
 * it) and the ClientHello's cookie after the session id.  JA4 starts with
 * "d" for them (and its version reads "d2" for DTLS 1.2); JA3 and JA3S
 * take the version as it is (65277 for DTLS 1.2), as JA3 tools do.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tlshs_internal.h"

#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2

/* extension types */
#define EXT_SERVER_NAME 0
#define EXT_GROUPS 10
#define EXT_POINT_FORMATS 11
#define EXT_SIGALGS 13
#define EXT_ALPN 16
#define EXT_VERSIONS 43
#define EXT_KEY_SHARE 51

/* The ServerHello.random that marks a HelloRetryRequest (RFC 8446 4.1.3). */
static const unsigned char hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

int tlshs__is_hrr(const unsigned char *msg, size_t len) {
    return len >= 38 && msg[0] == SSL3_MT_SERVER_HELLO && memcmp(msg + 6, hrr_random, 32) == 0;
}

static const char hexdig[] = "0123456789abcdef";

/* RFC 8701: 0x0A0A, 0x1A1A, ..., 0xFAFA */
static int is_grease(unsigned v) {
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* ---- a bounded cursor ---- */

struct rd {
    const unsigned char *p;
    size_t n;
};

static int take(struct rd *r, size_t k, struct rd *out) {
    if (r->n < k) return -1;
    out->p = r->p;
    out->n = k;
    r->p += k;
    r->n -= k;
    return 0;
}

static int get_u8(struct rd *r, unsigned *v) {
    if (r->n < 1) return -1;
    *v = r->p[0];
    r->p++, r->n--;
    return 0;
}

static int get_u16(struct rd *r, unsigned *v) {
    if (r->n < 2) return -1;
    *v = (unsigned)r->p[0] << 8 | r->p[1];
    r->p += 2, r->n -= 2;
    return 0;
}

/* A vector with a 1- or 2-byte length prefix. */
static int get_vec(struct rd *r, int prefix, struct rd *out) {
    unsigned n;
    if ((prefix == 1 ? get_u8(r, &n) : get_u16(r, &n)) != 0) return -1;
    return take(r, n, out);
}

/* A vector that fills the whole of r (an extension body holding one list). */
static int whole_vec(struct rd r, int prefix, struct rd *out) {
    return get_vec(&r, prefix, out) == 0 && r.n == 0 ? 0 : -1;
}

static unsigned at16(const unsigned char *p) {
    return (unsigned)p[0] << 8 | p[1];
}

/* ---- message digests, fetched once ---- */

static CRYPTO_ONCE md_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_MD *md_md5, *md_sha256;

static void fetch_mds(void) {
    md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* The digest of buf in lowercase hex, its first `digits` digits, or "" if it
   cannot be made.  *ctx is made on first use and kept for the next digests
   (a fresh one per digest costs more than a short digest). */
static void hex_digest(EVP_MD_CTX **ctx, const EVP_MD *md, const char *buf, size_t len, char *out,
                       size_t digits) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!*ctx) *ctx = EVP_MD_CTX_new();
    if (!md || !*ctx || !EVP_DigestInit_ex2(*ctx, md, NULL) || !EVP_DigestUpdate(*ctx, buf, len) ||
        !EVP_DigestFinal_ex(*ctx, d, &n) || n * 2 < digits) {
        tlshs__clear_errors();
        *out = '\0';
        return;
    }
    for (size_t i = 0; i < digits; i++)
        out[i] = hexdig[(d[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    out[digits] = '\0';
}

/* ---- formatting ---- */

static char *put_dec(char *o, unsigned v) {
    char t[10];
    int n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *o++ = t[--n];
    return o;
}

static char *put_hex4(char *o, unsigned v) {
    o[0] = hexdig[v >> 12 & 15];
    o[1] = hexdig[v >> 8 & 15];
    o[2] = hexdig[v >> 4 & 15];
    o[3] = hexdig[v & 15];
    return o + 4;
}

/* JA3's rendering of a list: decimal, '-' between, GREASE left out. */
static char *put_ja3_list(char *o, const uint16_t *v, size_t n) {
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (is_grease(v[i])) continue;
        if (!first) *o++ = '-';
        o = put_dec(o, v[i]);
        first = 0;
    }
    return o;
}

/* ---- the ClientHello: the checking pass ---- */

/* Where the lists of a ClientHello are, found by the checking pass. */
struct ch {
    unsigned legacy_version;
    struct rd ciphers; /* 2 bytes per suite */
    struct rd exts;    /* the extensions block */
    size_t n_exts;
    struct rd versions, groups, sigalgs, formats, alpn, shares; /* first occurrences' lists */
    struct rd sni;                                              /* the first host_name */
    size_t n_alpn, n_shares;
    struct rd cookie;         /* DTLS: the cookie (p NULL for TLS) */
    unsigned seen;            /* bit i: the extension of table row i was seen */
    unsigned has_sni_ext : 1; /* JA4's 'd' */
    unsigned has_versions : 1;
    unsigned dtls : 1; /* a DTLS ClientHello: JA4's protocol 'd' */
};

/* Each check answers -1 for a malformed body, else 0; `first` says whether
   this is the first occurrence, whose lists are kept. */
static int check_sni(struct ch *c, struct rd body, int first) {
    struct rd list, name;
    unsigned type = 0;
    if (whole_vec(body, 2, &list)) return -1;
    while (list.n) {
        if (get_u8(&list, &type) || get_vec(&list, 2, &name)) return -1;
        if (first && type == 0 && !c->sni.p && name.n && !memchr(name.p, 0, name.n)) c->sni = name;
    }
    c->has_sni_ext = 1;
    return 0;
}

static int check_list16(struct rd body, int prefix, struct rd *keep, int first) {
    struct rd list;
    if (whole_vec(body, prefix, &list) || list.n % 2) return -1;
    if (first) *keep = list;
    return 0;
}

static int check_groups(struct ch *c, struct rd body, int first) {
    return check_list16(body, 2, &c->groups, first);
}

static int check_sigalgs(struct ch *c, struct rd body, int first) {
    return check_list16(body, 2, &c->sigalgs, first);
}

static int check_versions(struct ch *c, struct rd body, int first) {
    c->has_versions = 1;
    return check_list16(body, 1, &c->versions, first);
}

static int check_formats(struct ch *c, struct rd body, int first) {
    struct rd list;
    if (whole_vec(body, 1, &list)) return -1;
    if (first) c->formats = list;
    return 0;
}

static int check_alpn(struct ch *c, struct rd body, int first) {
    struct rd list, walk, name;
    size_t n = 0;
    if (whole_vec(body, 2, &list)) return -1;
    for (walk = list; walk.n; n++)
        if (get_vec(&walk, 1, &name)) return -1;
    if (first) c->alpn = list, c->n_alpn = n;
    return 0;
}

static int check_key_share(struct ch *c, struct rd body, int first) {
    struct rd list, walk, kex;
    unsigned group;
    size_t n = 0;
    if (whole_vec(body, 2, &list)) return -1;
    for (walk = list; walk.n; n++)
        if (get_u16(&walk, &group) || get_vec(&walk, 2, &kex)) return -1;
    if (first) c->shares = list, c->n_shares = n;
    return 0;
}

/* The extensions whose contents the hello reports. */
static const struct {
    unsigned type;
    int (*check)(struct ch *c, struct rd body, int first);
} known_exts[] = {
    {EXT_SERVER_NAME, check_sni},
    {EXT_GROUPS, check_groups},
    {EXT_POINT_FORMATS, check_formats},
    {EXT_SIGALGS, check_sigalgs},
    {EXT_ALPN, check_alpn},
    {EXT_VERSIONS, check_versions},
    {EXT_KEY_SHARE, check_key_share},
};

static int check_extension(struct ch *c, unsigned type, struct rd body) {
    for (size_t i = 0; i < sizeof known_exts / sizeof known_exts[0]; i++) {
        if (known_exts[i].type != type) continue;
        int first = !(c->seen & 1u << i);
        c->seen |= 1u << i;
        return known_exts[i].check(c, body, first);
    }
    return 0;
}

static size_t at24(const unsigned char *p) {
    return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

/* Checks a handshake header of the given type whose length is the rest:
   TLS's 4 bytes (type, length), or with dtls DTLS's 12 (type, length,
   message_seq, fragment_offset, fragment_length) of a whole message, as
   OpenSSL reassembles it: offset 0, fragment_length the length. */
static int check_header(struct rd *r, unsigned type, int dtls) {
    unsigned t;
    struct rd len, frag;
    if (get_u8(r, &t) || t != type || take(r, 3, &len)) return -1;
    if (dtls && (take(r, 8, &frag) || at24(frag.p + 2) != 0 || at24(frag.p + 5) != at24(len.p)))
        return -1;
    return at24(len.p) == r->n ? 0 : -1;
}

/* Checks an optional extensions block that must end the message, and
   counts its extensions; with c, checks the known ones' bodies too. */
static int check_extensions(struct rd *r, struct rd *block, size_t *count, struct ch *c) {
    struct rd walk, body;
    unsigned type = 0;
    *count = 0;
    block->p = r->p, block->n = 0;
    if (r->n == 0) return 0; /* no extensions at all (before TLS 1.2, allowed) */
    if (whole_vec(*r, 2, block)) return -1;
    for (walk = *block; walk.n; (*count)++) {
        if (get_u16(&walk, &type) || get_vec(&walk, 2, &body)) return -1;
        if (c && check_extension(c, type, body)) return -1;
    }
    return 0;
}

static int check_client_hello(struct ch *c, const unsigned char *msg, size_t len, int dtls) {
    struct rd r = {msg, len}, skip;
    memset(c, 0, sizeof *c);
    c->dtls = dtls != 0;
    if (check_header(&r, HS_CLIENT_HELLO, dtls) || get_u16(&r, &c->legacy_version) ||
        take(&r, 32, &skip) || get_vec(&r, 1, &skip) || skip.n > 32 ||
        (dtls && get_vec(&r, 1, &c->cookie)) || get_vec(&r, 2, &c->ciphers) || c->ciphers.n % 2 ||
        get_vec(&r, 1, &skip))
        return -1;
    return check_extensions(&r, &c->exts, &c->n_exts, c);
}

/* ---- the ClientHello: the filling pass ---- */

static uint16_t *put_list16(uint16_t *o, struct rd list) {
    for (size_t i = 0; i + 1 < list.n; i += 2)
        *o++ = (uint16_t)at16(list.p + i);
    return o;
}

static int cmp16(const void *a, const void *b) {
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void sort16(uint16_t *v, size_t n) {
    if (n > 32) {
        qsort(v, n, sizeof *v, cmp16);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint16_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static size_t count_non_grease(const uint16_t *v, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !is_grease(v[i]);
    return k;
}

/* Copies the values of v that are not GREASE (nor SNI and ALPN when
   drop_sni_alpn), and answers how many. */
static size_t keep_values(uint16_t *out, const uint16_t *v, size_t n, int drop_sni_alpn) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_grease(v[i]) && !(drop_sni_alpn && (v[i] == EXT_SERVER_NAME || v[i] == EXT_ALPN)))
            out[k++] = v[i];
    return k;
}

static char *put_hex_list(char *o, const uint16_t *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (i) *o++ = ',';
        o = put_hex4(o, v[i]);
    }
    return o;
}

/* JA4's two characters for the TLS version (JA4.md, "TLS and DTLS Version"). */
static const struct {
    unsigned version;
    char name[3];
} ja4_versions[] = {
    {0x0304, "13"}, {0x0303, "12"}, {0x0302, "11"}, {0x0301, "10"}, {0x0300, "s3"},
    {0x0002, "s2"}, {0xfeff, "d1"}, {0xfefd, "d2"}, {0xfefc, "d3"},
};

static const char *ja4_version(const tlshs_hello *h, int has_versions) {
    unsigned v = h->legacy_version;
    if (has_versions) {
        v = 0;
        for (size_t i = 0; i < h->n_versions; i++)
            if (!is_grease(h->versions[i]) && h->versions[i] > v) v = h->versions[i];
    }
    for (size_t i = 0; i < sizeof ja4_versions / sizeof ja4_versions[0]; i++)
        if (ja4_versions[i].version == v) return ja4_versions[i].name;
    return "00";
}

static int is_alnum(unsigned char b) {
    return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/* JA4's two characters for the first ALPN value (JA4.md, "ALPN Extension Value"). */
static char *put_ja4_alpn(char *o, struct rd alpn_list) {
    struct rd name;
    unsigned char a, z;
    if (get_vec(&alpn_list, 1, &name) || name.n == 0) {
        *o++ = '0', *o++ = '0';
        return o;
    }
    a = name.p[0], z = name.p[name.n - 1];
    if (is_alnum(a) && is_alnum(z)) {
        *o++ = (char)a, *o++ = (char)z;
    } else { /* the first and last digits of the value in hex */
        *o++ = hexdig[a >> 4], *o++ = hexdig[z & 15];
    }
    return o;
}

static char *put_count2(char *o, size_t n) {
    if (n > 99) n = 99;
    *o++ = (char)('0' + n / 10);
    *o++ = (char)('0' + n % 10);
    return o;
}

/* JA4 into out (room for 37 bytes); sort is scratch room for any one of
   the ciphers, extensions or sigalgs, text for their hex lists. */
static void make_ja4(char *out, const tlshs_hello *h, const struct ch *c, uint16_t *sort,
                     char *text, EVP_MD_CTX **ctx) {
    size_t n_ciphers = count_non_grease(h->ciphers, h->n_ciphers);
    size_t n_exts = count_non_grease(h->extensions, h->n_extensions), n_sig;
    char *o = out, *t;
    *o++ = c->dtls ? 'd' : 't';
    memcpy(o, ja4_version(h, c->has_versions), 2), o += 2;
    *o++ = c->has_sni_ext ? 'd' : 'i';
    o = put_count2(o, n_ciphers);
    o = put_count2(o, n_exts);
    o = put_ja4_alpn(o, c->alpn);
    *o++ = '_';
    n_ciphers = keep_values(sort, h->ciphers, h->n_ciphers, 0);
    sort16(sort, n_ciphers);
    t = put_hex_list(text, sort, n_ciphers);
    if (n_ciphers) hex_digest(ctx, md_sha256, text, (size_t)(t - text), o, 12);
    if (!n_ciphers || !*o) memcpy(o, "000000000000", 13);
    o += 12;
    *o++ = '_';
    n_exts = keep_values(sort, h->extensions, h->n_extensions, 1);
    sort16(sort, n_exts);
    t = put_hex_list(text, sort, n_exts);
    n_sig = keep_values(sort, h->sigalgs, h->n_sigalgs, 0);
    if (n_sig) *t++ = '_', t = put_hex_list(t, sort, n_sig);
    if (n_exts) hex_digest(ctx, md_sha256, text, (size_t)(t - text), o, 12);
    if (!n_exts || !*o) memcpy(o, "000000000000", 13);
    o[12] = '\0';
}

/* Grows st's block to at least need bytes. */
static int reserve(struct tlshs_hello_store *st, size_t need) {
    unsigned char *m;
    if (need <= st->cap) return 0;
    m = realloc(st->mem, need);
    if (!m) return -1;
    st->mem = m;
    st->cap = need;
    return 0;
}

int tlshs__hello_parse(struct tlshs_hello_store *st, const unsigned char *msg, size_t len,
                       int dtls) {
    struct ch c;
    tlshs_hello *h = &st->view;
    size_t n_ci, n_ve, n_gr, n_sh, n_sa, n16, ja3_room, text_room, need, i;
    struct rd walk, item;
    unsigned type = 0;
    uint16_t *u;
    char *s, **alpn;

    st->parsed = 0;
    memset(h, 0, sizeof *h);
    if (!msg || check_client_hello(&c, msg, len, dtls)) return TLSHS__HELLO_MALFORMED;
    CRYPTO_THREAD_run_once(&md_once, fetch_mds);

    n_ci = c.ciphers.n / 2, n_ve = c.versions.n / 2, n_gr = c.groups.n / 2;
    n_sh = c.n_shares, n_sa = c.sigalgs.n / 2;
    n16 = n_ci + c.n_exts + n_ve + n_gr + n_sh + n_sa;
    ja3_room = 5 + 4 + 6 * (n_ci + c.n_exts + n_gr) + 4 * c.formats.n + 1;
    text_room = 5 * (n_ci + c.n_exts + n_sa) + 2;
    need = c.n_alpn * sizeof(char *)            /* alpn pointers, aligned first */
           + 2 * (n16 + n_ci + c.n_exts + n_sa) /* the lists and a sorting room */
           + len + c.sni.n + 1 + c.alpn.n + 1 + ja3_room + 33 + 40 + text_room;
    if (reserve(st, need)) return TLSHS__HELLO_NOMEM;

    alpn = (char **)(void *)st->mem;
    u = (uint16_t *)(void *)(st->mem + c.n_alpn * sizeof(char *));
    h->legacy_version = c.legacy_version;
    h->ciphers = u, h->n_ciphers = n_ci, u = put_list16(u, c.ciphers);
    h->extensions = u, h->n_extensions = c.n_exts;
    for (walk = c.exts; walk.n;) {
        get_u16(&walk, &type), get_vec(&walk, 2, &item);
        *u++ = (uint16_t)type;
    }
    h->versions = u, h->n_versions = n_ve, u = put_list16(u, c.versions);
    h->groups = u, h->n_groups = n_gr, u = put_list16(u, c.groups);
    h->key_shares = u, h->n_key_shares = n_sh;
    for (walk = c.shares; walk.n;) {
        get_u16(&walk, &type), get_vec(&walk, 2, &item);
        *u++ = (uint16_t)type;
    }
    h->sigalgs = u, h->n_sigalgs = n_sa, u = put_list16(u, c.sigalgs);

    s = (char *)(u + n_ci + c.n_exts + n_sa); /* after the sorting room */
    memcpy(s, msg, len);
    h->raw = (const unsigned char *)s, h->raw_len = len;
    if (c.dtls) h->cookie = h->raw + (c.cookie.p - msg), h->cookie_len = c.cookie.n;
    s += len;
    if (c.sni.p) {
        memcpy(s, c.sni.p, c.sni.n);
        s[c.sni.n] = '\0';
        h->server_name = s;
        s += c.sni.n + 1;
    }
    for (i = 0, walk = c.alpn; walk.n; i++) {
        get_vec(&walk, 1, &item);
        memcpy(s, item.p, item.n);
        s[item.n] = '\0';
        alpn[i] = s;
        s += item.n + 1;
    }
    h->alpn = (const char *const *)alpn, h->n_alpn = c.n_alpn;

    h->ja3 = s;
    s = put_dec(s, h->legacy_version);
    *s++ = ',', s = put_ja3_list(s, h->ciphers, n_ci);
    *s++ = ',', s = put_ja3_list(s, h->extensions, h->n_extensions);
    *s++ = ',', s = put_ja3_list(s, h->groups, n_gr);
    *s++ = ',';
    for (i = 0; i < c.formats.n; i++) {
        if (i) *s++ = '-';
        s = put_dec(s, c.formats.p[i]);
    }
    *s++ = '\0';
    h->ja3_hash = s;
    hex_digest(&st->md_ctx, md_md5, h->ja3, (size_t)(s - 1 - h->ja3), s, 32);
    s += 33;
    h->ja4 = s;
    make_ja4(s, h, &c, u, s + 40, &st->md_ctx);
    st->parsed = 1;
    return 0;
}

const tlshs_hello *tlshs__hello_get(const struct tlshs_hello_store *st) {
    return st && st->parsed ? &st->view : NULL;
}

void tlshs__hello_clear(struct tlshs_hello_store *st) {
    if (!st) return;
    free(st->mem);
    EVP_MD_CTX_free(st->md_ctx);
    memset(st, 0, sizeof *st);
}

/* ---- the ServerHello ---- */

int tlshs__server_hello_parse(struct tlshs_server_hello *sh, const unsigned char *msg, size_t len,
                              int dtls) {
    struct rd r = {msg, len}, random, skip, block, walk, body;
    unsigned type = 0, compression, version = 0;
    size_t n_exts, need;
    char *s;

    sh->parsed = 0;
    if (!msg || check_header(&r, HS_SERVER_HELLO, dtls) || get_u16(&r, &sh->legacy_version) ||
        take(&r, 32, &random) || get_vec(&r, 1, &skip) || skip.n > 32 || get_u16(&r, &sh->cipher) ||
        get_u8(&r, &compression) || check_extensions(&r, &block, &n_exts, NULL))
        return TLSHS__HELLO_MALFORMED;
    for (walk = block; walk.n;) {
        get_u16(&walk, &type), get_vec(&walk, 2, &body);
        if (type == EXT_VERSIONS && !version) {
            if (body.n != 2) return TLSHS__HELLO_MALFORMED;
            version = at16(body.p);
        }
    }
    need = 5 + 1 + 5 + 1 + 6 * n_exts + 1;
    if (need > sh->ja3s_cap) {
        s = realloc(sh->ja3s, need);
        if (!s) return TLSHS__HELLO_NOMEM;
        sh->ja3s = s, sh->ja3s_cap = need;
    }
    CRYPTO_THREAD_run_once(&md_once, fetch_mds);
    sh->version = version;
    sh->hrr = memcmp(random.p, hrr_random, 32) == 0;
    s = put_dec(sh->ja3s, sh->legacy_version);
    *s++ = ',', s = put_dec(s, sh->cipher);
    *s++ = ',';
    for (walk = block; walk.n;) {
        get_u16(&walk, &type), get_vec(&walk, 2, &body);
        if (s[-1] != ',') *s++ = '-';
        s = put_dec(s, type);
    }
    *s = '\0';
    hex_digest(&sh->md_ctx, md_md5, sh->ja3s, (size_t)(s - sh->ja3s), sh->ja3s_hash, 32);
    sh->parsed = 1;
    return 0;
}

void tlshs__server_hello_clear(struct tlshs_server_hello *sh) {
    if (!sh) return;
    free(sh->ja3s);
    EVP_MD_CTX_free(sh->md_ctx);
    memset(sh, 0, sizeof *sh);
}
