/*
 * test_dtls_records_oracles.c - the DTLS parsers against independent
 * oracles on real peers' datagrams: `openssl s_client -dtls1_2` and
 * `s_server -dtls1_2` talking through a UDP relay on 127.0.0.1 that keeps
 * every datagram; tshark dissects the same datagrams (a pcap of UDP on port
 * 4433 decoded as DTLS) and its epochs, sequence numbers, lengths, content
 * types, handshake types and JA3/JA3S must be ours.  JA4 of the DTLS
 * ClientHellos of s_client and `gnutls-cli --udp` is computed here by hand
 * from FoxIO's JA4.md and must be the parser's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "check.h"
#include "peer.h"
#include "tlshs_internal.h"

#define MAX_DG 64

struct capture {
    unsigned char *dg[MAX_DG];
    size_t len[MAX_DG];
    int c2s[MAX_DG];
    int n;
};

static void keep(struct capture *cap, const unsigned char *p, size_t n, int c2s) {
    if (cap->n >= MAX_DG || !(cap->dg[cap->n] = malloc(n))) return;
    memcpy(cap->dg[cap->n], p, n);
    cap->len[cap->n] = n;
    cap->c2s[cap->n++] = c2s;
}

static void capture_free(struct capture *cap) {
    for (int i = 0; i < cap->n; i++)
        free(cap->dg[i]);
    cap->n = 0;
}

/* A UDP socket bound on 127.0.0.1 at a port the kernel picks (*port). */
static int udp_local(int *port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* The port s_server printed ("ACCEPT 127.0.0.1:PORT"), or -1. */
static int accept_port(peer *p, double deadline) {
    const char *at;
    if (!peer_wait_for(p, PEER_STDOUT, "ACCEPT", deadline)) return -1;
    peer_wait_for(p, PEER_STDOUT, "\n", deadline);
    at = strstr(p->out.data, "ACCEPT");
    at = at ? strchr(at, ':') : NULL;
    return at ? atoi(at + 1) : -1;
}

/* s_client and s_server through a relay that keeps every datagram; 1 when
   s_client says the connection is established. */
static int relay_openssl(struct capture *cap) {
    peer srv, cli;
    peer_args sa = {0}, ca = {0};
    char connect_to[64];
    int rport = -1, sport, relay = -1, up = -1, done = 0;
    struct sockaddr_in client = {0}, server = {.sin_family = AF_INET};
    socklen_t cl = 0;
    double deadline = peer_now() + peer_budget(10), quiet_since = 0;
    peer_init(&srv);
    peer_init(&cli);
    peer_argl(&sa, "openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-cert",
              cert_path("server.pem"), "-key", cert_path("server.key"), (char *)NULL);
    if (peer_start(&srv, sa.argv) != 0 || (sport = accept_port(&srv, deadline)) < 0 ||
        (relay = udp_local(&rport)) < 0 || (up = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
        goto out;
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server.sin_port = htons((uint16_t)sport);
    if (connect(up, (struct sockaddr *)&server, sizeof server) != 0) goto out;
    snprintf(connect_to, sizeof connect_to, "127.0.0.1:%d", rport);
    peer_argl(&ca, "openssl", "s_client", "-dtls1_2", "-connect", connect_to, "-servername",
              "localhost", "-CAfile", cert_path("ca.pem"), "-brief", (char *)NULL);
    if (peer_start(&cli, ca.argv) != 0) goto out;
    while (peer_now() < deadline) {
        struct pollfd fds[6] = {{relay, POLLIN, 0}, {up, POLLIN, 0}};
        int nf = 2 + peer_poll_fds(&srv, fds + 2);
        unsigned char buf[65536];
        ssize_t n;
        nf += peer_poll_fds(&cli, fds + nf);
        if (poll(fds, (nfds_t)nf, 100) < 0 && errno != EINTR) break;
        peer_drain(&srv);
        peer_drain(&cli);
        if (fds[0].revents & POLLIN) {
            cl = sizeof client;
            n = recvfrom(relay, buf, sizeof buf, 0, (struct sockaddr *)&client, &cl);
            if (n > 0) keep(cap, buf, (size_t)n, 1), send(up, buf, (size_t)n, 0), quiet_since = 0;
        }
        if ((fds[1].revents & POLLIN) && cl) {
            n = recv(up, buf, sizeof buf, 0);
            if (n > 0)
                keep(cap, buf, (size_t)n, 0),
                    sendto(relay, buf, (size_t)n, 0, (struct sockaddr *)&client, cl),
                    quiet_since = 0;
        }
        done = peer_buf_has(&cli.err, "CONNECTION ESTABLISHED", 22);
        if (done && !quiet_since) quiet_since = peer_now();
        if (done && peer_now() - quiet_since > 0.3) break; /* the last flight has passed */
    }
    if (!done) {
        peer_dump(&srv, "s_server");
        peer_dump(&cli, "s_client");
    }
out:
    peer_stop(&cli);
    peer_stop(&srv);
    if (relay >= 0) close(relay);
    if (up >= 0) close(up);
    return done;
}

/* The captured datagrams as a pcap of raw IPv4/UDP: the client
   10.0.0.1:50000, the server 10.0.0.2:4433. */
static int write_pcap(const char *path, const struct capture *cap) {
    FILE *f = fopen(path, "wb");
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101}; /* LINKTYPE_RAW */
    if (!f) return -1;
    fwrite(gh, sizeof gh, 1, f);
    for (int i = 0; i < cap->n; i++) {
        size_t total = 20 + 8 + cap->len[i];
        uint32_t rh[4] = {1700000000u + (uint32_t)i, 0, (uint32_t)total, (uint32_t)total};
        unsigned char ip[28] = {
            0x45, 0, (unsigned char)(total >> 8), (unsigned char)total, 0, 0, 0x40, 0, 64, 17};
        unsigned char a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
        unsigned sp = cap->c2s[i] ? 50000 : 4433, dp = cap->c2s[i] ? 4433 : 50000;
        memcpy(ip + 12, cap->c2s[i] ? a : b, 4);
        memcpy(ip + 16, cap->c2s[i] ? b : a, 4);
        ip[20] = (unsigned char)(sp >> 8), ip[21] = (unsigned char)sp;
        ip[22] = (unsigned char)(dp >> 8), ip[23] = (unsigned char)dp;
        ip[24] = (unsigned char)((8 + cap->len[i]) >> 8), ip[25] = (unsigned char)(8 + cap->len[i]);
        fwrite(rh, sizeof rh, 1, f);
        fwrite(ip, sizeof ip, 1, f);
        fwrite(cap->dg[i], cap->len[i], 1, f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* tshark's fields of every frame, one line each (stdout into out). */
static int tshark_fields(const char *pcap, const char *fields, char *out, size_t cap) {
    char cmd[1024];
    size_t len = 0, n;
    FILE *p;
    snprintf(cmd, sizeof cmd,
             "tshark -n -r '%s' -d udp.port==4433,dtls -T fields %s -E occurrence=a -E "
             "aggregator=, 2>/dev/null",
             pcap, fields);
    if (!(p = popen(cmd, "r"))) return -1;
    while (len + 1 < cap && (n = fread(out + len, 1, cap - 1 - len, p)) > 0)
        len += n;
    out[len] = '\0';
    return pclose(p) == 0 ? 0 : -1;
}

/* What our parsers say of one datagram, in tshark's form: content types,
   epochs, seqs, lengths (tab-separated, each comma-aggregated), then the
   handshake types of the plaintext fragments. */
static void our_fields(const unsigned char *dg, size_t len, char *out, size_t cap) {
    tlshs_dtls_record r[16];
    size_t n = tlshs_dtls_records(dg, len, r, 16, NULL), at = 0;
    const char *sep;
#define PUT(...) (at += (size_t)snprintf(out + at, at < cap ? cap - at : 0, __VA_ARGS__))
    sep = "";
    for (size_t i = 0; i < n; i++, sep = ",")
        PUT("%s%d", sep, r[i].type);
    PUT("\t"), sep = "";
    for (size_t i = 0; i < n; i++, sep = ",")
        PUT("%s%u", sep, r[i].epoch);
    PUT("\t"), sep = "";
    for (size_t i = 0; i < n; i++, sep = ",")
        PUT("%s%llu", sep, (unsigned long long)r[i].seq);
    PUT("\t"), sep = "";
    for (size_t i = 0; i < n; i++, sep = ",")
        PUT("%s%zu", sep, r[i].len);
    PUT("\t"), sep = "";
    for (size_t i = 0; i < n; i++) {
        tlshs_dtls_fragment f[16];
        size_t nf = r[i].type == TLSHS_HANDSHAKE && r[i].epoch == 0
                        ? tlshs_dtls_fragments(r[i].body, r[i].len, f, 16, NULL)
                        : 0;
        for (size_t j = 0; j < nf; j++, sep = ",")
            PUT("%s%d", sep, f[j].msg_type);
    }
#undef PUT
}

/* The whole handshake message of type t in a datagram, when it is in one
   fragment (its 12-byte header and body), or NULL. */
static const unsigned char *whole_message(const unsigned char *dg, size_t len, int t,
                                          size_t *mlen) {
    tlshs_dtls_record r[16];
    size_t n = tlshs_dtls_records(dg, len, r, 16, NULL);
    for (size_t i = 0; i < n; i++) {
        tlshs_dtls_fragment f[16];
        size_t nf = r[i].type == TLSHS_HANDSHAKE && r[i].epoch == 0
                        ? tlshs_dtls_fragments(r[i].body, r[i].len, f, 16, NULL)
                        : 0;
        for (size_t j = 0; j < nf; j++)
            if (f[j].msg_type == t && f[j].offset == 0 && f[j].len == f[j].msg_len) {
                *mlen = 12 + f[j].len;
                return f[j].body - 12;
            }
    }
    return NULL;
}

static char text[1 << 16];

TEST(test_dtls_records_openssl_relay_tshark) {
    static struct capture cap;
    char pcap[] = "/tmp/tlshs-dtls-XXXXXX";
    int fd = mkstemp(pcap), frames = 0, hellos = 0, server_hellos = 0;
    char *line, *save = NULL;
    CHECK(fd >= 0);
    close(fd);
    CHECK(relay_openssl(&cap));
    CHECK_INT(cap.n, >=, 4);
    CHECK(write_pcap(pcap, &cap) == 0);
    CHECK(tshark_fields(
              pcap,
              "-e dtls.record.content_type -e dtls.record.epoch -e dtls.record.sequence_number "
              "-e dtls.record.length -e dtls.handshake.type",
              text, sizeof text) == 0);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), frames++) {
        char ours[2048];
        size_t used;
        CHECK(frames < cap.n);
        CHECK_INT(tlshs_dtls_records(cap.dg[frames], cap.len[frames], NULL, 0, &used), >=, 1);
        CHECK_INT(used, ==, cap.len[frames]);
        our_fields(cap.dg[frames], cap.len[frames], ours, sizeof ours);
        /* tshark names no type for the encrypted Finished: ours stop at
           the plaintext ones too */
        if (strcmp(ours, line) != 0)
            fprintf(stderr, "frame %d: ours %s\n   tshark %s\n", frames + 1, ours, line);
        CHECK_STR(ours, line);
    }
    CHECK_INT(frames, ==, cap.n);
    /* JA3 and JA3S: tshark's against the parser's */
    CHECK(tshark_fields(pcap, "-e dtls.handshake.ja3_full -e dtls.handshake.ja3s_full", text,
                        sizeof text) == 0);
    save = NULL;
    line = strtok_r(text, "\n", &save);
    for (int i = 0; i < cap.n && line; i++, line = strtok_r(NULL, "\n", &save)) {
        size_t mlen;
        const unsigned char *m = whole_message(cap.dg[i], cap.len[i], 1, &mlen);
        char *tab = strchr(line, '\t');
        if (tab && m) *tab = '\0'; /* ja3_full, then an empty ja3s_full */
        if (m) {
            struct tlshs_hello_store st = {0};
            CHECK_INT(tlshs__hello_parse(&st, m, mlen, 1), ==, 0);
            CHECK_STR(st.view.ja3, line);
            hellos++;
            tlshs__hello_clear(&st);
        } else if ((m = whole_message(cap.dg[i], cap.len[i], 2, &mlen)) != NULL) {
            struct tlshs_server_hello sh = {0};
            CHECK_INT(tlshs__server_hello_parse(&sh, m, mlen, 1), ==, 0);
            CHECK_STR(sh.ja3s, line + strspn(line, "\t"));
            server_hellos++;
            tlshs__server_hello_clear(&sh);
        }
    }
    CHECK_INT(hellos, >=, 1); /* two with s_server's cookie exchange */
    CHECK_INT(server_hellos, ==, 1);
    unlink(pcap);
    capture_free(&cap);
}

/* ---- JA4 by hand, from JA4.md ---- */

static size_t be(const unsigned char *p, int n) {
    size_t v = 0;
    while (n--)
        v = v << 8 | *p++;
    return v;
}

static int grease(size_t v) {
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static int cmp_u16(const void *a, const void *b) {
    return (int)*(const unsigned *)a - (int)*(const unsigned *)b;
}

/* The first 12 hex digits of SHA-256 of s. */
static void sha12(const char *s, char out[13]) {
    unsigned char d[32];
    unsigned n = 0;
    EVP_Digest(s, strlen(s), d, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 6; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void hex_list(char *out, const unsigned *v, size_t n) {
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        at += (size_t)sprintf(out + at, "%s%04x", i ? "," : "", v[i]);
}

/* JA4 of a DTLS ClientHello message (12-byte header), by JA4.md's rules. */
static void ja4_by_hand(const unsigned char *m, size_t len, char *out) {
    unsigned ciphers[128], exts[64], sigs[64];
    size_t nc = 0, ne = 0, ns = 0, p = 12 + 2 + 32, end;
    unsigned version = (unsigned)be(m + 12, 2);
    int sni = 0, n_ext_all = 0;
    char alpn[3] = "00", a[2048], b[2048], h1[13], h2[13];
    p += 1 + m[p];              /* session id */
    p += 1 + m[p];              /* cookie */
    end = p + 2 + be(m + p, 2); /* ciphers */
    for (p += 2; p < end; p += 2)
        if (!grease(be(m + p, 2))) ciphers[nc++] = (unsigned)be(m + p, 2);
    p += 1 + m[p]; /* compression */
    end = p + 2 + be(m + p, 2);
    for (p += 2; p + 4 <= end && p + 4 <= len;) {
        unsigned t = (unsigned)be(m + p, 2);
        size_t l = be(m + p + 2, 2);
        const unsigned char *body = m + p + 4;
        if (!grease(t)) {
            n_ext_all++;
            if (t == 0) sni = 1;
            if (t != 0 && t != 16) exts[ne++] = t;
            if (t == 16 && l > 3 &&
                body[2] > 0) { /* the first ALPN value's first and last characters */
                alpn[0] = (char)body[3];
                alpn[1] = (char)body[3 + body[2] - 1];
            }
            if (t == 13)
                for (size_t k = 2; k + 1 < l; k += 2)
                    sigs[ns++] = (unsigned)be(body + k, 2);
            if (t == 43)
                for (size_t k = 1; k + 1 < l; k += 2)
                    if (!grease(be(body + k, 2)) && be(body + k, 2) > version)
                        version = (unsigned)be(body + k, 2);
        }
        p += 4 + l;
    }
    qsort(ciphers, nc, sizeof ciphers[0], cmp_u16);
    qsort(exts, ne, sizeof exts[0], cmp_u16);
    hex_list(a, ciphers, nc);
    sha12(a, h1);
    hex_list(b, exts, ne);
    if (ns) {
        strcat(b, "_");
        hex_list(b + strlen(b), sigs, ns);
    }
    sha12(b, h2);
    sprintf(out, "d%s%c%02zu%02d%s_%s_%s",
            version == 0xfefd   ? "d2"
            : version == 0xfeff ? "d1"
            : version == 0xfefc ? "d3"
                                : "00",
            sni ? 'd' : 'i', nc > 99 ? 99 : nc, n_ext_all > 99 ? 99 : n_ext_all, alpn, h1, h2);
}

/* The first datagram a client sends to a UDP socket on 127.0.0.1, into buf. */
static size_t first_datagram(const char *prog, const char *const *args, unsigned char *buf,
                             size_t cap) {
    peer p;
    peer_args pa = {0};
    char port_s[16];
    int port, fd = udp_local(&port);
    ssize_t n = -1;
    struct pollfd pf;
    if (fd < 0) return 0;
    snprintf(port_s, sizeof port_s, "%d", port);
    peer_init(&p);
    peer_arg(&pa, prog);
    for (; *args; args++) { /* "PORT" in an argument is the port */
        char arg[128];
        const char *at = strstr(*args, "PORT");
        if (at) snprintf(arg, sizeof arg, "%.*s%s%s", (int)(at - *args), *args, port_s, at + 4);
        peer_arg(&pa, at ? arg : *args);
    }
    if (peer_start(&p, pa.argv) == 0) {
        pf = (struct pollfd){fd, POLLIN, 0};
        if (poll(&pf, 1, (int)(peer_budget(10) * 1000)) == 1) n = recv(fd, buf, cap, 0);
    }
    peer_stop(&p);
    close(fd);
    return n > 0 ? (size_t)n : 0;
}

TEST(test_dtls_ja4_by_hand_openssl_gnutls) {
    static const char *const openssl[] = {"s_client",       "-dtls1_2",    "-connect",
                                          "127.0.0.1:PORT", "-servername", "example.com",
                                          "-alpn",          "coap,h2",     NULL};
    static const char *const openssl_ip[] = {"s_client",       "-dtls1_2",      "-connect",
                                             "127.0.0.1:PORT", "-noservername", NULL};
    static const char *const gnutls[] = {"--udp", "--insecure", "--port",
                                         "PORT",  "127.0.0.1",  NULL};
    static const struct {
        const char *prog;
        const char *const *args;
        const char *start; /* what JA4's first part must start with */
    } clients[] = {{"openssl", openssl, "dd2d"},
                   {"openssl", openssl_ip, "dd2i"},
                   {"gnutls-cli", gnutls, "dd2i"}};
    for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
        unsigned char dg[65536];
        size_t n = first_datagram(clients[i].prog, clients[i].args, dg, sizeof dg), mlen;
        const unsigned char *m = n ? whole_message(dg, n, 1, &mlen) : NULL;
        if (!m) fprintf(stderr, "  %s: a datagram of %zu bytes\n", clients[i].prog, n);
        struct tlshs_hello_store st = {0};
        char want[64];
        CHECK(m != NULL);
        CHECK_INT(tlshs__hello_parse(&st, m, mlen, 1), ==, 0);
        ja4_by_hand(m, mlen, want);
        CHECK_STR(st.view.ja4, want);
        CHECK(strncmp(want, clients[i].start, 4) == 0);
        CHECK(st.view.cookie != NULL);
        CHECK_INT(st.view.cookie_len, ==, 0);                /* a first ClientHello */
        if (i == 0) CHECK(strncmp(want + 8, "cp_", 3) == 0); /* "coap" */
        fprintf(stderr, "  %s %s: %s\n", clients[i].prog,
                clients[i].args[4] ? clients[i].args[4] : "", want);
        tlshs__hello_clear(&st);
    }
}
