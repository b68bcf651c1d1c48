/*
 * pcapng.c - the pcapng file of a capture, which Wireshark decrypts.
 *
 * The file holds one synthetic TCP conversation over raw IPv4 (LINKTYPE_RAW):
 * the client 10.0.0.1:49152 and the server 10.0.0.2:443 (port 443, so the TLS
 * dissector applies with no "decode as"), opened by a three-way handshake and
 * ended by a FIN exchange.  The connection's secrets go in Decryption Secrets
 * Blocks ("TLSK": NSS key log lines), so tshark and Wireshark decrypt the file
 * with no key log file.  These addresses never touch the network.
 *
 * Data is coalesced: tlshs__capture_data appends to one pending segment,
 * which goes out when it is full, when the direction changes, and at
 * tlshs__capture_flush (then fflush: the file is complete).  A secret is
 * written at once, ahead of the pending data: a secret OpenSSL derives while
 * it reads a record (a TLS 1.3 client's handshake secrets, from the
 * ServerHello) then still precedes that record in the file, as Wireshark's
 * one pass needs.  Writing a secret early never hurts: it is only looked up.
 *
 * One buffer per capture, made at open: room for the block, IPv4 and TCP
 * headers in front of the pending payload, so a segment is built in place and
 * written with one fwrite.  No allocation per packet.
 *
 * A datagram capture (tlshs__capture_open_datagram, for DTLS) holds UDP
 * instead: one packet per datagram, from the client 10.0.0.1:49152 to the
 * server 10.0.0.2:4433, with no connection set-up or tear-down.  No UDP port
 * is registered for DTLS by Wireshark (4.0) but ones whose application data
 * it hands on to CoAP (5684), DNS (853) or others, so 4433 is an unregistered
 * port on which Wireshark's DTLS-over-UDP heuristic (on by default) finds the
 * records and leaves the decrypted data as data.  Datagrams are held back as
 * segments are (a direction's datagrams until it changes or the flush), so a
 * secret derived while reading still lands ahead of the datagram it decrypts;
 * they queue in a buffer that grows as needed (the datagrams of one call).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlshs_internal.h"

#define CAP_MSS 16000u             /* the most payload one segment carries */
#define CAP_EPB_HEAD 28u           /* Enhanced Packet Block up to its data */
#define CAP_NET_HEAD 40u           /* IPv4 (20) and TCP (20) headers */
#define CAP_HEAD (CAP_EPB_HEAD + CAP_NET_HEAD)
#define CAP_BUFLEN (CAP_HEAD + CAP_MSS + 3 + 4) /* + padding + trailing length */
#define CAP_LINKTYPE_RAW 101u
#define CAP_CLIENT_PORT 49152u
#define CAP_SERVER_PORT 443u
#define CAP_UDP_SERVER_PORT 4433u  /* unregistered: Wireshark's DTLS heuristic takes it */
#define CAP_UDP_HEAD 28u           /* IPv4 (20) and UDP (8) headers */
#define CAP_DGQ_MAX (1u << 20)     /* held-back datagrams are written beyond this */
#define CAP_ISN_CLIENT 0x1000u     /* initial sequence numbers: any will do */
#define CAP_ISN_SERVER 0x2000u

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };

static const unsigned char cap_addr[2][4] = {{10, 0, 0, 2}, {10, 0, 0, 1}}; /* [from_client] */
static const uint16_t cap_port[2] = {CAP_SERVER_PORT, CAP_CLIENT_PORT};

struct tlshs_capture {
    FILE *f;
    int err;              /* the errno of the first failed write; sticky */
    uint32_t next_seq[2]; /* [from_client]: the sequence number each side sends next */
    uint16_t ip_id;
    uint64_t last_us;     /* the last timestamp written, in microseconds */
    int pending_dir;      /* the direction of the pending payload */
    size_t pending;       /* payload bytes waiting at buf + CAP_HEAD */
    int datagram;         /* UDP, one packet per datagram (else one TCP conversation) */
    unsigned char *dgq;   /* datagram: held-back datagrams, each a 4-byte length and its bytes */
    size_t dgq_len, dgq_cap;
    unsigned char buf[CAP_BUFLEN];
};

