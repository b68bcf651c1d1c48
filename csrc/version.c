/* version.c - the OpenSSL tlshs runs on, against the one it was built for. */
#include <stdio.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "tlshs_internal.h"

const char *tlshs_openssl_version(void) { /* see tlshs.h */
    return OpenSSL_version(OPENSSL_VERSION);
}

const char *tlshs_openssl_built_version(void) { /* see tlshs.h */
    return OPENSSL_VERSION_TEXT;
}

static char mismatch[320];
static const char *mismatch_found;
static CRYPTO_ONCE mismatch_once = CRYPTO_ONCE_STATIC_INIT;

static void check_version(void) {
    unsigned long running = OpenSSL_version_num();
    if ((running >> 20) == ((unsigned long)OPENSSL_VERSION_NUMBER >> 20)) return; /* major and minor */
    snprintf(mismatch, sizeof mismatch,
             "tlshs was built for %s but runs on %s (both are libssl.so.3): load tlshs first, "
             "or build it against the OpenSSL the program uses (make OPENSSL=PREFIX)",
             OPENSSL_VERSION_TEXT, OpenSSL_version(OPENSSL_VERSION));
    mismatch_found = mismatch;
}

const char *tlshs_openssl_mismatch(void) { /* see tlshs.h */
    if (!CRYPTO_THREAD_run_once(&mismatch_once, check_version)) return "tlshs: cannot check the OpenSSL version";
    return mismatch_found;
}
