/*
 * fuzz_dtls_record.c - a libFuzzer target over the DTLS record and fragment
 * parsers and the re-cut (csrc/record_dtls.c): whatever the bytes, they read
 * only inside them and account for every byte (whole records, then a rest
 * that holds no whole record; whole fragments, then a rest), records
 * round-trip through tlshs_dtls_record_write, and tlshs_dtls_refragment
 * keeps every record (type, version, epoch, seq, in order), leaves the
 * records it must not cut byte for byte, cuts the others into fragments of
 * at most max_body that carry the same message bytes at the same offsets,
 * and leaves the rest as it was; or refuses (0) only when a re-cut record
 * would pass 65535 bytes.
 *
 * The first input byte picks max_body (1 + byte, or "no limit" for 255); the
 * rest is the datagram.  Each input is copied to a buffer of its exact size,
 * so AddressSanitizer catches any read past it.  Seeds: datagrams of real
 * DTLS handshakes (tlshs, openssl s_client, gnutls-cli), committed in
 * tests/fuzz/seeds-dtls-record (tests/fuzz/dtls_seeds.py writes them).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlshs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 8192   /* 65536 bytes hold at most 5042 records */
#define MAXFRAG 70000 /* fragments of one re-cut record body (max_body 1) */

static void must(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_dtls_record: %s\n", what);
        abort();
    }
}

/* Splits buf into all its records, 3 at a time; the count, *used their span. */
static size_t split(const unsigned char *buf, size_t len, tlshs_dtls_record *rec, size_t cap,
                    size_t *used) {
    size_t n = 0, off = 0, u;
    for (;;) {
        size_t k = tlshs_dtls_records(buf + off, len - off, rec + n, 3, &u);
        must(k <= 3 && u <= len - off, "records: reported past the end");
        must((k == 0) == (u == 0), "records: a span without records");
        if (k == 0) break;
        n += k, off += u;
        must(n + 3 <= cap, "records: more records than bytes allow");
    }
    must(tlshs_dtls_records(buf, len, NULL, 0, &u) == n && u == off, "records: count differs");
    must(len - off < 13 || off + 13 + ((size_t)buf[off + 11] << 8 | buf[off + 12]) > len,
         "records: a whole record left in the rest");
    *used = off;
    return n;
}

static void check_round_trip(const unsigned char *buf, size_t used, const tlshs_dtls_record *rec,
                             size_t n) {
    size_t at = 0;
    unsigned char *out = malloc(used ? used : 1);
    must(out != NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        must(rec[i].body == buf + at + 13, "records: a body is not after its header");
        must(tlshs_dtls_record_write(rec[i].type, rec[i].version, rec[i].epoch, rec[i].seq,
                                     rec[i].body, rec[i].len, out + at,
                                     used - at) == 13 + rec[i].len,
             "record_write: wrong size");
        at += 13 + rec[i].len;
    }
    must(at == used && memcmp(out, buf, used) == 0, "records do not round-trip");
    free(out);
}

static tlshs_dtls_fragment fa[MAXFRAG], fb[MAXFRAG];

/* Whether the re-cut may touch rec: a plaintext handshake record of whole
   fragments (one longer than max_body, or it stays as it was). */
static int cuttable(const tlshs_dtls_record *r, size_t *nf) {
    size_t used;
    if (r->type != TLSHS_HANDSHAKE || r->epoch != 0) return 0;
    *nf = tlshs_dtls_fragments(r->body, r->len, fa, MAXFRAG, &used);
    return used == r->len;
}

/* b's fragments carry the bytes of the fragments cuttable() left in fa,
   each cut to max_body. */
static void check_cut(const tlshs_dtls_record *b, size_t nfa, size_t max_body) {
    size_t used, j = 0;
    size_t nfb = tlshs_dtls_fragments(b->body, b->len, fb, MAXFRAG, &used);
    must(used == b->len, "refragment: a re-cut body is not whole fragments");
    for (size_t x = 0; x < nfa; x++) {
        size_t off = 0;
        do {
            must(j < nfb, "refragment: fragments went missing");
            must(fb[j].msg_type == fa[x].msg_type && fb[j].msg_len == fa[x].msg_len &&
                     fb[j].message_seq == fa[x].message_seq,
                 "refragment: a fragment header changed");
            must(fb[j].offset == ((fa[x].offset + off) & 0xffffff), "refragment: a wrong offset");
            must(fb[j].len <= max_body && fb[j].len <= fa[x].len - off,
                 "refragment: a long fragment");
            must(memcmp(fb[j].body, fa[x].body + off, fb[j].len) == 0, "refragment: bytes changed");
            off += fb[j++].len;
        } while (off < fa[x].len);
    }
    must(j == nfb, "refragment: fragments added");
}

static tlshs_dtls_record in_rec[MAXREC], out_rec[MAXREC];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned char *buf, *out;
    size_t len, max_body, used, n, size_out, used_out, nout;
    if (size < 1 || size > 65536) return 0;
    max_body = data[0] == 255 ? (size_t)-1 : (size_t)data[0] + 1;
    len = size - 1;
    buf = malloc(len ? len : 1);
    must(buf != NULL, "out of memory");
    memcpy(buf, data + 1, len);

    n = split(buf, len, in_rec, MAXREC, &used);
    check_round_trip(buf, used, in_rec, n);

    size_out = tlshs_dtls_refragment(buf, len, max_body, NULL, 0);
    must(tlshs_dtls_refragment(buf, len, 0, NULL, 0) == 0, "refragment: max_body 0 accepted");
    if (size_out == 0) { /* empty, or refused: some re-cut record would pass 65535 bytes */
        int over = 0;
        for (size_t i = 0; i < n; i++) {
            size_t nf = 0, cut = 0;
            if (!cuttable(&in_rec[i], &nf)) continue;
            for (size_t x = 0; x < nf; x++)
                cut += 12 * (fa[x].len ? (fa[x].len - 1) / max_body + 1 : 1) + fa[x].len;
            over |= cut > 0xffff;
        }
        must(len == 0 || over, "refragment: refused a datagram it can cut");
        free(buf);
        return 0;
    }
    out = malloc(size_out + 1);
    must(out != NULL, "out of memory");
    out[0] = 0xa5;
    must(tlshs_dtls_refragment(buf, len, max_body, out, size_out - 1) == size_out && out[0] == 0xa5,
         "refragment: wrote into a short buffer");
    must(tlshs_dtls_refragment(buf, len, max_body, out, size_out) == size_out, "refragment: size");

    nout = split(out, size_out, out_rec, MAXREC, &used_out);
    must(nout == n, "refragment: records added or lost");
    must(size_out - used_out == len - used && memcmp(out + used_out, buf + used, len - used) == 0,
         "refragment: the rest changed");
    for (size_t i = 0; i < n; i++) {
        const tlshs_dtls_record *a = &in_rec[i], *b = &out_rec[i];
        size_t nf = 0;
        must(a->type == b->type && a->version == b->version && a->epoch == b->epoch &&
                 a->seq == b->seq,
             "refragment: a record header changed");
        if (cuttable(a, &nf))
            check_cut(b, nf, max_body);
        else
            must(a->len == b->len && memcmp(a->body, b->body, a->len) == 0,
                 "refragment: a record it must not cut changed");
    }
    if (max_body == (size_t)-1)
        must(size_out == len && memcmp(out, buf, len) == 0, "refragment: no limit changed bytes");
    free(out);
    free(buf);
    return 0;
}
