/* test_dtls_capture.c - tlshs_set_capture on DTLS handshakes: one UDP
   packet per datagram (10.0.0.1:49152 <-> 10.0.0.2:4433), read back by
   tshark with no key log file and no "decode as" (its DTLS-over-UDP
   heuristic finds the records; the secrets come from the file's Decryption
   Secrets Blocks): every handshake message by name, HelloVerifyRequest
   included, the Finished messages and the application data decrypted. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_dtls_capture.h"
#undef TEST_ENTRY

#define REQUEST_LEN 3000 /* three datagrams at the default mtu, six at 512 */
#define REPLY "dtls-capture-reply: the server's answer"

/* The datagrams carried from each side ([from_client]), by size. */
struct carried {
    size_t len[2][64];
    int count[2];
};

/* Moves every datagram pending on from to to, noting its size. */
static void carry(tlshs *from, tlshs *to, struct carried *k, int from_client) {
    unsigned char buf[65536];
    size_t n;
    while ((n = tlshs_take(from, buf, sizeof buf)) > 0) {
        if (k->count[from_client] < 64) k->len[from_client][k->count[from_client]++] = n;
        tlshs_feed(to, buf, n);
    }
}

/* Runs tshark on file with no key log file and the given arguments; its
   standard output (truncated to cap) lands in out.  Its exit status, or -1. */
