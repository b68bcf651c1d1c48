/*
 * fuzz_record.c - a libFuzzer target over tlshs_records and tlshs_refragment:
 * whatever the bytes, the parser reads only inside them and accounts for
 * every byte (whole records, then a partial rest that holds no whole
 * record), records round-trip through tlshs_record_write, and the re-cut
 * flight keeps every byte: the same handshake bytes in order, the other
 * records unchanged, the same partial rest, no plaintext handshake record
 * longer than max_body.
 *
 * The first input byte picks max_body (1 + byte, or "no limit" for 255);
 * the rest is the flight.  Each input is copied to a buffer of its exact
 * size, so AddressSanitizer catches any read past it.  The seed corpus is
 * made by seed_record.c from the flights of real handshakes (make fuzz-record).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlshs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 16384 /* 65536 input bytes hold at most 13108 records */

static void must(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_record: %s\n", what);
        abort();
    }
}

/* Splits buf into all its records (in batches of a few, as a caller with a
   small array would); answers the count, with *used the bytes they span. */
static size_t split(const unsigned char *buf, size_t len, tlshs_record *rec, size_t cap,
                    size_t *used) {
    size_t n = 0, off = 0, u;
    for (;;) {
        size_t k = tlshs_records(buf + off, len - off, rec + n, 3, &u);
        must(k <= 3 && u <= len - off, "records: reported past the end");
        must((k == 0) == (u == 0), "records: a span without records");
        if (k == 0) break;
        n += k, off += u;
        must(n + 3 <= cap, "records: more records than bytes allow");
    }
    must(tlshs_records(buf, len, NULL, 0, &u) == n && u == off, "records: count differs");
    *used = off;
    return n;
}

/* Checks rec[0..n) against buf[0..used): in order, contiguous, round-trip. */
static void check_records(const unsigned char *buf, size_t used, const tlshs_record *rec,
                          size_t n) {
    size_t at = 0;
    unsigned char *out = malloc(used ? used : 1);
    must(out != NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        must(rec[i].body == buf + at + 5, "records: a body is not after its header");
        must(rec[i].type == buf[at] && rec[i].version == ((unsigned)buf[at + 1] << 8 | buf[at + 2]),
             "records: header misread");
        must(tlshs_record_write(rec[i].type, rec[i].version, rec[i].body, rec[i].len, out + at,
                                used - at) == 5 + rec[i].len,
             "record_write: wrong size");
        at += 5 + rec[i].len;
    }
    must(at == used && memcmp(out, buf, used) == 0, "records do not round-trip");
    free(out);
}

/* The handshake bytes of rec[0..n), concatenated into a new buffer. */
static unsigned char *handshake_bytes(const tlshs_record *rec, size_t n, size_t *len) {
    size_t total = 0;
    unsigned char *out;
    for (size_t i = 0; i < n; i++)
        if (rec[i].type == TLSHS_HANDSHAKE) total += rec[i].len;
    out = malloc(total ? total : 1);
    must(out != NULL, "out of memory");
    *len = 0;
    for (size_t i = 0; i < n; i++)
        if (rec[i].type == TLSHS_HANDSHAKE)
            memcpy(out + *len, rec[i].body, rec[i].len), *len += rec[i].len;
    return out;
}

static tlshs_record in_rec[MAXREC], out_rec[65536 + 3]; /* max_body 1: a record a byte */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned char *buf, *out, *hin, *hout;
    size_t len, max_body, used, n, size_out, used_out, nout, lin, lout, j = 0;
    int sealed = 0;
    if (size < 1 || size > 65536) return 0;
    max_body = data[0] == 255 ? (size_t)-1 : (size_t)data[0] + 1;
    len = size - 1;
    buf = malloc(len ? len : 1);
    must(buf != NULL, "out of memory");
    memcpy(buf, data + 1, len);

    n = split(buf, len, in_rec, MAXREC, &used);
    check_records(buf, used, in_rec, n);

    size_out = tlshs_refragment(buf, len, max_body, NULL, 0);
    must(len == 0 ? size_out == 0 : size_out >= len, "refragment: lost bytes");
    out = malloc(size_out + 1);
    must(out != NULL, "out of memory");
    out[0] = 0xa5;
    if (size_out)
        must(tlshs_refragment(buf, len, max_body, out, size_out - 1) == size_out && out[0] == 0xa5,
             "refragment: wrote into a short buffer");
    must(tlshs_refragment(buf, len, max_body, out, size_out) == size_out, "refragment: size");
    must(tlshs_refragment(buf, len, 0, out, size_out) == 0, "refragment: max_body 0 accepted");

    /* the re-cut flight: whole records, then the same partial rest */
    nout = split(out, size_out, out_rec, sizeof out_rec / sizeof out_rec[0], &used_out);
    must(size_out - used_out == len - used && memcmp(out + used_out, buf + used, len - used) == 0,
         "refragment: the partial rest changed");
    /* the same handshake bytes, in order */
    hin = handshake_bytes(in_rec, n, &lin);
    hout = handshake_bytes(out_rec, nout, &lout);
    must(lin == lout && memcmp(hin, hout, lin) == 0, "refragment: handshake bytes changed");
    free(hin);
    free(hout);
    /* other records unchanged and in order; plaintext handshake records cut */
    for (size_t i = 0; i < nout; i++) {
        if (out_rec[i].type == TLSHS_HANDSHAKE && !sealed) {
            must(out_rec[i].len <= max_body, "refragment: a handshake record longer than max_body");
            continue;
        }
        while (j < n && in_rec[j].type == TLSHS_HANDSHAKE && !sealed)
            j++;
        must(j < n && in_rec[j].type == out_rec[i].type && in_rec[j].len == out_rec[i].len &&
                 in_rec[j].version == out_rec[i].version &&
                 memcmp(in_rec[j].body, out_rec[i].body, in_rec[j].len) == 0,
             "refragment: another record changed");
        sealed |= in_rec[j].type == TLSHS_CHANGE_CIPHER_SPEC;
        j++;
    }
    while (j < n && in_rec[j].type == TLSHS_HANDSHAKE && !sealed)
        j++;
    must(j == n, "refragment: a record went missing");
    if (max_body == (size_t)-1)
        must(size_out == len && memcmp(out, buf, len) == 0, "refragment: no limit changed bytes");
    free(out);
    free(buf);
    return 0;
}
