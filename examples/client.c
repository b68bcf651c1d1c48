/* client.c - a tlshs client and server handshake in memory (usage: client [CERTDIR]). */
#include <stdio.h>

#include "tlshs.h"

static tlshs_config *config(tlshs_role role, const char *k1, const char *v1, const char *k2,
                            const char *v2) {
    tlshs_config *cfg = tlshs_config_new(role);
    if (cfg && (tlshs_config_set(cfg, k1, v1) != 0 || (k2 && tlshs_config_set(cfg, k2, v2) != 0))) {
        fprintf(stderr, "config: %s\n", tlshs_config_error(cfg));
        tlshs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/certs";
    char ca[512], cert[512], key[512];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);

    tlshs_config *ccfg = config(TLSHS_CLIENT, "ca_file", ca, NULL, NULL);
    tlshs_config *scfg = config(TLSHS_SERVER, "cert_file", cert, "key_file", key);
    if (!ccfg || !scfg) return 1;
    tlshs *client = tlshs_new(ccfg, "localhost"); /* SNI, and the name the certificate must match */
    tlshs *server = tlshs_new(scfg, NULL);
    if (!client || !server) {
        fprintf(stderr, "tlshs_new: %s%s\n", tlshs_config_error(ccfg), tlshs_config_error(scfg));
        return 1;
    }

    /* Steps each side and carries its bytes to the other (tlshs_take, then
       tlshs_feed) until both are DONE or CLOSED; a NULL tamper callback
       delivers every flight as it is. */
    tlshs_result rc, rs;
    tlshs_pair(client, server, NULL, NULL, 20, &rc, &rs);
    if (rc != TLSHS_DONE || rs != TLSHS_DONE) {
        fprintf(stderr, "handshake failed: client: %s; server: %s\n", tlshs_error(client),
                tlshs_error(server));
        return 1;
    }
    printf("%s %s, certificate verified: %s\n", tlshs_version(client), tlshs_cipher(client),
           tlshs_verify_result(client) == 0 ? "yes" : "no");

    tlshs_free(client);
    tlshs_free(server);
    tlshs_config_free(ccfg); /* each handshake held its own reference; these are the last */
    tlshs_config_free(scfg);
    return 0;
}
