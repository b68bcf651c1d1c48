/*
 * test_moves_interop.c - the moves after the handshake and the protocol
 * options against real peers on 127.0.0.1: openssl s_server and s_client
 * (whose stdin commands k, K, R and c make their own moves), gnutls-serv.
 *
 * tlshs runs in memory mode over a socket the test owns: every byte tlshs
 * receives passes through link_recv, which also measures the records (for
 * max_fragment_length).  Payloads are digits, so no chunk of them is an
 * s_server/s_client command.  Every test cleans up in link_close, whatever
 * failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_moves_interop.h"
#undef TEST_ENTRY

#define PHASE 5.0 /* seconds a phase may take (times 5 under valgrind) */

typedef struct mlink {
    peer peer;
    tlshs_config *cfg;
    tlshs *hs;
    int sock, listen_fd;
    int cfg_borrowed; /* link_close leaves cfg alone */
    char *argv[40];
    int argc;
    char pool[4096]; /* the strings of argv */
    size_t pool_used;
    char port_s[16];
    char data[4096]; /* application data read */
    size_t data_len;
    /* the records received: the state of the header parser */
    unsigned char hdr[5];
    size_t hdr_have, body_left, max_record;
} mlink;

static void link_init(mlink *l) {
    memset(l, 0, sizeof *l);
    l->sock = l->listen_fd = -1;
    peer_init(&l->peer);
    signal(SIGPIPE, SIG_IGN);
}

/* Adds an argument for the peer, copied (cert_path's buffers are reused). */
static void add(mlink *l, const char *s) {
    size_t n = strlen(s) + 1;
    if (l->argc >= (int)(sizeof l->argv / sizeof l->argv[0]) - 1 || l->pool_used + n > sizeof l->pool) {
        check_fail(__FILE__, __LINE__, "too many arguments at %s", s);
        return;
    }
    memcpy(l->pool + l->pool_used, s, n);
    l->argv[l->argc++] = l->pool + l->pool_used;
    l->argv[l->argc] = NULL;
    l->pool_used += n;
}

static void trace_dump(const tlshs *hs) {
    fprintf(stderr, "  trace:");
    for (size_t i = 0; hs && i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        fprintf(stderr, " %s%s", e->sent ? ">" : "<", e->name);
    }
    fputc('\n', stderr);
}

static void link_close(mlink *l) {
    if (check_current_failed) {
        if (l->hs)
            fprintf(stderr, "  tlshs: last %s, error \"%s\", alerts sent %d received %d\n",
                    tlshs_result_name(tlshs_last_result(l->hs)), tlshs_error(l->hs),
                    tlshs_alert_sent(l->hs), tlshs_alert_received(l->hs));
        trace_dump(l->hs);
        peer_drain(&l->peer);
        peer_dump(&l->peer, l->argv[0] ? l->argv[1] : "peer");
    }
    close_socket_gracefully(l->sock, peer_budget(0.5));
    peer_stop(&l->peer);
    tlshs_free(l->hs);
    if (!l->cfg_borrowed) tlshs_config_free(l->cfg);
    if (l->listen_fd >= 0) close(l->listen_fd);
    l->sock = l->listen_fd = -1;
    l->hs = NULL;
    l->cfg = NULL;
}

static int count_events(const tlshs *hs, int sent, const char *name) {
    int n = 0;
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e->sent == sent && strcmp(e->name, name) == 0) n++;
    }
    return n;
}

/* ---- sockets ---- */

