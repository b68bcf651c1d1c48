/* test_core.c - the contract's rules, in memory, tlshs against itself and raw OpenSSL. */
#include <stdlib.h>

#include "check.h"

TEST(test_memory_handshake_tls13) {
    tlshs_config *sc = server_config(), *cc = client_config();
    tlshs *s, *c;
    CHECK(sc && cc);
    c = tlshs_new(cc, "localhost");
    s = tlshs_new(sc, NULL);
    CHECK(c && s);
    CHECK(pump(c, s, 20));
    CHECK_STR(tlshs_version(c), "TLSv1.3");
    CHECK_STR(tlshs_version(s), "TLSv1.3");
    CHECK_INT(tlshs_verify_result(c), ==, 0);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}
