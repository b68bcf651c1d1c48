/* transport_mem.c - the memory transport: the caller feeds the peer's bytes
 * into hs's read BIO and takes ours from its write BIO (see tlshs.h). */
#include <limits.h>

#include "tlshs_internal.h"

int tlshs_feed(tlshs *hs, const void *data, size_t len) { /* see tlshs.h */
    const unsigned char *p = data;
    if (!hs) return -1;
    tlshs__begin(hs);
    if (hs->fd_mode) {
        tlshs__usage(hs, TLSHS_E_STATE, "feed: the handshake uses a socket (fd mode)");
        return -1;
    }
    if (!data && len) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "feed: data is NULL");
        return -1;
    }
    if (hs->phase == PHASE_CLOSED || hs->phase == PHASE_FLUSH_CLOSE) {
        tlshs__usage(hs, TLSHS_E_STATE, "feed: the connection is closed (%s)",
                     tlshs__text(hs->error));
        return -1;
    }
    if (hs->eof_fed) {
        tlshs__usage(hs, TLSHS_E_STATE, "feed: the input has ended (feed_eof)");
        return -1;
    }
    if (hs->dg) { /* one datagram, kept whole */
        if (len > TLSHS__MAX_DATAGRAM) {
            tlshs__usage(hs, TLSHS_E_ARGUMENT, "feed: %zu bytes is more than a datagram holds (%d)", len,
                         TLSHS__MAX_DATAGRAM);
            return -1;
        }
        if (len && tlshs__dgram_push(hs->rbio, data, len)) {
            tlshs__usage(hs, TLSHS_E_NOMEM, "feed: out of memory");
            return -1;
        }
        return 0;
    }
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        int w = BIO_write(hs->rbio, p, chunk);
        if (w <= 0) {
            tlshs__clear_errors();
            tlshs__usage(hs, TLSHS_E_NOMEM, "feed: out of memory");
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int tlshs_feed_eof(tlshs *hs) { /* see tlshs.h */
    if (!hs) return -1;
    tlshs__begin(hs);
    if (hs->fd_mode) {
        tlshs__usage(hs, TLSHS_E_STATE, "feed_eof: the handshake uses a socket (fd mode)");
        return -1;
    }
    hs->eof_fed = 1;
    BIO_set_mem_eof_return(hs->rbio, 0); /* once drained, reads see EOF */
    return 0;
}

size_t tlshs_pending(const tlshs *hs) { /* see tlshs.h */
    return hs && !hs->fd_mode ? BIO_ctrl_pending(hs->wbio) : 0;
}

size_t tlshs_take(tlshs *hs, void *buf, size_t cap) { /* see tlshs.h */
    int n;
    tlshs__begin(hs);
    if (!hs || !buf || hs->fd_mode) return 0;
    if (hs->dg) { /* exactly one datagram, or nothing; cap 0 is too small for one */
        size_t size = tlshs__dgram_pop(hs->wbio, buf, cap);
        if (size <= cap) return size;
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "take: the next datagram is %zu bytes, the buffer holds %zu",
                     size, cap);
        return 0;
    }
    if (cap == 0) return 0;
    n = BIO_read(hs->wbio, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    return n > 0 ? (size_t)n : 0;
}