static int tshark(const char *file, const char *args, char *out, size_t cap) {
    char cmd[1024];
    size_t len = 0, n;
    FILE *p;
    int st;
    snprintf(cmd, sizeof cmd, "tshark -n -r '%s' -o tls.keylog_file: %s 2>/dev/null", file, args);
    if (!(p = popen(cmd, "r"))) return -1;
    while (len + 1 < cap && (n = fread(out + len, 1, cap - 1 - len, p)) > 0)
        len += n;
    out[len] = '\0';
    while (fread(cmd, 1, sizeof cmd, p) > 0)
        continue;
    st = pclose(p);
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char out[1 << 18];

/* The second tab-separated field of the lines whose first is addr, joined
   with commas. */
static void fields_from(const char *text, const char *addr, char *buf, size_t cap) {
    size_t len = 0, alen = strlen(addr);
    buf[0] = '\0';
    for (const char *l = text; *l;) {
        const char *end = strchr(l, '\n') ? strchr(l, '\n') : l + strlen(l);
        if (strncmp(l, addr, alen) == 0 && l[alen] == '\t' && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%.*s", len ? "," : "",
                                    (int)(end - l - alen - 1), l + alen + 1);
        l = *end ? end + 1 : end;
    }
}

/* Drops the repeats of each comma-separated item that follows itself
   ("2,11,11,12" -> "2,11,12"): a message's fragments. */
static void squeeze(char *list) {
    char *w = list, *prev = NULL;
    size_t prev_len = 0;
    for (char *r = list; *r;) {
        size_t len = strcspn(r, ",");
        int same = prev && len == prev_len && strncmp(prev, r, len) == 0;
        if (!same) {
            if (w != list) *w++ = ',';
            memmove(w, r, len);
            prev = w;
            prev_len = len;
            w += len;
        }
        r += len;
        if (*r == ',') r++;
    }
    *w = '\0';
}

/* The hex of bytes, as tshark prints data.data. */
static void hex_of(const void *data, size_t len, char *buf) {
    for (size_t i = 0; i < len; i++)
        sprintf(buf + 2 * i, "%02x", ((const unsigned char *)data)[i]);
    buf[2 * len] = '\0';
}

/* What tshark makes of one side's capture of the exchange. */
static void check_capture(const char *file, const struct carried *k, const char *request, int mtu) {
    static char got[1 << 16], want[1 << 16];
    /* one UDP packet per datagram, in order, on the ports that say DTLS */
    CHECK_INT(tshark(file, "-T fields -e ip.src -e udp.length", out, sizeof out), ==, 0);
    for (int fc = 0; fc < 2; fc++) {
        size_t len = 0;
        want[0] = '\0';
        for (int i = 0; i < k->count[fc]; i++)
            len += (size_t)snprintf(want + len, sizeof want - len, "%s%zu", i ? "," : "",
                                    k->len[fc][i] + 8);
        fields_from(out, fc ? "10.0.0.1" : "10.0.0.2", got, sizeof got);
        CHECK_STR(got, want);
    }
    CHECK_INT(tshark(file,
                     "-Y 'udp.srcport == 49152 && udp.dstport == 4433' -T fields -e "
                     "frame.number",
                     out, sizeof out),
              ==, 0);
    CHECK(*out != '\0');
    /* every handshake message, by type, each way: the Finished messages
       (20) are encrypted, so they were decrypted */
    CHECK_INT(tshark(file, "-Y dtls.handshake.type -T fields -e ip.src -e dtls.handshake.type", out,
                     sizeof out),
              ==, 0);
    fields_from(out, "10.0.0.1", got, sizeof got);
    CHECK_STR(got, "1,1,16,20");
    fields_from(out, "10.0.0.2", got, sizeof got);
    if (mtu) { /* fragments: one entry each, the Certificate's at least */
        CHECK_CONTAINS(got, "11,11");
        squeeze(got);
    }
    CHECK_STR(got, "3,2,11,12,14,4,20");
    /* and by name */
    CHECK_INT(tshark(file, "-Y dtls", out, sizeof out), ==, 0);
    CHECK_CONTAINS(out, "Client Hello");
    CHECK_CONTAINS(out, "Hello Verify Request");
    CHECK_CONTAINS(out, "Server Hello, Certificate");
    CHECK_CONTAINS(out, "Server Hello Done");
    CHECK_CONTAINS(out, "Client Key Exchange, Change Cipher Spec, Finished");
    CHECK_CONTAINS(out, "New Session Ticket, Change Cipher Spec, Finished");
    CHECK_CONTAINS(out, "Alert (Level: Warning, Description: Close Notify)");
    CHECK(strstr(out, "Encrypted") == NULL);
    /* the application data, decrypted, each way */
    CHECK_INT(tshark(file, "-Y dtls.app_data -T fields -e ip.src -e data.data", out, sizeof out),
              ==, 0);
    fields_from(out, "10.0.0.1", got, sizeof got);
    for (char *c = got; (c = strchr(c, ',')) != NULL;) /* one record per datagram: rejoin */
        memmove(c, c + 1, strlen(c));
    hex_of(request, REQUEST_LEN, want);
    CHECK_STR(got, want);
    fields_from(out, "10.0.0.2", got, sizeof got);
    hex_of(REPLY, strlen(REPLY), want);
    CHECK_STR(got, want);
    /* well formed: checksums right, nothing malformed or warned about */
    CHECK_INT(tshark(file,
                     "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -Y '"
                     "ip.checksum.status != 1 || udp.checksum.status != 1 || _ws.malformed"
                     " || _ws.expert.severity >= warning || !dtls'",
                     out, sizeof out),
              ==, 0);
    CHECK_STR(out, "");
}

/* A memory-mode pair, both sides captured (client to cfile, server to
   sfile), datagrams carried and noted: handshake, data both ways, the
   client's close_notify. */
static void captured_pair(int mtu) {
    char mtus[16], cfile[256], sfile[256], request[REQUEST_LEN], buf[4096];
    struct carried k;
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    size_t n, total = 0;
    struct pair p;
    snprintf(mtus, sizeof mtus, "%d", mtu ? mtu : 1200);
    p = pair_of(client_with("transport", "datagram", "mtu", mtus, (char *)NULL),
                server_with("transport", "datagram", "mtu", mtus, (char *)NULL), "localhost");
    memset(&k, 0, sizeof k);
    snprintf(cfile, sizeof cfile, "%s",
             cert_path(mtu ? "dtls-512-client.pcapng" : "dtls-client.pcapng"));
    snprintf(sfile, sizeof sfile, "%s",
             cert_path(mtu ? "dtls-512-server.pcapng" : "dtls-server.pcapng"));
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_set_capture(p.c, cfile), ==, 0);
    CHECK_INT(tlshs_set_capture(p.s, sfile), ==, 0);
    for (int i = 0; i < 20 && !(rc == TLSHS_DONE && rs == TLSHS_DONE); i++) {
        rc = tlshs_step(p.c);
        carry(p.c, p.s, &k, 1);
        rs = tlshs_step(p.s);
        carry(p.s, p.c, &k, 0);
    }
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    for (size_t i = 0; i < sizeof request; i++)
        request[i] = (char)('a' + i % 26);
    CHECK_RESULT(tlshs_write(p.c, request, sizeof request, &n), TLSHS_DONE);
    carry(p.c, p.s, &k, 1);
    while (total < sizeof request && tlshs_read(p.s, buf, sizeof buf, &n) == TLSHS_DONE) {
        CHECK(memcmp(buf, request + total, n) == 0);
        total += n;
    }
    CHECK_INT(total, ==, sizeof request);
    CHECK_RESULT(tlshs_write(p.s, REPLY, strlen(REPLY), &n), TLSHS_DONE);
    carry(p.s, p.c, &k, 0);
    CHECK_RESULT(tlshs_read(p.c, buf, sizeof buf, &n), TLSHS_DONE);
    CHECK_RESULT(tlshs_shutdown(p.c), TLSHS_WANT_WRITE);
    carry(p.c, p.s, &k, 1);
    CHECK_RESULT(tlshs_read(p.s, buf, sizeof buf, &n), TLSHS_CLOSED);
    if (mtu)
        for (int fc = 0; fc < 2; fc++)
            for (int i = 0; i < k.count[fc]; i++)
                CHECK_INT(k.len[fc][i], <=, (size_t)mtu);
    pair_free(&p); /* the captures are complete */
    check_capture(cfile, &k, request, mtu);
    if (check_current_failed) return;
    check_capture(sfile, &k, request, mtu);
}

