/* retransmit.c - tlshs_on_timeout: the DTLS retransmission timer fires, when
 * the script says so (see transport_dgram.c for how the timer is held). */
#include "tlshs_internal.h"

tlshs_result tlshs_on_timeout(tlshs *hs) { /* see tlshs.h */
    int r;
    if (!hs) return TLSHS_CLOSED;
    tlshs__begin(hs);
    if (tlshs_timeout_ms(hs) < 0) { /* no datagrams, closed, or no timer runs */
        tlshs__usage(hs, TLSHS_E_STATE, "on_timeout: %s",
                     !hs->dg ? "only a datagram handshake has a retransmission timer"
                             : "no retransmission timer runs");
        return hs->last;
    }
    tlshs__dtls_timer_expire(hs);
    tlshs__clear_errors();
    r = DTLSv1_handle_timeout(hs->ssl);
    if (r < 0) return tlshs__call_done(hs, tlshs__answer_incomplete(hs, SSL_ERROR_SSL, 0));
    tlshs__clear_errors();
    return tlshs__call_done(hs, tlshs__settle(hs, hs->phase == PHASE_HANDSHAKE ? TLSHS_WANT_READ : hs->last));
}