static int listen_local(int *port) {
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

static int connect_local(int port, double deadline) {
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (peer_now() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
        if (fd >= 0) close(fd);
        poll(NULL, 0, 20);
    }
    return -1;
}

/* s_server prints "ACCEPT 127.0.0.1:PORT" once it listens on port 0. */
static int s_server_port(peer *p, double deadline) {
    static const char needle[] = "ACCEPT 127.0.0.1:";
    while (peer_wait_for(p, PEER_STDOUT, needle, deadline)) {
        const char *s = strstr(p->out.data, needle);
        char *end;
        long port = strtol(s + sizeof needle - 1, &end, 10);
        if (*end == '\n' || *end == '\r') return port > 0 && port < 65536 ? (int)port : -1;
        if (peer_now() >= deadline) break;
        poll(NULL, 0, 10);
    }
    return -1;
}

/* ---- bytes ---- */

/* Notes the length of every record in what arrived. */
static void note_records(mlink *l, const unsigned char *p, size_t n) {
    while (n > 0) {
        if (l->body_left) {
            size_t k = n < l->body_left ? n : l->body_left;
            l->body_left -= k, p += k, n -= k;
            continue;
        }
        l->hdr[l->hdr_have++] = *p++, n--;
        if (l->hdr_have == 5) {
            size_t len = (size_t)l->hdr[3] << 8 | l->hdr[4];
            if (len > l->max_record && l->hdr[0] == 23) l->max_record = len; /* application_data */
            l->body_left = len;
            l->hdr_have = 0;
        }
    }
}

/* Sends everything tlshs has pending. */
static int link_flush(mlink *l) {
    unsigned char buf[16384];
    size_t n;
    while ((n = tlshs_take(l->hs, buf, sizeof buf)) > 0) {
        size_t off = 0;
        while (off < n) {
            ssize_t w = send(l->sock, buf + off, n - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return -1;
            off += (size_t)w;
        }
    }
    return 0;
}

/* Waits up to `seconds` for bytes and feeds them; 1 if some came, 0 if
   none, -1 at the peer's EOF (fed) or on an error. */
static int link_recv(mlink *l, double seconds) {
    unsigned char buf[16384];
    struct pollfd fds[3];
    int nfds = 1;
    ssize_t n;
    fds[0] = (struct pollfd){l->sock, POLLIN, 0};
    nfds += peer_poll_fds(&l->peer, fds + 1);
    if (poll(fds, (nfds_t)nfds, (int)(seconds * 1000)) < 0 && errno != EINTR) return -1;
    peer_drain(&l->peer);
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) return 0;
    n = recv(l->sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
        note_records(l, buf, (size_t)n);
        return tlshs_feed(l->hs, buf, (size_t)n) == 0 ? 1 : -1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    tlshs_feed_eof(l->hs);
    return -1;
}

/* Calls op until DONE or CLOSED, moving bytes as it asks. */
typedef tlshs_result (*op_fn)(mlink *l);

static tlshs_result drive(mlink *l, op_fn op) {
    double deadline = peer_now() + peer_budget(PHASE);
    tlshs_result r = TLSHS_WANT_READ;
    while (peer_now() < deadline) {
        r = op(l);
        if (link_flush(l) != 0) break;
        if (r == TLSHS_DONE || r == TLSHS_CLOSED) return r;
        if (r == TLSHS_WANT_READ && link_recv(l, 0.2) < 0 && tlshs_last_result(l->hs) == TLSHS_CLOSED)
            break;
    }
    return r;
}

static tlshs_result op_step(mlink *l) { return tlshs_step(l->hs); }
static tlshs_result op_key_update(mlink *l) { return tlshs_key_update(l->hs, 0); }
static tlshs_result op_key_update_req(mlink *l) { return tlshs_key_update(l->hs, 1); }
static tlshs_result op_renegotiate(mlink *l) { return tlshs_renegotiate(l->hs); }
static tlshs_result op_request_cert(mlink *l) { return tlshs_request_client_cert(l->hs); }
static tlshs_result op_shutdown(mlink *l) { return tlshs_shutdown(l->hs); }

/* Reads for `seconds` (or until pred holds), keeping the data; the last
   result (CLOSED if the connection ended). */
static tlshs_result read_for(mlink *l, double seconds, int (*pred)(mlink *l)) {
    double deadline = peer_now() + peer_budget(seconds);
    tlshs_result r = TLSHS_WANT_READ;
    while (peer_now() < deadline) {
        char buf[4096];
        size_t n = 0;
        r = tlshs_read(l->hs, buf, sizeof buf, &n);
        if (r == TLSHS_DONE && l->data_len + n < sizeof l->data) {
            memcpy(l->data + l->data_len, buf, n);
            l->data_len += n;
            l->data[l->data_len] = '\0';
        }
        if (link_flush(l) != 0 || r == TLSHS_CLOSED) break;
        if (pred && pred(l)) break;
        if (r == TLSHS_WANT_READ && link_recv(l, 0.05) < 0) {
            r = tlshs_read(l->hs, buf, sizeof buf, &n);
            break;
        }
    }
    return r;
}

/* Writes all of msg through tlshs to the socket. */
static int link_write(mlink *l, const char *msg) {
    size_t n = 0;
    if (tlshs_write(l->hs, msg, strlen(msg), &n) != TLSHS_DONE || n != strlen(msg)) return -1;
    return link_flush(l);
}

/* tlshs writes msg, the peer prints it */
static int to_peer(mlink *l, const char *msg) {
    return link_write(l, msg) == 0 && peer_wait_for(&l->peer, PEER_STDOUT, msg, peer_now() + peer_budget(PHASE));
}

static const char *want_data; /* what from_peer waits for */
static int have_want(mlink *l) {
    return strstr(l->data, want_data) != NULL;
}

/* the peer is told to send msg (on its stdin), tlshs reads it */
static int from_peer(mlink *l, const char *msg) {
    if (peer_write(&l->peer, msg, strlen(msg), peer_now() + peer_budget(PHASE)) != 0) return 0;
    want_data = msg;
    read_for(l, PHASE, have_want);
    return strstr(l->data, msg) != NULL;
}

/* ---- the peers ---- */

/* Starts s_server with the args already added (after the common ones) and
   connects a tlshs client of l->cfg to it. */
static int client_to_s_server(mlink *l) {
    double deadline = peer_now() + peer_budget(PHASE);
    int port;
    if (peer_start(&l->peer, l->argv) != 0) return -1;
    if ((port = s_server_port(&l->peer, deadline)) < 0) return -1;
    if ((l->sock = connect_local(port, deadline)) < 0) return -1;
    if (!(l->hs = tlshs_new(l->cfg, "localhost"))) return -1;
    tlshs_set_trace(l->hs, 1);
    return drive(l, op_step) == TLSHS_DONE ? 0 : -1;
}

static void s_server_args(mlink *l, const char *version) {
    add(l, "openssl");
    add(l, "s_server");
    add(l, "-accept");
    add(l, "127.0.0.1:0");
    add(l, "-naccept");
    add(l, "1");
    add(l, "-cert");
    add(l, cert_path("server.pem"));
    add(l, "-key");
    add(l, cert_path("server.key"));
    add(l, version);
}

/* Listens, starts s_client (args after the common ones), and accepts with a
   tlshs server of l->cfg. */
static int s_client_to_server(mlink *l) {
    double deadline = peer_now() + peer_budget(PHASE);
    int port;
    struct pollfd p;
    if ((l->listen_fd = listen_local(&port)) < 0) return -1;
    snprintf(l->port_s, sizeof l->port_s, "127.0.0.1:%d", port);
    if (peer_start(&l->peer, l->argv) != 0) return -1;
    p = (struct pollfd){l->listen_fd, POLLIN, 0};
    if (poll(&p, 1, (int)((deadline - peer_now()) * 1000)) <= 0) return -1;
    if ((l->sock = accept(l->listen_fd, NULL, NULL)) < 0) return -1;
    if (!(l->hs = tlshs_new(l->cfg, NULL))) return -1;
    tlshs_set_trace(l->hs, 1);
    return drive(l, op_step) == TLSHS_DONE ? 0 : -1;
}

static void s_client_args(mlink *l, const char *version) {
    add(l, "openssl");
    add(l, "s_client");
    add(l, "-connect");
    l->argv[l->argc++] = l->port_s; /* filled in by s_client_to_server before the start */
    l->argv[l->argc] = NULL;
    add(l, "-CAfile");
    add(l, cert_path("ca.pem"));
    add(l, "-servername");
    add(l, "localhost");
    add(l, version);
}

/* ---- KeyUpdate ---- */

static int ku_want; /* how many received KeyUpdates got_key_update waits for */
static int got_key_update(mlink *l) {
    return count_events(l->hs, 0, "KeyUpdate") >= ku_want;
}

/* The peer's k or K command; the peer takes a whole chunk of its stdin as
   the command, so the data follows only once the KeyUpdate arrived. */
static int peer_command_key_update(mlink *l, const char *cmd) {
    ku_want = count_events(l->hs, 0, "KeyUpdate") + 1;
    if (peer_write(&l->peer, cmd, 2, peer_now() + peer_budget(PHASE)) != 0) return -1;
    read_for(l, PHASE, got_key_update);
    return got_key_update(l) ? 0 : -1;
}

static void ku_client(int request) {
    mlink l;
    link_init(&l);
    s_server_args(&l, "-tls1_3");
    l.cfg = client_config();
    CHECK(l.cfg);
    if (client_to_s_server(&l) != 0) goto fail;
    read_for(&l, 0.3, NULL); /* the tickets */
    if (drive(&l, request ? op_key_update_req : op_key_update) != TLSHS_DONE) goto fail;
    if (!to_peer(&l, "1111 after our update\n")) goto fail;
    /* s_server answers a request on its next write */
    if (!from_peer(&l, "2222 from s_server\n")) goto fail;
    if (count_events(l.hs, 1, "KeyUpdate") != 1 || count_events(l.hs, 0, "KeyUpdate") != request)
        goto fail;
    /* the peer's own, unasked (s_server's k) */
    if (peer_command_key_update(&l, "k\n") != 0) goto fail;
    if (!from_peer(&l, "3333 after its update\n")) goto fail;
    if (count_events(l.hs, 0, "KeyUpdate") != request + 1 || count_events(l.hs, 1, "KeyUpdate") != 1)
        goto fail;
    if (!to_peer(&l, "4444 still flowing\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "KeyUpdate with s_server (request %d)", request);
    link_close(&l);
}

TEST(test_moves_interop_key_update_s_server) { ku_client(0); }
TEST(test_moves_interop_key_update_s_server_request) { ku_client(1); }

static void ku_server(int request) {
    mlink l;
    link_init(&l);
    s_client_args(&l, "-tls1_3");
    l.cfg = server_config();
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    if (drive(&l, request ? op_key_update_req : op_key_update) != TLSHS_DONE) goto fail;
    if (!to_peer(&l, "1111 after our update\n")) goto fail;
    if (!from_peer(&l, "2222 from s_client\n")) goto fail;
    if (count_events(l.hs, 1, "KeyUpdate") != 1 || count_events(l.hs, 0, "KeyUpdate") != request)
        goto fail;
    /* s_client's K: its own, asking for ours */
    if (peer_command_key_update(&l, "K\n") != 0) goto fail;
    if (!from_peer(&l, "3333 after its update\n")) goto fail;
    if (count_events(l.hs, 0, "KeyUpdate") != request + 1 || count_events(l.hs, 1, "KeyUpdate") != 2)
        goto fail;
    if (!to_peer(&l, "4444 still flowing\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "KeyUpdate with s_client (request %d)", request);
    link_close(&l);
}

TEST(test_moves_interop_key_update_s_client) { ku_server(0); }
TEST(test_moves_interop_key_update_s_client_request) { ku_server(1); }

/* ---- renegotiation (TLS 1.2) ---- */

static int renegotiated(mlink *l) {
    return count_events(l->hs, 0, "Finished") >= 2;
}

/* tlshs client renegotiates with an s_server that allows it */
TEST(test_moves_interop_renegotiate_s_server) {
    mlink l;
    link_init(&l);
    s_server_args(&l, "-tls1_2");
    add(&l, "-client_renegotiation");
    l.cfg = client_config();
    CHECK(l.cfg);
    if (client_to_s_server(&l) != 0) goto fail;
    if (drive(&l, op_renegotiate) != TLSHS_DONE) goto fail;
    read_for(&l, PHASE, renegotiated);
    if (count_events(l.hs, 1, "ClientHello") != 2 || count_events(l.hs, 0, "Finished") != 2) goto fail;
    if (!to_peer(&l, "1111 renegotiated\n") || !from_peer(&l, "2222 from s_server\n")) goto fail;
    if (tlshs_verify_result(l.hs) != 0) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "renegotiation with s_server");
    link_close(&l);
}

/* OpenSSL 3 servers refuse a client's renegotiation by default */
TEST(test_moves_interop_renegotiate_s_server_refuses) {
    mlink l;
    link_init(&l);
    s_server_args(&l, "-tls1_2");
    l.cfg = client_config();
    CHECK(l.cfg);
    if (client_to_s_server(&l) != 0) goto fail;
    if (drive(&l, op_renegotiate) != TLSHS_DONE) goto fail;
    if (read_for(&l, PHASE, NULL) != TLSHS_CLOSED) goto fail;
    CHECK_INT(tlshs_alert_received(l.hs), ==, 100); /* no_renegotiation */
    CHECK_INT(tlshs_alert_sent(l.hs), ==, 40);      /* handshake_failure */
    CHECK_INT(tlshs_error_code(l.hs), ==, TLSHS_E_PROTOCOL);
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "refused renegotiation with s_server");
    link_close(&l);
}

/* tlshs server sends a HelloRequest; s_client renegotiates */
TEST(test_moves_interop_renegotiate_s_client) {
    mlink l;
    link_init(&l);
    s_client_args(&l, "-tls1_2");
    l.cfg = server_config();
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    if (drive(&l, op_renegotiate) != TLSHS_DONE) goto fail;
    read_for(&l, PHASE, renegotiated);
    if (count_events(l.hs, 1, "HelloRequest") != 1 || count_events(l.hs, 0, "ClientHello") != 2 ||
        count_events(l.hs, 0, "Finished") != 2)
        goto fail;
    if (!to_peer(&l, "1111 renegotiated\n") || !from_peer(&l, "2222 from s_client\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "renegotiation with s_client");
    link_close(&l);
}

/* s_client's R: a tlshs server (OpenSSL 3) refuses with a warning, and
   s_client ends the connection */
TEST(test_moves_interop_renegotiate_s_client_r_refused) {
    mlink l;
    link_init(&l);
    s_client_args(&l, "-tls1_2");
    l.cfg = server_config();
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    if (peer_write(&l.peer, "R\n", 2, peer_now() + peer_budget(PHASE)) != 0) goto fail;
    if (read_for(&l, PHASE, NULL) != TLSHS_CLOSED) goto fail;
    CHECK_INT(tlshs_alert_sent(l.hs), ==, 100); /* no_renegotiation */
    CHECK_INT(tlshs_alert_received(l.hs), ==, 40);
    CHECK_INT(tlshs_error_code(l.hs), ==, TLSHS_E_ALERT);
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "s_client's R");
    link_close(&l);
}

/* A client that forbids renegotiation answers our HelloRequest with
   no_renegotiation */
TEST(test_moves_interop_renegotiate_s_client_refuses) {
    mlink l;
    link_init(&l);
    s_client_args(&l, "-tls1_2");
    add(&l, "-no_renegotiation");
    l.cfg = server_config();
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    if (drive(&l, op_renegotiate) != TLSHS_DONE) goto fail;
    if (read_for(&l, PHASE, NULL) != TLSHS_CLOSED) goto fail;
    CHECK_INT(tlshs_alert_received(l.hs), ==, 100);
    CHECK_INT(tlshs_alert_sent(l.hs), ==, 40);
    CHECK_INT(tlshs_error_code(l.hs), ==, TLSHS_E_PROTOCOL);
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "s_client -no_renegotiation");
    link_close(&l);
}

/* ---- post-handshake authentication ---- */

static int got_peer_cert(mlink *l) {
    return tlshs_peer_cert(l->hs, NULL) != NULL;
}

TEST(test_moves_interop_pha_s_client) {
    mlink l;
    link_init(&l);
    s_client_args(&l, "-tls1_3");
    add(&l, "-enable_pha");
    add(&l, "-cert");
    add(&l, cert_path("client.pem"));
    add(&l, "-key");
    add(&l, cert_path("client.key"));
    /* verify none: asks only after the handshake (peer would ask in it too) */
    l.cfg = server_with("ca_file", cert_path("ca.pem"), NULL);
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    if (tlshs_peer_cert(l.hs, NULL) != NULL) goto fail;
    if (drive(&l, op_request_cert) != TLSHS_DONE) goto fail;
    read_for(&l, PHASE, got_peer_cert);
    if (!got_peer_cert(&l) || count_events(l.hs, 0, "CertificateVerify") != 1) goto fail;
    CHECK_INT(tlshs_verify_result(l.hs), ==, 0);
    if (!from_peer(&l, "2222 authenticated\n") || !to_peer(&l, "1111 welcome\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "post-handshake auth with s_client -enable_pha");
    link_close(&l);
}

/* s_client without -enable_pha: the request is refused, nothing changes */
TEST(test_moves_interop_pha_s_client_not_offered) {
    mlink l;
    link_init(&l);
    s_client_args(&l, "-tls1_3");
    l.cfg = server_config();
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    CHECK_RESULT(tlshs_request_client_cert(l.hs), TLSHS_DONE);
    CHECK_INT(tlshs_usage_code(l.hs), ==, TLSHS_E_STATE);
    CHECK_INT(tlshs_pending(l.hs), ==, 0);
    if (!from_peer(&l, "2222 still here\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "request without post_handshake_auth");
    link_close(&l);
}

static int got_cert_request(mlink *l) {
    return count_events(l->hs, 0, "CertificateRequest") >= 1 && count_events(l->hs, 1, "Finished") >= 2;
}

/* s_server -verify asks in the handshake, and again after it with c */
TEST(test_moves_interop_pha_s_server) {
    mlink l;
    link_init(&l);
    s_server_args(&l, "-tls1_3");
    add(&l, "-verify");
    add(&l, "1");
    add(&l, "-CAfile");
    add(&l, cert_path("ca.pem"));
    l.cfg = client_with("post_handshake_auth", "on", "cert_file", cert_path("client.pem"),
                        "key_file", cert_path("client.key"), NULL);
    CHECK(l.cfg);
    if (client_to_s_server(&l) != 0) goto fail;
    read_for(&l, 0.3, NULL);
    if (peer_write(&l.peer, "c\n", 2, peer_now() + peer_budget(PHASE)) != 0) goto fail;
    read_for(&l, PHASE, got_cert_request);
    /* once in the handshake, once after it */
    if (!got_cert_request(&l) || count_events(l.hs, 0, "CertificateRequest") != 2 ||
        count_events(l.hs, 1, "Certificate") != 2 || count_events(l.hs, 1, "CertificateVerify") != 2)
        goto fail;
    if (!to_peer(&l, "1111 authenticated\n") || !from_peer(&l, "2222 from s_server\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "post-handshake auth with s_server c");
    link_close(&l);
}

/* ---- 0-RTT ---- */

static tlshs_result op_write_early(mlink *l) {
    size_t n = 0;
    tlshs_result r = tlshs_write_early(l->hs, "5555 early\n", 11, &n);
    return n == 11 ? TLSHS_DONE : r;
}

/* tlshs client to s_server -early_data: a session, then 0-RTT with it */
TEST(test_moves_interop_early_s_server) {
    mlink l;
    unsigned char der[8192];
    size_t len;
    double deadline;
    int port;
    link_init(&l);
    s_server_args(&l, "-tls1_3");
    l.argv[5][0] = '2'; /* -naccept 2 */
    add(&l, "-early_data");
    l.cfg = client_config();
    CHECK(l.cfg);
    if (client_to_s_server(&l) != 0) goto fail;
    read_for(&l, 0.5, NULL);
    len = tlshs_session(l.hs, der, sizeof der);
    if (len == 0 || len > sizeof der) goto fail;
    CHECK_STR(tlshs_early_data(l.hs), "not_sent");
    if (drive(&l, op_shutdown) == TLSHS_WANT_READ) goto fail;
    close_socket_gracefully(l.sock, peer_budget(0.5));
    tlshs_free(l.hs);
    l.hs = NULL;
    deadline = peer_now() + peer_budget(PHASE);
    port = s_server_port(&l.peer, deadline);
    if ((l.sock = connect_local(port, deadline)) < 0) goto fail;
    l.hs = tlshs_new(l.cfg, "localhost");
    CHECK(l.hs);
    tlshs_set_trace(l.hs, 1);
    CHECK_INT(tlshs_set_session(l.hs, der, len), ==, 0);
    if (drive(&l, op_write_early) != TLSHS_DONE) goto fail;
    if (drive(&l, op_step) != TLSHS_DONE) goto fail;
    CHECK_STR(tlshs_early_data(l.hs), "accepted");
    CHECK_INT(tlshs_resumed(l.hs), ==, 1);
    CHECK_INT(count_events(l.hs, 1, "EndOfEarlyData"), ==, 1);
    CHECK(peer_wait_for(&l.peer, PEER_STDOUT, "5555 early\n", peer_now() + peer_budget(PHASE)));
    if (!to_peer(&l, "1111 after early\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "0-RTT to s_server -early_data");
    link_close(&l);
}

/* The server side of 0-RTT: read_early until the handshake is DONE. */
static char early_got[256];
static size_t early_len;
static tlshs_result op_read_early(mlink *l) {
    size_t n = 0;
    tlshs_result r = tlshs_read_early(l->hs, early_got + early_len, sizeof early_got - 1 - early_len, &n);
    early_len += n;
    return r == TLSHS_DONE && n > 0 ? TLSHS_WANT_WRITE : r; /* data: go on */
}

static int file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int)st.st_size : -1;
}

/* s_client -sess_out, then s_client -early_data FILE -sess_in, to a tlshs
   server; and the same to a server of another config: rejected */
static void early_s_client(int other_config) {
    mlink l;
    char dir[] = "/tmp/tlshs-early-XXXXXX", sess[64], early[64];
    FILE *f;
    tlshs_config *scfg = server_with("max_early_data", "16384", NULL);
    link_init(&l);
    CHECK(scfg && mkdtemp(dir));
    snprintf(sess, sizeof sess, "%s/sess.pem", dir);
    snprintf(early, sizeof early, "%s/early.txt", dir);
    f = fopen(early, "w");
    CHECK(f);
    fputs("6666 early from s_client\n", f);
    fclose(f);
    /* the first connection leaves the session in sess */
    s_client_args(&l, "-tls1_3");
    add(&l, "-sess_out");
    add(&l, sess);
    l.cfg = scfg;
    l.cfg_borrowed = 1;
    if (s_client_to_server(&l) != 0) goto fail;
    read_for(&l, 0.3, NULL);
    for (int i = 0; i < 50 && file_size(sess) <= 0; i++)
        poll(NULL, 0, 20);
    if (file_size(sess) <= 0) goto fail;
    if (drive(&l, op_shutdown) == TLSHS_WANT_READ) goto fail;
    link_close(&l);
    /* the second sends early data with it */
    link_init(&l);
    s_client_args(&l, "-tls1_3");
    add(&l, "-sess_in");
    add(&l, sess);
    add(&l, "-early_data");
    add(&l, early);
    l.cfg = other_config ? server_with("max_early_data", "16384", NULL) : scfg;
    if (other_config) tlshs_config_free(scfg);
    scfg = NULL;
    CHECK(l.cfg);
    {
        double deadline = peer_now() + peer_budget(PHASE);
        int port;
        struct pollfd p;
        if ((l.listen_fd = listen_local(&port)) < 0) goto fail;
        snprintf(l.port_s, sizeof l.port_s, "127.0.0.1:%d", port);
        if (peer_start(&l.peer, l.argv) != 0) goto fail;
        p = (struct pollfd){l.listen_fd, POLLIN, 0};
        if (poll(&p, 1, (int)((deadline - peer_now()) * 1000)) <= 0) goto fail;
        if ((l.sock = accept(l.listen_fd, NULL, NULL)) < 0) goto fail;
        if (!(l.hs = tlshs_new(l.cfg, NULL))) goto fail;
        tlshs_set_trace(l.hs, 1);
    }
    early_len = 0;
    memset(early_got, 0, sizeof early_got);
    if (drive(&l, op_read_early) != TLSHS_DONE) goto fail;
    CHECK_STR(tlshs_early_data(l.hs), other_config ? "rejected" : "accepted");
    if (other_config) {
        CHECK_INT(early_len, ==, 0);
    } else {
        CHECK_STR(early_got, "6666 early from s_client\n");
        CHECK_INT(count_events(l.hs, 0, "EndOfEarlyData"), ==, 1);
    }
    if (!to_peer(&l, "1111 after early\n")) goto fail;
    link_close(&l);
    remove(sess);
    remove(early);
    rmdir(dir);
    return;
fail:
    check_fail(__FILE__, __LINE__, "s_client -early_data (other config %d)", other_config);
    link_close(&l);
    tlshs_config_free(scfg);
    remove(sess);
    remove(early);
    rmdir(dir);
}

TEST(test_moves_interop_early_s_client) { early_s_client(0); }
TEST(test_moves_interop_early_s_client_rejected) { early_s_client(1); }

/* ---- OCSP ---- */

TEST(test_moves_interop_ocsp_s_server) {
    mlink l;
    const unsigned char *resp;
    size_t len = 0;
    link_init(&l);
    s_server_args(&l, "-tls1_3");
    add(&l, "-status_file");
    add(&l, cert_path("ocsp-server.der"));
    l.cfg = client_with("status_request", "on", NULL);
    CHECK(l.cfg);
    if (client_to_s_server(&l) != 0) goto fail;
    resp = tlshs_ocsp_response(l.hs, &len);
    CHECK(resp != NULL);
    CHECK_INT(len, ==, file_size(cert_path("ocsp-server.der")));
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "OCSP from s_server -status_file");
    link_close(&l);
}

static void ocsp_s_client(const char *version) {
    mlink l;
    link_init(&l);
    s_client_args(&l, version);
    add(&l, "-status");
    l.cfg = server_with("ocsp_response_file", cert_path("ocsp-server.der"), NULL);
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    CHECK(peer_wait_for(&l.peer, PEER_STDOUT, "OCSP Response Status: successful",
                        peer_now() + peer_budget(PHASE)));
    CHECK(peer_wait_for(&l.peer, PEER_STDOUT, "Cert Status: good", peer_now() + peer_budget(PHASE)));
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "OCSP to s_client -status");
    link_close(&l);
}

TEST(test_moves_interop_ocsp_s_client) { ocsp_s_client("-tls1_3"); }
TEST(test_moves_interop_ocsp_s_client_tls12) { ocsp_s_client("-tls1_2"); }

/* ---- max_fragment_length ---- */

static int got_digits(mlink *l) {
    return l->data_len >= 3000;
}

/* The largest application_data record s_server sends for 3000 bytes. */
static void mfl_case(const char *version, const char *mfl, size_t *max_record) {
    static char payload[3001];
    mlink l;
    link_init(&l);
    *max_record = 0;
    for (int i = 0; i < 3000; i++)
        payload[i] = i % 64 == 63 ? '\n' : (char)('0' + i % 10);
    payload[2999] = '\n';
    s_server_args(&l, version);
    l.cfg = mfl ? client_with("max_fragment_length", mfl, NULL) : client_config();
    CHECK(l.cfg);
    if (client_to_s_server(&l) != 0) goto fail;
    if (peer_write(&l.peer, payload, 3000, peer_now() + peer_budget(PHASE)) != 0) goto fail;
    read_for(&l, PHASE, got_digits);
    if (l.data_len < 3000) goto fail;
    *max_record = l.max_record;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "max_fragment_length %s with s_server", mfl ? mfl : "none");
    link_close(&l);
}

/* a record holds at most 512 bytes of data, plus the AEAD's overhead (TLS
   1.3: the content type and a 16-byte tag; TLS 1.2: an 8-byte nonce and the
   tag) */
TEST(test_moves_interop_mfl_tls13) {
    size_t max = 0;
    mfl_case("-tls1_3", "512", &max);
    CHECK(max > 0);
    CHECK_INT(max, <=, 512 + 1 + 16);
    mfl_case("-tls1_3", NULL, &max); /* without it, s_server's records are larger */
    CHECK_INT(max, >, 1024);
}

TEST(test_moves_interop_mfl_tls12) {
    size_t max = 0;
    mfl_case("-tls1_2", "512", &max);
    CHECK(max > 0);
    CHECK_INT(max, <=, 512 + 8 + 16);
    mfl_case("-tls1_2", "1024", &max);
    CHECK_INT(max, >, 512 + 24);
    CHECK_INT(max, <=, 1024 + 8 + 16);
}

/* ---- custom extensions ---- */

/* s_server does not know 65280: it ignores it and answers nothing */
TEST(test_moves_interop_extension_s_server) {
    mlink l;
    link_init(&l);
    s_server_args(&l, "-tls1_3");
    l.cfg = client_with("extensions", "65280:cafe,4660:", NULL);
    CHECK(l.cfg);
    if (client_to_s_server(&l) != 0) goto fail;
    CHECK(tlshs_peer_extension(l.hs, 65280, NULL) == NULL);
    CHECK_INT(tlshs_peer_extension_count(l.hs), ==, 0);
    if (!to_peer(&l, "1111 with an extension\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "custom extension to s_server");
    link_close(&l);
}

/* nor does gnutls-serv (TLS 1.2 and 1.3) */
static void ext_gnutls(const char *priority) {
    mlink l;
    int port = 0, probe;
    char port_s[16];
    link_init(&l);
    probe = listen_local(&port);
    CHECK(probe >= 0);
    close(probe);
    snprintf(port_s, sizeof port_s, "%d", port);
    add(&l, "gnutls-serv");
    add(&l, "--echo");
    add(&l, "-p");
    add(&l, port_s);
    add(&l, "--x509certfile");
    add(&l, cert_path("server.pem"));
    add(&l, "--x509keyfile");
    add(&l, cert_path("server.key"));
    add(&l, "--disable-client-cert");
    add(&l, "--priority");
    add(&l, priority);
    l.cfg = client_with("extensions", "65280:cafe", NULL);
    CHECK(l.cfg);
    if (peer_start(&l.peer, l.argv) != 0) goto fail;
    if ((l.sock = connect_local(port, peer_now() + peer_budget(10))) < 0) goto fail;
    if (!(l.hs = tlshs_new(l.cfg, "localhost"))) goto fail;
    tlshs_set_trace(l.hs, 1);
    if (drive(&l, op_step) != TLSHS_DONE) goto fail;
    CHECK(tlshs_peer_extension(l.hs, 65280, NULL) == NULL);
    if (link_write(&l, "7777 echo\n") != 0) goto fail;
    want_data = "7777 echo\n";
    read_for(&l, PHASE, have_want);
    CHECK_STR(l.data, "7777 echo\n");
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "custom extension to gnutls-serv %s", priority);
    link_close(&l);
}

TEST(test_moves_interop_extension_gnutls_tls13) { ext_gnutls("NORMAL:-VERS-ALL:+VERS-TLS1.3"); }
TEST(test_moves_interop_extension_gnutls_tls12) { ext_gnutls("NORMAL:-VERS-ALL:+VERS-TLS1.2"); }

/* A tlshs server with extensions serves s_client, which sends none */
TEST(test_moves_interop_extension_server_s_client) {
    mlink l;
    link_init(&l);
    s_client_args(&l, "-tls1_3");
    l.cfg = server_with("extensions", "65280:beef", NULL);
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    CHECK_INT(tlshs_peer_extension_count(l.hs), ==, 0);
    if (!from_peer(&l, "2222 plain client\n")) goto fail;
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "tlshs server with an extension, s_client");
    link_close(&l);
}

/* ---- tickets, counted by s_client ---- */

static void tickets_s_client(const char *count, int want) {
    mlink l;
    char needle[64];
    link_init(&l);
    s_client_args(&l, "-tls1_3");
    l.cfg = server_with("num_tickets", count, NULL);
    CHECK(l.cfg);
    if (s_client_to_server(&l) != 0) goto fail;
    if (!from_peer(&l, "2222 after the tickets\n")) goto fail;
    CHECK_INT(count_events(l.hs, 1, "NewSessionTicket"), ==, want);
    /* s_client prints one "Post-Handshake New Session Ticket" block each */
    snprintf(needle, sizeof needle, "Post-Handshake New Session Ticket arrived");
    if (want > 0) CHECK(peer_wait_for(&l.peer, PEER_STDOUT, needle, peer_now() + peer_budget(PHASE)));
    else CHECK(!peer_buf_has(&l.peer.out, needle, strlen(needle)));
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "num_tickets %s with s_client", count);
    link_close(&l);
}

TEST(test_moves_interop_num_tickets_0) { tickets_s_client("0", 0); }
TEST(test_moves_interop_num_tickets_5) { tickets_s_client("5", 5); }

/* ---- fd mode ---- */

/* Calls op until DONE or CLOSED, polling the socket as the result asks. */
static tlshs_result drive_fd(mlink *l, op_fn op) {
    double deadline = peer_now() + peer_budget(PHASE);
    tlshs_result r = TLSHS_WANT_READ;
    while (peer_now() < deadline) {
        struct pollfd p = {l->sock, 0, 0};
        r = op(l);
        if (r == TLSHS_DONE || r == TLSHS_CLOSED) return r;
        p.events = r == TLSHS_WANT_WRITE ? POLLOUT : POLLIN;
        poll(&p, 1, 100);
        peer_drain(&l->peer);
    }
    return r;
}

static const char *fd_line;
static tlshs_result op_write_line(mlink *l) {
    size_t n = 0;
    return tlshs_write(l->hs, fd_line, strlen(fd_line), &n);
}

static int fd_renegotiated;
static tlshs_result op_read_until_renegotiated(mlink *l) {
    char buf[256];
    size_t n = 0;
    tlshs_result r = tlshs_read(l->hs, buf, sizeof buf, &n);
    if (r == TLSHS_WANT_READ && count_events(l->hs, 0, "Finished") >= 2) fd_renegotiated = 1;
    return fd_renegotiated ? TLSHS_DONE : r;
}

/* In fd mode a move's message goes straight to the socket: DONE at once
   (or WANT_WRITE while the socket is full) */
static void fd_moves(const char *version) {
    mlink l;
    double deadline;
    int port;
    int tls13 = strcmp(version, "-tls1_3") == 0;
    link_init(&l);
    s_server_args(&l, version);
    if (!tls13) add(&l, "-client_renegotiation");
    l.cfg = client_config();
    CHECK(l.cfg);
    CHECK(peer_start(&l.peer, l.argv) == 0);
    deadline = peer_now() + peer_budget(PHASE);
    port = s_server_port(&l.peer, deadline);
    CHECK(port > 0);
    l.sock = connect_local(port, deadline);
    CHECK(l.sock >= 0);
    l.hs = tlshs_new(l.cfg, "localhost");
    CHECK(l.hs);
    tlshs_set_trace(l.hs, 1);
    CHECK_INT(tlshs_set_fd(l.hs, l.sock), ==, 0);
    if (drive_fd(&l, op_step) != TLSHS_DONE) goto fail;
    if (tls13) {
        CHECK_RESULT(tlshs_key_update(l.hs, 0), TLSHS_DONE);
        CHECK_INT(count_events(l.hs, 1, "KeyUpdate"), ==, 1);
    } else {
        fd_renegotiated = 0;
        if (drive_fd(&l, op_renegotiate) != TLSHS_DONE) goto fail;
        if (drive_fd(&l, op_read_until_renegotiated) != TLSHS_DONE) goto fail;
        CHECK_INT(count_events(l.hs, 1, "ClientHello"), ==, 2);
    }
    fd_line = "8888 fd mode after the move\n";
    if (drive_fd(&l, op_write_line) != TLSHS_DONE) goto fail;
    CHECK(peer_wait_for(&l.peer, PEER_STDOUT, fd_line, peer_now() + peer_budget(PHASE)));
    link_close(&l);
    return;
fail:
    check_fail(__FILE__, __LINE__, "fd mode %s", version);
    link_close(&l);
}

TEST(test_moves_interop_fd_key_update) { fd_moves("-tls1_3"); }
TEST(test_moves_interop_fd_renegotiate) { fd_moves("-tls1_2"); }