static void put16(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v) {
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* pcapng fields are in the writer's byte order (the byte-order magic says which) */
static void put_host16(unsigned char *p, uint16_t v) {
    memcpy(p, &v, 2);
}

static void put_host32(unsigned char *p, uint32_t v) {
    memcpy(p, &v, 4);
}

/* The Internet checksum's running sum of len bytes at p (RFC 1071). */
static uint32_t sum16(uint32_t sum, const unsigned char *p, size_t len) {
    size_t i;
    for (i = 0; i + 1 < len; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1) sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t fold16(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Now in microseconds since the epoch, always after the last timestamp. */
static uint64_t timestamp(struct tlshs_capture *cap) {
    struct timespec ts;
    uint64_t us = 0;
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
        us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    if (us <= cap->last_us) us = cap->last_us + 1;
    return cap->last_us = us;
}

/* Remembers the errno of a failed write (sticky); returns -1 with errno set. */
static int put_failed(struct tlshs_capture *cap) {
    cap->err = errno ? errno : EIO;
    errno = cap->err;
    return -1;
}

/* Writes len bytes, or remembers why not; 0 or -1 with errno set. */
static int put(struct tlshs_capture *cap, const void *p, size_t len) {
    if (cap->err) {
        errno = cap->err;
        return -1;
    }
    if (len && fwrite(p, 1, len, cap->f) != len) return put_failed(cap);
    return 0;
}

/* An IPv4 header at ip: no options, don't fragment, TTL 64, the protocol
   proto, total bytes in all, from the given side's address to the other's. */
static void ipv4_header(struct tlshs_capture *cap, unsigned char *ip, int fc, int proto, size_t total) {
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint32_t)total);
    put16(ip + 4, cap->ip_id++);
    ip[6] = 0x40;
    ip[8] = 64;
    ip[9] = (unsigned char)proto;
    memcpy(ip + 12, cap_addr[fc], 4);
    memcpy(ip + 16, cap_addr[!fc], 4);
    put16(ip + 10, fold16(sum16(0, ip, 20)));
}

/* An Enhanced Packet Block's head at b (CAP_EPB_HEAD bytes): interface 0,
   microseconds, the whole packet (packet bytes) kept; block is its length. */
static void epb_head(unsigned char *b, uint32_t block, uint64_t us, size_t packet) {
    put_host32(b, 6);
    put_host32(b + 4, block);
    put_host32(b + 8, 0);
    put_host32(b + 12, (uint32_t)(us >> 32));
    put_host32(b + 16, (uint32_t)us);
    put_host32(b + 20, (uint32_t)packet);
    put_host32(b + 24, (uint32_t)packet);
}

/* Writes one segment from the given side: its payload (len bytes) is already
   at buf + CAP_HEAD; the headers go in front and the block around it. */
static int segment(struct tlshs_capture *cap, int from_client, unsigned flags, size_t len) {
    unsigned char *b = cap->buf, *ip = b + CAP_EPB_HEAD, *tcp = ip + 20;
    size_t pad = (4 - (CAP_NET_HEAD + len) % 4) % 4;
    uint32_t block = (uint32_t)(CAP_HEAD + len + pad + 4), sum;
    uint64_t us = timestamp(cap);
    int fc = from_client != 0;

    ipv4_header(cap, ip, fc, 6, CAP_NET_HEAD + len); /* TCP */
    memset(tcp, 0, 20);

    /* TCP: no options; the pseudo-header, header and payload are summed */
    put16(tcp, cap_port[fc]);
    put16(tcp + 2, cap_port[!fc]);
    put32(tcp + 4, cap->next_seq[fc]);
    put32(tcp + 8, flags & TCP_ACK ? cap->next_seq[!fc] : 0);
    tcp[12] = 5 << 4;
    tcp[13] = (unsigned char)flags;
    put16(tcp + 14, 65535);
    sum = sum16(0, ip + 12, 8) + 6 + (uint32_t)(20 + len);
    put16(tcp + 16, fold16(sum16(sum, tcp, 20 + len)));
    cap->next_seq[fc] += (uint32_t)len + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0);

    epb_head(b, block, us, CAP_NET_HEAD + len);
    memset(b + CAP_HEAD + len, 0, pad);
    put_host32(b + CAP_HEAD + len + pad, block);
    return put(cap, b, block);
}

