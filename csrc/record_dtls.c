/* record_dtls.c - DTLS records in a datagram: split (tlshs_dtls_records),
 * build (tlshs_dtls_record_write), the handshake fragments in a record
 * (tlshs_dtls_fragments) and their re-cut (tlshs_dtls_refragment).
 *
 * Like record.c, nothing here judges what it reads: a record is a 13-byte
 * header (type, version, epoch, 48-bit sequence number, length) and as many
 * bytes as the length announces; a fragment is a 12-byte header (message
 * type, message length, message_seq, fragment_offset, fragment_length) and
 * fragment_length bytes.  Every read is checked against what is left. */
#include <string.h>

#include "tlshs_internal.h"

#define HEADER 13         /* type (1), version (2), epoch (2), seq (6), length (2) */
#define FRAG_HEADER 12    /* msg type (1), length (3), message_seq (2), offset (3), length (3) */
#define LENGTH_MAX 0xffff /* what the 2-byte length field can say */
#define SEQ_MAX 0xffffffffffffULL

static size_t announced(const unsigned char *p) {
    return (size_t)p[11] << 8 | p[12];
}

static int whole(const unsigned char *p, size_t left) {
    return left >= HEADER && left - HEADER >= announced(p);
}

static size_t get24(const unsigned char *p) {
    return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

static void put24(unsigned char *p, size_t v) {
    p[0] = (unsigned char)(v >> 16), p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)v;
}

size_t tlshs_dtls_records(const void *buf, size_t len, tlshs_dtls_record *out, size_t max,
                          size_t *used) { /* see tlshs.h */
    const unsigned char *p = buf;
    size_t n = 0, off = 0;
    if (!p) len = 0, p = (const unsigned char *)"";
    while (whole(p + off, len - off) && (!out || n < max)) {
        const unsigned char *h = p + off;
        if (out) {
            uint64_t seq = 0;
            for (int i = 5; i < 11; i++)
                seq = seq << 8 | h[i];
            out[n].type = h[0];
            out[n].version = (unsigned)h[1] << 8 | h[2];
            out[n].epoch = (unsigned)h[3] << 8 | h[4];
            out[n].seq = seq;
            out[n].body = h + HEADER;
            out[n].len = announced(h);
        }
        off += HEADER + announced(h);
        n++;
    }
    if (used) *used = off;
    return n;
}

size_t tlshs_dtls_record_write(int type, unsigned version, unsigned epoch, uint64_t seq,
                               const void *body, size_t len, void *out,
                               size_t cap) { /* see tlshs.h */
    unsigned char *o = out;
    if (type < 0 || type > 0xff || version > 0xffff || epoch > 0xffff || seq > SEQ_MAX ||
        len > LENGTH_MAX || (!body && len))
        return 0;
    if (o && cap >= HEADER + len) {
        if (len) memmove(o + HEADER, body, len); /* first: body may lie in out */
        o[0] = (unsigned char)type;
        o[1] = (unsigned char)(version >> 8), o[2] = (unsigned char)version;
        o[3] = (unsigned char)(epoch >> 8), o[4] = (unsigned char)epoch;
        for (int i = 10; i >= 5; i--, seq >>= 8)
            o[i] = (unsigned char)seq;
        o[11] = (unsigned char)(len >> 8), o[12] = (unsigned char)len;
    }
    return HEADER + len;
}

size_t tlshs_dtls_fragments(const void *body, size_t len, tlshs_dtls_fragment *out, size_t max,
                            size_t *used) { /* see tlshs.h */
    const unsigned char *p = body;
    size_t n = 0, off = 0;
    if (!p) len = 0, p = (const unsigned char *)"";
    while (len - off >= FRAG_HEADER && len - off - FRAG_HEADER >= get24(p + off + 9) &&
           (!out || n < max)) {
        const unsigned char *h = p + off;
        if (out) {
            out[n].msg_type = h[0];
            out[n].msg_len = get24(h + 1);
            out[n].message_seq = (unsigned)h[4] << 8 | h[5];
            out[n].offset = get24(h + 6);
            out[n].body = h + FRAG_HEADER;
            out[n].len = get24(h + 9);
        }
        off += FRAG_HEADER + get24(h + 9);
        n++;
    }
    if (used) *used = off;
    return n;
}

/* Appends n bytes of src at *at in out (NULL: counts only). */
static void put(unsigned char *out, size_t *at, const unsigned char *src, size_t n) {
    if (out && n) memcpy(out + *at, src, n);
    *at += n;
}

/* The body size a handshake record's fragments take once re-cut, or 0 when
   the record is not re-cut (its body is not whole fragments, or every one
   already fits). */
static size_t recut_size(const unsigned char *body, size_t len, size_t max_body) {
    size_t used, off = 0, size = 0;
    int cut = 0;
    tlshs_dtls_fragments(body, len, NULL, 0, &used);
    if (used != len) return 0;
    while (off < len) {
        size_t flen = get24(body + off + 9);
        size_t pieces = flen ? (flen - 1) / max_body + 1 : 1;
        cut |= pieces > 1;
        size += pieces * FRAG_HEADER + flen;
        off += FRAG_HEADER + flen;
    }
    return cut ? size : 0;
}

/* Writes the re-cut fragments of a record body (recut_size said it is cut). */
static void recut_body(const unsigned char *body, size_t len, size_t max_body, unsigned char *out,
                       size_t *at) {
    for (size_t off = 0; off < len;) {
        const unsigned char *h = body + off;
        size_t flen = get24(h + 9), foff = get24(h + 6), done = 0;
        do {
            size_t piece = flen - done < max_body ? flen - done : max_body;
            unsigned char fh[FRAG_HEADER];
            memcpy(fh, h, 6); /* type, message length, message_seq */
            put24(fh + 6, (foff + done) & 0xffffff);
            put24(fh + 9, piece);
            put(out, at, fh, FRAG_HEADER);
            put(out, at, h + FRAG_HEADER + done, piece);
            done += piece;
        } while (done < flen);
        off += FRAG_HEADER + flen;
    }
}

/* Re-cuts datagram into out (NULL: counts only); answers the size, or 0
   when a re-cut record would not fit a record's length field. */
static size_t recut(const unsigned char *p, size_t len, size_t max_body, unsigned char *out) {
    size_t off = 0, at = 0;
    while (whole(p + off, len - off)) {
        const unsigned char *rec = p + off;
        size_t body = announced(rec), size = 0;
        int plaintext = rec[3] == 0 && rec[4] == 0;
        if (rec[0] == TLSHS_HANDSHAKE && plaintext) size = recut_size(rec + HEADER, body, max_body);
        if (size > LENGTH_MAX) return 0;
        if (!size) {
            put(out, &at, rec, HEADER + body); /* passes unchanged */
        } else {
            unsigned char h[HEADER];
            memcpy(h, rec, 11); /* type, version, epoch, seq */
            h[11] = (unsigned char)(size >> 8), h[12] = (unsigned char)size;
            put(out, &at, h, HEADER);
            recut_body(rec + HEADER, body, max_body, out, &at);
        }
        off += HEADER + body;
    }
    put(out, &at, p + off, len - off); /* a partial record at the end, as it was */
    return at;
}

size_t tlshs_dtls_refragment(const void *datagram, size_t len, size_t max_body, void *out,
                             size_t cap) { /* see tlshs.h */
    size_t size;
    if (max_body == 0 || !datagram) return 0;
    size = recut(datagram, len, max_body, NULL);
    if (size && out && cap >= size) recut(datagram, len, max_body, out);
    return size;
}
