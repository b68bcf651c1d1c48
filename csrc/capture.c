/* capture.c - a handshake's capture (tlshs_set_capture): the file is
 * opened here, the BIOs hooked at the first step, the config's keylog
 * callback installed; pcapng.c writes the file. */
#include "tlshs_internal.h"

/* What OpenSSL reads from its read BIO came from the peer; what it writes to
   its write BIO, from this side.  In memory mode tlshs_feed writes to the
   read BIO and tlshs_take reads from the write BIO: not captured.  In fd
   mode both are one BIO.  The engine flushes when each call on hs returns.
   On the datagram BIO (transport_dgram.c) each BIO_read and BIO_write is
   exactly one datagram: one UDP packet in the file. */
static long capture_bio(BIO *b, int oper, const char *argp, size_t len, int argi, long argl,
                        int ret, size_t *processed) {
    tlshs *hs = (tlshs *)BIO_get_callback_arg(b);
    int client = hs->cfg->role == TLSHS_CLIENT;
    (void)len, (void)argi, (void)argl;
    if (ret <= 0 || !processed || !*processed) return ret;
    if (oper == (BIO_CB_READ | BIO_CB_RETURN) && b == SSL_get_rbio(hs->ssl))
        tlshs__capture_data(hs->capture, !client, argp, *processed);
    else if (oper == (BIO_CB_WRITE | BIO_CB_RETURN) && b == SSL_get_wbio(hs->ssl))
        tlshs__capture_data(hs->capture, client, argp, *processed);
    return ret;
}

void tlshs__capture_attach(tlshs *hs) {
    BIO *bios[2] = {SSL_get_rbio(hs->ssl), SSL_get_wbio(hs->ssl)};
    for (int i = 0; i < 2; i++) {
        BIO_set_callback_ex(bios[i], capture_bio);
        BIO_set_callback_arg(bios[i], (char *)hs);
    }
}

int tlshs_set_capture(tlshs *hs, const char *path) { /* see tlshs.h */
    char err[TLSHS_MSGLEN];
    if (!hs) return -1;
    tlshs__begin(hs);
    if (!path || !*path) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "set_capture: no path given");
        return -1;
    }
    if (hs->started || hs->capture) {
        tlshs__usage(hs, TLSHS_E_STATE, "set_capture: %s",
                     hs->capture ? "hs already has a capture"
                                 : "a capture starts before the first step");
        return -1;
    }
    hs->capture = hs->dg ? tlshs__capture_open_datagram(path, err, sizeof err)
                         : tlshs__capture_open(path, err, sizeof err);
    if (!hs->capture) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "set_%s", err);
        return -1;
    }
    tlshs__config_hook_keylog(hs->cfg);
    return 0;
}
