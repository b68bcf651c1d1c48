/*
 * hello_dump.c - prints, as one JSON object, what tlshs's parser makes of a
 * hello message given in hex: the oracle tests (tests/python/
 * test_hello_oracles.py) compare it with tshark and scapy.
 *
 * Usage: hello-dump client|server HEX
 * Prints {"ok": false, "code": N} for a message that does not parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlshs_internal.h"

static int unhex(const char *s, unsigned char *out, size_t *len) {
    size_t n = strlen(s);
    if (n % 2) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (unsigned char)v;
    }
    *len = n / 2;
    return 0;
}

static void print_str(const char *s) {
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void print_list(const char *name, const uint16_t *v, size_t n) {
    printf(", \"%s\": [", name);
    for (size_t i = 0; i < n; i++)
        printf("%s%u", i ? ", " : "", v[i]);
    putchar(']');
}

static int dump_client(const unsigned char *msg, size_t len) {
    struct tlshs_hello_store st = {0};
    const tlshs_hello *h;
    int rc = tlshs__hello_parse(&st, msg, len, 0);
    if (rc) {
        printf("{\"ok\": false, \"code\": %d}\n", rc);
        return 0;
    }
    h = tlshs__hello_get(&st);
    printf("{\"ok\": true, \"legacy_version\": %u", h->legacy_version);
    print_list("versions", h->versions, h->n_versions);
    print_list("ciphers", h->ciphers, h->n_ciphers);
    print_list("extensions", h->extensions, h->n_extensions);
    print_list("groups", h->groups, h->n_groups);
    print_list("key_shares", h->key_shares, h->n_key_shares);
    print_list("sigalgs", h->sigalgs, h->n_sigalgs);
    fputs(", \"server_name\": ", stdout);
    print_str(h->server_name);
    fputs(", \"alpn\": [", stdout);
    for (size_t i = 0; i < h->n_alpn; i++) {
        if (i) fputs(", ", stdout);
        print_str(h->alpn[i]);
    }
    fputs("], \"ja3\": ", stdout);
    print_str(h->ja3);
    fputs(", \"ja3_hash\": ", stdout);
    print_str(h->ja3_hash);
    fputs(", \"ja4\": ", stdout);
    print_str(h->ja4);
    printf(", \"raw_same\": %s}\n",
           h->raw_len == len && !memcmp(h->raw, msg, len) ? "true" : "false");
    tlshs__hello_clear(&st);
    return 0;
}

static int dump_server(const unsigned char *msg, size_t len) {
    struct tlshs_server_hello sh = {0};
    int rc = tlshs__server_hello_parse(&sh, msg, len, 0);
    if (rc) {
        printf("{\"ok\": false, \"code\": %d}\n", rc);
        return 0;
    }
    printf("{\"ok\": true, \"legacy_version\": %u, \"cipher\": %u, \"version\": %u, \"hrr\": %s, "
           "\"ja3s\": ",
           sh.legacy_version, sh.cipher, sh.version, sh.hrr ? "true" : "false");
    print_str(sh.ja3s);
    fputs(", \"ja3s_hash\": ", stdout);
    print_str(sh.ja3s_hash);
    puts("}");
    tlshs__server_hello_clear(&sh);
    return 0;
}

int main(int argc, char **argv) {
    unsigned char *msg;
    size_t len;
    int rc;
    if (argc != 3 || (strcmp(argv[1], "client") && strcmp(argv[1], "server"))) {
        fputs("usage: hello-dump client|server HEX\n", stderr);
        return 2;
    }
    msg = malloc(strlen(argv[2]) / 2 + 1);
    if (!msg || unhex(argv[2], msg, &len)) {
        fputs("hello-dump: bad hex\n", stderr);
        return 2;
    }
    rc = strcmp(argv[1], "client") ? dump_server(msg, len) : dump_client(msg, len);
    free(msg);
    return rc;
}