TEST(test_capture_dtls_pair) {
    captured_pair(0);
}

/* At mtu 512 the server's Certificate travels in fragments, which tshark
   lists one by one. */
TEST(test_capture_dtls_mtu512) {
    captured_pair(512);
}

/* fd mode on two connected UDP sockets: the client's capture; the timers
   are driven as an application does. */
TEST(test_capture_dtls_fd) {
    tlshs_config *cc = client_with("transport", "datagram", (char *)NULL),
                 *sc = server_with("transport", "datagram", (char *)NULL);
    struct pair p = pair_of(cc, sc, "localhost");
    int cport = 0, sport = 0, cfd = udp_bind_local(&cport), sfd = udp_bind_local(&sport);
    struct sockaddr_in to;
    const char *file = cert_path("dtls-fd-client.pcapng");
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    char buf[256];
    size_t n = 0;
    double deadline = peer_now() + peer_budget(5);
    CHECK(p.c && p.s && cfd >= 0 && sfd >= 0);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons((unsigned short)sport);
    CHECK(connect(cfd, (struct sockaddr *)&to, sizeof to) == 0);
    to.sin_port = htons((unsigned short)cport);
    CHECK(connect(sfd, (struct sockaddr *)&to, sizeof to) == 0);
    CHECK_INT(tlshs_set_fd(p.c, cfd), ==, 0);
    CHECK_INT(tlshs_set_fd(p.s, sfd), ==, 0);
    CHECK_INT(tlshs_set_capture(p.c, file), ==, 0);
    while (!(rc == TLSHS_DONE && rs == TLSHS_DONE) && peer_now() < deadline) {
        struct pollfd fds[2] = {{cfd, POLLIN, 0}, {sfd, POLLIN, 0}};
        long tc, ts, wait = 100;
        if (rc != TLSHS_DONE) rc = tlshs_step(p.c);
        if (rs != TLSHS_DONE) rs = tlshs_step(p.s);
        if (rc == TLSHS_CLOSED || rs == TLSHS_CLOSED) break;
        tc = tlshs_timeout_ms(p.c);
        ts = tlshs_timeout_ms(p.s);
        if (tc >= 0 && tc < wait) wait = tc;
        if (ts >= 0 && ts < wait) wait = ts;
        if (poll(fds, 2, (int)wait) == 0) {
            if (tlshs_timeout_ms(p.c) == 0) rc = tlshs_on_timeout(p.c);
            if (tlshs_timeout_ms(p.s) == 0) rs = tlshs_on_timeout(p.s);
        }
    }
    CHECK_RESULT(rc, TLSHS_DONE);
    CHECK_RESULT(rs, TLSHS_DONE);
    CHECK_RESULT(tlshs_write(p.c, "fd-request", 10, &n), TLSHS_DONE);
    for (int i = 0; i < 50 && tlshs_read(p.s, buf, sizeof buf, &n) != TLSHS_DONE; i++)
        poll(&(struct pollfd){sfd, POLLIN, 0}, 1, 100);
    CHECK_INT(n, ==, 10);
    CHECK_RESULT(tlshs_write(p.s, REPLY, strlen(REPLY), &n), TLSHS_DONE);
    for (int i = 0; i < 50 && tlshs_read(p.c, buf, sizeof buf, &n) != TLSHS_DONE; i++)
        poll(&(struct pollfd){cfd, POLLIN, 0}, 1, 100);
    CHECK_INT(n, ==, strlen(REPLY));
    tlshs_shutdown(p.c);
    pair_free(&p);
    close(cfd);
    close(sfd);
    CHECK_INT(tshark(file, "-Y dtls.handshake.type -T fields -e ip.src -e dtls.handshake.type", out,
                     sizeof out),
              ==, 0);
    fields_from(out, "10.0.0.1", buf, sizeof buf);
    CHECK_STR(buf, "1,1,16,20");
    fields_from(out, "10.0.0.2", buf, sizeof buf);
    CHECK_STR(buf, "3,2,11,12,14,4,20");
    CHECK_INT(tshark(file, "-Y dtls.app_data -T fields -e ip.src -e data.data", out, sizeof out),
              ==, 0);
    CHECK_CONTAINS(out, "10.0.0.1\t66642d72657175657374"); /* "fd-request" */
    memcpy(buf, "10.0.0.2\t", 9);
    hex_of(REPLY, strlen(REPLY), buf + 9);
    CHECK_CONTAINS(out, buf);
}