/* Writes one UDP datagram from the given side, headers built in front of it. */
static int udp_packet(struct tlshs_capture *cap, int from_client, const unsigned char *data,
                      size_t len) {
    static const unsigned char zeros[4];
    unsigned char head[CAP_EPB_HEAD + CAP_UDP_HEAD], tail[4];
    unsigned char *ip = head + CAP_EPB_HEAD, *udp = ip + 20;
    size_t pad = (4 - (CAP_UDP_HEAD + len) % 4) % 4;
    uint32_t block = (uint32_t)(sizeof head + len + pad + 4), sum;
    uint64_t us = timestamp(cap);
    uint16_t ports[2] = {CAP_UDP_SERVER_PORT, CAP_CLIENT_PORT}; /* [from_client] */
    int fc = from_client != 0;

    ipv4_header(cap, ip, fc, 17, CAP_UDP_HEAD + len); /* UDP */
    memset(udp, 0, 8);

    /* UDP: the pseudo-header, header and payload are summed (0 is sent as 0xffff) */
    put16(udp, ports[fc]);
    put16(udp + 2, ports[!fc]);
    put16(udp + 4, (uint32_t)(8 + len));
    sum = sum16(0, ip + 12, 8) + 17 + (uint32_t)(8 + len);
    sum = sum16(sum16(sum, udp, 8), data, len);
    put16(udp + 6, fold16(sum) ? fold16(sum) : 0xffff);

    epb_head(head, block, us, CAP_UDP_HEAD + len);
    put_host32(tail, block);
    return put(cap, head, sizeof head) || put(cap, data, len) || put(cap, zeros, pad) ||
                   put(cap, tail, sizeof tail)
               ? -1
               : 0;
}

/* Writes the held-back datagrams, each as one UDP packet. */
static int emit_datagrams(struct tlshs_capture *cap) {
    size_t off = 0;
    int rc = 0;
    while (off + 4 <= cap->dgq_len && rc == 0) {
        uint32_t len;
        memcpy(&len, cap->dgq + off, 4);
        rc = udp_packet(cap, cap->pending_dir, cap->dgq + off + 4, len);
        off += 4 + (size_t)len;
    }
    cap->dgq_len = 0;
    return rc ? -1 : cap->err ? (errno = cap->err, -1) : 0;
}

/* Holds one datagram back (written at the next direction change or flush). */
static int hold_datagram(struct tlshs_capture *cap, const void *buf, size_t len) {
    uint32_t n = (uint32_t)len;
    if (len > 65535u) return errno = EINVAL, -1;
    if (cap->dgq_len + 4 + len > cap->dgq_cap) {
        size_t want = cap->dgq_cap ? cap->dgq_cap : 4096;
        unsigned char *q;
        while (want < cap->dgq_len + 4 + len) want *= 2;
        if (!(q = realloc(cap->dgq, want))) return errno = ENOMEM, -1;
        cap->dgq = q;
        cap->dgq_cap = want;
    }
    memcpy(cap->dgq + cap->dgq_len, &n, 4);
    memcpy(cap->dgq + cap->dgq_len + 4, buf, len);
    cap->dgq_len += 4 + len;
    return cap->dgq_len > CAP_DGQ_MAX ? emit_datagrams(cap) : 0;
}

/* Writes the pending payload, if any, as one segment (or the held-back
   datagrams, each as a packet). */
static int emit_pending(struct tlshs_capture *cap) {
    size_t len = cap->pending;
    if (cap->datagram) return emit_datagrams(cap);
    if (!len) return cap->err ? (errno = cap->err, -1) : 0;
    cap->pending = 0;
    return segment(cap, cap->pending_dir, TCP_PSH | TCP_ACK, len);
}

/* The Section Header Block (with the writing application) and the one
   Interface Description Block. */
static int headers(struct tlshs_capture *cap) {
    static const char app[8] = "tlshs";
    unsigned char shb[24 + 4 + 8 + 4 + 4], idb[20]; /* SHB: head, option, end, length */
    put_host32(shb, 0x0A0D0D0Au);
    put_host32(shb + 4, sizeof shb);
    put_host32(shb + 8, 0x1A2B3C4Du);
    put_host16(shb + 12, 1);                            /* version 1.0 */
    put_host16(shb + 14, 0);
    memset(shb + 16, 0xff, 8);                          /* section length unknown */
    put_host16(shb + 24, 4);                            /* shb_userappl, 5 bytes */
    put_host16(shb + 26, 5);
    memcpy(shb + 28, app, 8);
    memset(shb + 36, 0, 4);                             /* opt_endofopt */
    put_host32(shb + 40, sizeof shb);
    put_host32(idb, 1);
    put_host32(idb + 4, sizeof idb);
    put_host16(idb + 8, CAP_LINKTYPE_RAW);
    put_host16(idb + 10, 0);
    put_host32(idb + 12, 0);                            /* snaplen: no limit */
    put_host32(idb + 16, sizeof idb);
    return put(cap, shb, sizeof shb) || put(cap, idb, sizeof idb) ? -1 : 0;
}

