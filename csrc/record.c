/* record.c - TLS records in a flight of bytes: split (tlshs_records), build
 * (tlshs_record_write) and re-cut (tlshs_refragment).  The record rules of
 * tlshs live here once; the bindings wrap these functions.  Nothing here
 * judges what it reads: a header is 5 bytes (type, version, length) and the
 * body is whatever the length announces. */
#include <string.h>

#include "tlshs_internal.h"

#define HEADER 5          /* type (1), version (2), length (2) */
#define LENGTH_MAX 0xffff /* what the 2-byte length field can say */

/* The body length p's header announces (p holds at least HEADER bytes). */
static size_t announced(const unsigned char *p) {
    return (size_t)p[3] << 8 | p[4];
}

/* Whether a whole record (header and announced body) starts at p, with left bytes. */
static int whole(const unsigned char *p, size_t left) {
    return left >= HEADER && left - HEADER >= announced(p);
}

size_t tlshs_records(const void *buf, size_t len, tlshs_record *out, size_t max,
                     size_t *used) { /* see tlshs.h */
    const unsigned char *p = buf;
    size_t n = 0, off = 0;
    if (!p) len = 0, p = (const unsigned char *)"";
    while (whole(p + off, len - off) && (!out || n < max)) {
        if (out) {
            out[n].type = p[off];
            out[n].version = (unsigned)p[off + 1] << 8 | p[off + 2];
            out[n].body = p + off + HEADER;
            out[n].len = announced(p + off);
        }
        off += HEADER + announced(p + off);
        n++;
    }
    if (used) *used = off;
    return n;
}

size_t tlshs_record_write(int type, unsigned version, const void *body, size_t len, void *out,
                          size_t cap) { /* see tlshs.h */
    unsigned char *o = out;
    if (type < 0 || type > 0xff || version > 0xffff || len > LENGTH_MAX || (!body && len)) return 0;
    if (o && cap >= HEADER + len) {
        if (len) memmove(o + HEADER, body, len); /* first: body may lie in out */
        o[0] = (unsigned char)type;
        o[1] = (unsigned char)(version >> 8);
        o[2] = (unsigned char)version;
        o[3] = (unsigned char)(len >> 8);
        o[4] = (unsigned char)len;
    }
    return HEADER + len;
}

/* Appends n bytes of src at *at in out (NULL: counts only). */
static void put(unsigned char *out, size_t *at, const unsigned char *src, size_t n) {
    if (out && n) memcpy(out + *at, src, n);
    *at += n;
}

/* Re-cuts flight (see tlshs_refragment) into out, which has room, or only
   counts with out NULL; answers the size. */
static size_t recut(const unsigned char *p, size_t len, size_t max_body, unsigned char *out) {
    size_t off = 0, at = 0;
    int sealed = 0; /* a ChangeCipherSpec passed: what follows is encrypted */
    while (whole(p + off, len - off)) {
        const unsigned char *rec = p + off;
        size_t body = announced(rec);
        if (rec[0] != TLSHS_HANDSHAKE || body <= max_body || sealed) {
            sealed |= rec[0] == TLSHS_CHANGE_CIPHER_SPEC;
            put(out, &at, rec, HEADER + body); /* passes unchanged */
        } else {
            for (size_t done = 0; done < body; done += max_body) {
                size_t piece = body - done < max_body ? body - done : max_body;
                unsigned char h[HEADER] = {rec[0], rec[1], rec[2], (unsigned char)(piece >> 8),
                                           (unsigned char)piece};
                put(out, &at, h, HEADER);
                put(out, &at, rec + HEADER + done, piece);
            }
        }
        off += HEADER + body;
    }
    put(out, &at, p + off, len - off); /* a partial record at the end, as it was */
    return at;
}

size_t tlshs_refragment(const void *flight, size_t len, size_t max_body, void *out,
                        size_t cap) { /* see tlshs.h */
    size_t size;
    if (max_body == 0 || !flight) return 0;
    size = recut(flight, len, max_body, NULL);
    if (out && cap >= size) recut(flight, len, max_body, out);
    return size;
}