/* Opens a capture of either kind (see tlshs_internal.h). */
static struct tlshs_capture *capture_open(const char *path, int datagram, char *err,
                                          size_t errlen) {
    struct tlshs_capture *cap;
    if (!path || !*path) {
        if (err && errlen) snprintf(err, errlen, "capture: no file name");
        errno = EINVAL;
        return NULL;
    }
    cap = calloc(1, sizeof *cap);
    if (!cap || !(cap->f = fopen(path, "wb"))) {
        int e = cap ? errno : ENOMEM;
        if (err && errlen) snprintf(err, errlen, "capture: cannot open %s: %s", path, strerror(e));
        free(cap);
        errno = e;
        return NULL;
    }
    cap->next_seq[1] = CAP_ISN_CLIENT;
    cap->next_seq[0] = CAP_ISN_SERVER;
    cap->datagram = datagram;
    if (headers(cap) ||
        (!datagram && (segment(cap, 1, TCP_SYN, 0) || segment(cap, 0, TCP_SYN | TCP_ACK, 0) ||
                       segment(cap, 1, TCP_ACK, 0))) ||
        tlshs__capture_flush(cap)) {
        int e = errno;
        if (err && errlen) snprintf(err, errlen, "capture: cannot write %s: %s", path, strerror(e));
        fclose(cap->f);
        free(cap);
        errno = e;
        return NULL;
    }
    return cap;
}

/* see tlshs_internal.h */
struct tlshs_capture *tlshs__capture_open(const char *path, char *err, size_t errlen) {
    return capture_open(path, 0, err, errlen);
}

/* see tlshs_internal.h */
struct tlshs_capture *tlshs__capture_open_datagram(const char *path, char *err, size_t errlen) {
    return capture_open(path, 1, err, errlen);
}

/* see tlshs_internal.h */
int tlshs__capture_data(struct tlshs_capture *cap, int from_client, const void *buf, size_t len) {
    const unsigned char *p = buf;
    from_client = from_client != 0;
    if (!cap) return 0;
    if (cap->err) return errno = cap->err, -1;
    if ((cap->pending || cap->dgq_len) && cap->pending_dir != from_client && emit_pending(cap))
        return -1;
    cap->pending_dir = from_client;
    if (cap->datagram) return hold_datagram(cap, buf, len);
    while (len) {
        size_t n = CAP_MSS - cap->pending < len ? CAP_MSS - cap->pending : len;
        memcpy(cap->buf + CAP_HEAD + cap->pending, p, n);
        cap->pending += n;
        p += n;
        len -= n;
        if (cap->pending == CAP_MSS && emit_pending(cap)) return -1;
    }
    return cap->err ? (errno = cap->err, -1) : 0;
}

/* see tlshs_internal.h */
int tlshs__capture_secret(struct tlshs_capture *cap, const char *keylog_line) {
    static const unsigned char zeros[4];
    unsigned char head[16], tail[4];
    size_t len, pad;
    uint32_t block;
    if (!cap) return 0;
    if (!keylog_line) {
        errno = EINVAL;
        return -1;
    }
    len = strlen(keylog_line);
    if (len > UINT32_MAX / 2) {
        errno = EINVAL;
        return -1;
    }
    pad = (4 - (len + 1) % 4) % 4;
    block = (uint32_t)(sizeof head + len + 1 + pad + sizeof tail);
    put_host32(head, 0x0000000Au);
    put_host32(head + 4, block);
    put_host32(head + 8, 0x544c534bu); /* "TLSK": NSS key log */
    put_host32(head + 12, (uint32_t)(len + 1));
    put_host32(tail, block);
    if (put(cap, head, sizeof head) || put(cap, keylog_line, len) || put(cap, "\n", 1) ||
        put(cap, zeros, pad) || put(cap, tail, sizeof tail))
        return -1;
    if (fflush(cap->f) != 0) return put_failed(cap);
    return 0;
}

/* see tlshs_internal.h */
int tlshs__capture_flush(struct tlshs_capture *cap) {
    if (!cap) return 0;
    if (emit_pending(cap)) return -1;
    if (fflush(cap->f) != 0) return put_failed(cap);
    return 0;
}

/* see tlshs_internal.h */
int tlshs__capture_close(struct tlshs_capture *cap) {
    int rc, e;
    if (!cap) return 0;
    rc = emit_pending(cap) ||
                 (!cap->datagram && (segment(cap, 1, TCP_FIN | TCP_ACK, 0) ||
                                     segment(cap, 0, TCP_FIN | TCP_ACK, 0) ||
                                     segment(cap, 1, TCP_ACK, 0)))
             ? -1
             : 0;
    e = cap->err;
    if (fclose(cap->f) != 0 && !e) e = errno ? errno : EIO;
    free(cap->dgq);
    free(cap);
    if (e) {
        errno = e;
        return -1;
    }
    return rc;
}
