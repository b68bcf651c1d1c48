/*
 * test_dtls_interop.c - DTLS 1.2 between tlshs and real peers over UDP on
 * 127.0.0.1: `openssl s_server -dtls1_2` and `s_client -dtls1_2`,
 * `gnutls-serv --udp` and `gnutls-cli --udp`, in both roles, in memory mode
 * (the link moves whole datagrams with send/recv) and in fd mode (a
 * connected UDP socket), with data both ways and close_notify; resumption, a
 * client certificate, mtu 512, PSK, DTLS-SRTP with the exported keying
 * material compared with what the peer prints, and a flight of ours lost
 * in a relay (the client's first ClientHello; the server's flight after its
 * HelloVerifyRequest) that our retransmission timer (tlshs_timeout_ms,
 * tlshs_on_timeout, driven by the link, retransmit_ms 100) recovers.
 *
 * The payloads are digits only (both OpenSSL tools take a chunk of stdin
 * that starts with certain letters as a command) and each is small enough
 * for one write of the peer's: OpenSSL sends what it reads from stdin as one
 * record.  Every wait is bounded (the link's phases, peer_wait_for).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_dtls_interop.h"
#undef TEST_ENTRY

/* Bytes sent each way after the handshake: several datagrams at mtu 512. */
#define PAYLOAD_LEN 1500

#define PSK_HEX "6c6f6e672d6c6976652d7468652d646174616772616d"
#define SRTP_PROFILE "SRTP_AES128_CM_SHA1_80"
#define SRTP_LABEL "EXTRACTOR-dtls_srtp"
#define SRTP_LEN 60 /* two 16-byte keys and two 14-byte salts (RFC 5764) */

/* What one test runs. */
typedef struct opts {
    int fd_mode;     /* fd mode, else memory mode */
    int client_cert; /* the client presents client.pem; the server requires one */
    int mtu;         /* tlshs's mtu (0: the default) */
    int psk;         /* PSK_HEX and no certificate */
    int srtp;        /* use_srtp SRTP_PROFILE, keying material compared */
    int relay;       /* through a relay: as a client, it drops tlshs's first datagram
                        (the ClientHello); as a server, it measures tlshs's
                        datagrams, and with lose_flight drops the second (the
                        flight after the HelloVerifyRequest) */
    int lose_flight; /* server: the relay loses our ServerHello flight */
} opts;

/* ---- a UDP relay: loses one of tlshs's datagrams, measures the others ---- */

/* Between the side that sends first (on `near`, bound: the first sender's
   address is kept) and the other (on `far`, connected to it), in a thread;
   it counts and measures the datagrams each way ([0] from near, [1] from
   far) and drops datagram number drop_nth[side] (from 1; 0: none) of each.
   The counters are atomic: the test reads them while the relay runs. */
typedef struct relay {
    int near, far, near_port;
    int drop_nth[2];
    _Atomic int stop;
    _Atomic unsigned count[2], dropped;
    _Atomic size_t max_len[2];
    pthread_t thread;
    int running;
} relay;

/* Counts one datagram from side; whether it is the one to drop. */
static int relay_note(relay *r, int side, size_t n) {
    unsigned nth = ++r->count[side];
    if (n > r->max_len[side]) r->max_len[side] = n;
    if (r->drop_nth[side] > 0 && nth == (unsigned)r->drop_nth[side]) {
        r->dropped++;
        return 1;
    }
    return 0;
}

static void *relay_run(void *arg) {
    relay *r = arg;
    static unsigned char buf[65536];
    struct sockaddr_storage first;
    socklen_t first_len = 0;
    while (!r->stop) {
        struct pollfd fds[2] = {{r->near, POLLIN, 0}, {r->far, POLLIN, 0}};
        if (poll(fds, 2, 50) <= 0) continue;
        if (fds[0].revents & POLLIN) {
            struct sockaddr_storage from;
            socklen_t len = sizeof from;
            ssize_t n = recvfrom(r->near, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
            if (n > 0) {
                first = from;
                first_len = len;
                if (!relay_note(r, 0, (size_t)n)) send(r->far, buf, (size_t)n, 0);
            }
        }
        if (fds[1].revents & POLLIN) {
            ssize_t n = recv(r->far, buf, sizeof buf, 0);
            if (n > 0 && first_len && !relay_note(r, 1, (size_t)n))
                sendto(r->near, buf, (size_t)n, 0, (struct sockaddr *)&first, first_len);
        }
    }
    return NULL;
}

/* Starts a relay to 127.0.0.1:far_port that drops datagram number
   drop_near from near and drop_far from far (0: none); r->near_port is
   where the first side sends.  0, or -1 (the test fails). */
static int relay_start(relay *r, int far_port, int drop_near, int drop_far) {
    memset(r, 0, sizeof *r);
    r->drop_nth[0] = drop_near;
    r->drop_nth[1] = drop_far;
    r->near = udp_bind_local(&r->near_port);
    r->far = udp_connect_local(far_port);
    if (r->near < 0 || r->far < 0 || pthread_create(&r->thread, NULL, relay_run, r) != 0) {
        check_fail(__FILE__, __LINE__, "relay: %s", strerror(errno));
        return -1;
    }
    r->running = 1;
    return 0;
}

static void relay_stop(relay *r) {
    if (r->running) {
        r->stop = 1;
        pthread_join(r->thread, NULL);
        r->running = 0;
    }
    if (r->near >= 0) close(r->near);
    if (r->far >= 0) close(r->far);
    r->near = r->far = -1;
}

/* ---- data, the peer's printouts ---- */

/* Digits in lines of 64, ending with a newline and then a NUL (len - 1
   bytes to send): no chunk of it is an s_server/s_client command. */
static void make_payload(char *buf, size_t len, int seed) {
    for (size_t i = 0; i + 1 < len; i++)
        buf[i] = (i % 64 == 63) ? '\n' : (char)('0' + (int)((i * 7 + (size_t)seed) % 10));
    buf[len - 2] = '\n';
    buf[len - 1] = '\0';
}

/* Payloads both ways: tlshs -> the peer's stdout, the peer's stdin -> tlshs
   (seed: another connection to the same peer sends other digits). */
static int exchange(peer_link *l, int seed) {
    static char to_peer[PAYLOAD_LEN + 1], from_peer[PAYLOAD_LEN + 1];
    make_payload(to_peer, sizeof to_peer, seed);
    make_payload(from_peer, sizeof from_peer, seed + 3);
    if (link_write(l, to_peer, PAYLOAD_LEN) != 0) return -1;
    if (!peer_wait_for(&l->peer, PEER_STDOUT, to_peer, peer_now() + peer_budget(l->phase))) {
        check_fail(__FILE__, __LINE__, "the peer did not print the %d bytes sent to it",
                   PAYLOAD_LEN);
        return -1;
    }
    if (peer_write(&l->peer, from_peer, PAYLOAD_LEN, peer_now() + peer_budget(l->phase)) != 0) {
        check_fail(__FILE__, __LINE__, "writing to the peer's stdin failed");
        return -1;
    }
    return link_read_exact(l, from_peer, PAYLOAD_LEN);
}

/* The keying material OpenSSL's tools print ("Keying material: HEX") equals
   ours, exported with the same label and length. */
static void check_srtp_keys(peer_link *l) {
    unsigned char km[SRTP_LEN];
    char want[32 + 2 * SRTP_LEN + 1];
    size_t off;
    CHECK_STR(tlshs_srtp_profile(l->hs), SRTP_PROFILE);
    CHECK_INT(tlshs_export_keying_material(l->hs, km, sizeof km, SRTP_LABEL, NULL, 0, 0), ==, 0);
    off = (size_t)snprintf(want, sizeof want, "Keying material: ");
    for (size_t i = 0; i < sizeof km; i++)
        off += (size_t)snprintf(want + off, sizeof want - off, "%02X", km[i]);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, want, peer_now() + peer_budget(l->phase)) ||
          peer_wait_for(&l->peer, PEER_STDERR, want, peer_now() + peer_budget(1)));
}

/* After DONE, either role. */
static void check_outcome(const peer_link *l, const opts *o) {
    CHECK_STR(tlshs_version(l->hs), "DTLSv1.2");
    CHECK_INT(tlshs_handshake_done(l->hs), ==, 1);
    CHECK_INT(tlshs_error_code(l->hs), ==, TLSHS_OK);
    CHECK_INT(tlshs_alert_received(l->hs), ==, -1);
    if (o->psk) CHECK_CONTAINS(tlshs_cipher(l->hs), "PSK");
    if (!o->fd_mode && o->mtu) {
        CHECK_INT(l->max_sent, <=, (size_t)o->mtu);
        CHECK_INT(l->max_sent, >, 0);
    }
}

/* ---- tlshs client vs openssl s_server ---- */

static void check_fragmented_certificate(peer_link *l, const opts *o);

static tlshs_config *client_for(const opts *o) {
    tlshs_config *cfg = o->psk ? client_with("transport", "datagram", "verify", "none", "psk",
                                             PSK_HEX, (char *)NULL)
                               : client_with("transport", "datagram", (char *)NULL);
    char mtu[16];
    snprintf(mtu, sizeof mtu, "%d", o->mtu);
    if (cfg && ((o->mtu && tlshs_config_set(cfg, "mtu", mtu) != 0) ||
                (o->srtp && tlshs_config_set(cfg, "use_srtp", SRTP_PROFILE) != 0) ||
                (o->relay && tlshs_config_set(cfg, "retransmit_ms", "100") != 0) ||
                (o->client_cert && (tlshs_config_set(cfg, "cert_file", cert_path("client.pem")) ||
                                    tlshs_config_set(cfg, "key_file", cert_path("client.key")))))) {
        check_fail(__FILE__, __LINE__, "%s", tlshs_config_error(cfg));
        tlshs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static void s_server_args(peer_link *l, const opts *o, int naccept) {
    char n[16];
    snprintf(n, sizeof n, "%d", naccept);
    peer_argl(&l->args, "openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-naccept", n,
              (char *)NULL);
    if (o->psk)
        peer_argl(&l->args, "-psk", PSK_HEX, "-nocert", (char *)NULL);
    else
        peer_argl(&l->args, "-cert", cert_path("server.pem"), "-key", cert_path("server.key"),
                  (char *)NULL);
    if (o->client_cert)
        peer_argl(&l->args, "-Verify", "1", "-CAfile", cert_path("ca.pem"), (char *)NULL);
    if (o->srtp)
        peer_argl(&l->args, "-use_srtp", SRTP_PROFILE, "-keymatexport", SRTP_LABEL,
                  "-keymatexportlen", "60", (char *)NULL);
}

/* Starts s_server and connects the link to it (through a relay if o says). */
static int to_s_server(peer_link *l, const opts *o, relay *r, int naccept) {
    s_server_args(l, o, naccept);
    if (!o->relay) return link_to_s_server(l);
    if (link_start(l) != 0) return -1; /* the relay goes between: no link_to_s_server */
    l->port = s_server_port(&l->peer, peer_now() + peer_budget(l->phase));
    if (l->port <= 0 || relay_start(r, l->port, 1, 0) != 0) return -1;
    return link_connect(l, r->near_port);
}

static void s_server_body(peer_link *l, const opts *o, relay *r) {
    CHECK(to_s_server(l, o, r, 1) == 0);
    l->cfg = client_for(o);
    CHECK(l->cfg != NULL);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    check_outcome(l, o);
    if (check_current_failed) return;
    if (!o->psk) CHECK(peer_cert_is(l->hs, cert_path("server.pem")));
    if (o->srtp) check_srtp_keys(l);
    if (o->mtu && o->client_cert) check_fragmented_certificate(l, o);
    if (o->client_cert)
        CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "tlshs test client",
                            peer_now() + peer_budget(l->phase)));
    if (o->relay) {
        CHECK_INT(r->dropped, ==, 1);
        CHECK_INT(l->timeouts, >=, 1);
        CHECK_INT(trace_count(l->hs, 1, "ClientHello"), >=, 2);
    }
    CHECK(exchange(l, 1) == 0);
    CHECK_RESULT(link_shutdown(l), TLSHS_CLOSED);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "\nDONE\n", peer_now() + peer_budget(l->phase)));
}

static void run_s_server(const opts *o) {
    peer_link l;
    relay r;
    memset(&r, 0, sizeof r);
    r.near = r.far = -1;
    link_init_datagram(&l, o->fd_mode);
    s_server_body(&l, o, &r);
    link_close(&l);
    relay_stop(&r);
}

TEST(test_dtls_s_server_memory) {
    run_s_server(&(opts){0});
}

TEST(test_dtls_s_server_fd) {
    run_s_server(&(opts){.fd_mode = 1});
}

TEST(test_dtls_s_server_client_cert) {
    run_s_server(&(opts){.client_cert = 1});
}

TEST(test_dtls_s_server_psk) {
    run_s_server(&(opts){.psk = 1});
}

TEST(test_dtls_s_server_srtp) {
    run_s_server(&(opts){.srtp = 1, .fd_mode = 1});
}

TEST(test_dtls_s_server_mtu512) {
    run_s_server(&(opts){.mtu = 512, .client_cert = 1});
}

/* The first ClientHello is lost: the timer, driven by the link, resends it. */
TEST(test_dtls_lost_first_flight_memory) {
    run_s_server(&(opts){.relay = 1});
}

TEST(test_dtls_lost_first_flight_fd) {
    run_s_server(&(opts){.relay = 1, .fd_mode = 1});
}

/* A session from a first connection, resumed in a second (s_server
   -naccept 2), in memory mode and then in fd mode. */
static void resumption_body(peer_link *l) {
    static unsigned char der[8192];
    size_t len;
    opts o = {0};
    CHECK(to_s_server(l, &o, NULL, 2) == 0);
    l->cfg = client_for(&o);
    CHECK(l->cfg != NULL);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK_INT(tlshs_resumed(l->hs), ==, 0);
    CHECK(exchange(l, 1) == 0);
    len = tlshs_session(l->hs, der, sizeof der);
    CHECK_INT(len, >, 0);
    CHECK_INT(len, <=, sizeof der);
    CHECK_RESULT(link_shutdown(l), TLSHS_CLOSED);
    link_hangup(l);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "\nDONE\n", peer_now() + peer_budget(l->phase)));

    l->fd_mode = 1;
    CHECK(link_connect(l, l->port) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_INT(tlshs_set_session(l->hs, der, len), ==, 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    CHECK_INT(tlshs_resumed(l->hs), ==, 1);
    CHECK_INT(trace_count(l->hs, 0, "Certificate"), ==, 0);
    link_rx_clear(l);
    CHECK(exchange(l, 2) == 0);
    CHECK_RESULT(link_shutdown(l), TLSHS_CLOSED);
}

TEST(test_dtls_s_server_resumption) {
    peer_link l;
    link_init_datagram(&l, 0);
    resumption_body(&l);
    link_close(&l);
}

/* ---- tlshs server vs openssl s_client ---- */

static tlshs_config *server_for(const opts *o) {
    tlshs_config *cfg = server_with("transport", "datagram", (char *)NULL);
    char mtu[16];
    snprintf(mtu, sizeof mtu, "%d", o->mtu);
    if (cfg && ((o->mtu && tlshs_config_set(cfg, "mtu", mtu) != 0) ||
                (o->lose_flight && tlshs_config_set(cfg, "retransmit_ms", "100") != 0) ||
                (o->srtp && tlshs_config_set(cfg, "use_srtp", SRTP_PROFILE) != 0) ||
                (o->client_cert && (tlshs_config_set(cfg, "verify", "require") ||
                                    tlshs_config_set(cfg, "ca_file", cert_path("ca.pem")))))) {
        check_fail(__FILE__, __LINE__, "%s", tlshs_config_error(cfg));
        tlshs_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* Our Certificate went out in fragments, each datagram within the mtu (the
   peer took them: the handshake is DONE). */
static void check_fragmented_certificate(peer_link *l, const opts *o) {
    long i = trace_index(l->hs, 1, "Certificate", 0);
    const tlshs_event *e = i >= 0 ? tlshs_trace_event(l->hs, (size_t)i) : NULL;
    CHECK(e != NULL);
    CHECK_INT(e->length, >, (size_t)o->mtu); /* more than one datagram holds */
    if (!o->fd_mode) {
        CHECK_INT(l->max_sent, <=, (size_t)o->mtu);
        CHECK_INT(l->sent_datagrams, >=, 3);
    }
}

static void s_client_body(peer_link *l, const opts *o, relay *r) {
    char portarg[64], want[256];
    CHECK(link_listen(l) == 0);
    if (o->relay) CHECK(relay_start(r, l->port, 0, o->lose_flight ? 2 : 0) == 0);
    snprintf(portarg, sizeof portarg, "127.0.0.1:%d", o->relay ? r->near_port : l->port);
    peer_argl(&l->args, "openssl", "s_client", "-dtls1_2", "-connect", portarg, "-servername",
              "localhost", "-CAfile", cert_path("ca.pem"), "-verify_hostname", "localhost",
              "-verify_return_error", (char *)NULL);
    /* -brief: the summary goes to stderr, stdout holds only what it reads; but
       the keying material is printed only without it */
    if (!o->srtp) peer_arg(&l->args, "-brief");
    if (o->client_cert)
        peer_argl(&l->args, "-cert", cert_path("client.pem"), "-key", cert_path("client.key"),
                  (char *)NULL);
    if (o->srtp)
        peer_argl(&l->args, "-use_srtp", SRTP_PROFILE, "-keymatexport", SRTP_LABEL,
                  "-keymatexportlen", "60", (char *)NULL);
    l->cfg = server_for(o);
    CHECK(l->cfg != NULL);
    CHECK(link_start(l) == 0);
    CHECK(link_accept(l) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, NULL)) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    check_outcome(l, o);
    if (check_current_failed) return;
    /* the stateless cookie: a HelloVerifyRequest, then the hello with it,
       each traced (in fd mode DTLSv1_listen may take both hellos in one
       call) */
    CHECK_INT(trace_count(l->hs, 0, "ClientHello"), >=, 2);
    CHECK_INT(trace_count(l->hs, 1, "HelloVerifyRequest"), >=, 1);
    if (o->client_cert) CHECK(peer_cert_is(l->hs, cert_path("client.pem")));
    if (o->mtu) check_fragmented_certificate(l, o);
    if (o->relay) { /* what the relay saw of ours (fd mode: the link cannot count) */
        CHECK_INT(r->count[1], >=, 3);
        if (o->mtu) CHECK_INT(r->max_len[1], <=, (size_t)o->mtu);
    }
    if (o->lose_flight) { /* our timer (retransmit_ms 100), not s_client's, resent it */
        CHECK_INT(r->dropped, ==, 1);
        CHECK_INT(l->timeouts, >=, 1);
        CHECK_INT(trace_count(l->hs, 1, "ServerHello"), >=, 2);
        CHECK_INT(trace_count(l->hs, 0, "ClientHello"), <=, 3);
    }
    if (o->srtp) check_srtp_keys(l);
    CHECK(exchange(l, 1) == 0);
    if (!o->srtp) {
        snprintf(want, sizeof want, "Protocol version: DTLSv1.2\nCiphersuite: %s\n",
                 tlshs_cipher(l->hs));
        CHECK(peer_wait_for(&l->peer, PEER_STDERR, want, peer_now() + peer_budget(1)));
        CHECK(peer_wait_for(&l->peer, PEER_STDERR, "Verification: OK\n",
                            peer_now() + peer_budget(1)));
    } else {
        CHECK(peer_wait_for(&l->peer, PEER_STDOUT,
                            "SRTP Extension negotiated, profile=" SRTP_PROFILE,
                            peer_now() + peer_budget(1)));
    }
    CHECK_RESULT(link_shutdown(l), TLSHS_CLOSED);
}

static void run_s_client(const opts *o) {
    peer_link l;
    relay r;
    memset(&r, 0, sizeof r);
    r.near = r.far = -1;
    link_init_datagram(&l, o->fd_mode);
    s_client_body(&l, o, &r);
    link_close(&l);
    relay_stop(&r);
}

TEST(test_dtls_s_client_memory) {
    run_s_client(&(opts){0});
}

TEST(test_dtls_s_client_fd) {
    run_s_client(&(opts){.fd_mode = 1});
}

TEST(test_dtls_s_client_client_cert) {
    run_s_client(&(opts){.client_cert = 1, .fd_mode = 1});
}

TEST(test_dtls_s_client_mtu512) {
    run_s_client(&(opts){.mtu = 512});
}

TEST(test_dtls_s_client_mtu512_fd) {
    run_s_client(&(opts){.mtu = 512, .fd_mode = 1, .relay = 1});
}

/* Our flight after the HelloVerifyRequest is lost: our timer resends it. */
TEST(test_dtls_s_client_lost_flight_memory) {
    run_s_client(&(opts){.relay = 1, .lose_flight = 1});
}

TEST(test_dtls_s_client_lost_flight_fd) {
    run_s_client(&(opts){.relay = 1, .lose_flight = 1, .fd_mode = 1});
}

/* tlshs_export_keying_material("EXTRACTOR-dtls_srtp", 60) is what s_client
   -keymatexport prints. */
TEST(test_dtls_s_client_srtp) {
    run_s_client(&(opts){.srtp = 1});
}

/* ---- GnuTLS: gnutls-serv --udp and gnutls-cli --udp ---- */

#define GNUTLS_DTLS12 "NORMAL:-VERS-ALL:+VERS-DTLS1.2"
#define GNUTLS_PHASE 10.0 /* they take a while to start */

/* GnuTLS's DTLS tools do not answer close_notify: our shutdown sends ours
   and is not waited for (one tlshs_shutdown, then what it queued is sent). */
static tlshs_result op_shutdown_once(peer_link *l, void *arg) {
    tlshs_result r = tlshs_shutdown(l->hs);
    (void)arg;
    return r == TLSHS_WANT_READ ? TLSHS_DONE : r;
}

static void close_notify_sent(peer_link *l) {
    CHECK_RESULT(link_drive(l, "shutdown", op_shutdown_once, NULL), TLSHS_DONE);
    CHECK_INT(trace_count(l->hs, 1, "warning:close_notify"), ==, 1);
}

/* Writes a line and reads it back from the echo server. */
static int echo(peer_link *l, const char *line) {
    return link_write(l, line, strlen(line)) == 0 && link_read_exact(l, line, strlen(line)) == 0;
}

/* tlshs client against gnutls-serv --udp --echo (PSK with --pskpasswd). */
static void gnutls_serv_body(peer_link *l, const opts *o) {
    static char big[PAYLOAD_LEN + 1];
    const char *extra[4] = {"--disable-client-cert", NULL, NULL, NULL};
    if (o->psk) {
        FILE *f = fopen(cert_path("dtls-psk.passwd"), "w");
        CHECK(f != NULL);
        fprintf(f, "Client_identity:%s\n", PSK_HEX);
        fclose(f);
        extra[1] = "--pskpasswd";
        extra[2] = cert_path("dtls-psk.passwd");
    }
    CHECK(link_to_gnutls_serv_udp(
              l, o->psk ? GNUTLS_DTLS12 ":-KX-ALL:+PSK:+ECDHE-PSK" : GNUTLS_DTLS12, extra) == 0);
    l->cfg = client_for(o);
    CHECK(l->cfg != NULL);
    CHECK(link_attach(l, tlshs_new(l->cfg, "localhost")) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    check_outcome(l, o);
    if (check_current_failed) return;
    if (!o->psk) CHECK(peer_cert_is(l->hs, cert_path("server.pem")));
    CHECK(echo(l, "hello over datagrams\n"));
    make_payload(big, sizeof big, 5);
    link_rx_clear(l);
    CHECK(echo(l, big));
    close_notify_sent(l);
}

static void run_gnutls_serv(const opts *o) {
    peer_link l;
    link_init_datagram(&l, o->fd_mode);
    l.phase = GNUTLS_PHASE;
    gnutls_serv_body(&l, o);
    link_close(&l);
}

TEST(test_dtls_gnutls_serv_memory) {
    run_gnutls_serv(&(opts){0});
}

TEST(test_dtls_gnutls_serv_fd) {
    run_gnutls_serv(&(opts){.fd_mode = 1});
}

TEST(test_dtls_gnutls_serv_psk) {
    run_gnutls_serv(&(opts){.psk = 1});
}

/* tlshs server against gnutls-cli --udp: a line each way. */
static void gnutls_cli_body(peer_link *l, const opts *o) {
    char port_s[16];
    CHECK(link_listen(l) == 0);
    snprintf(port_s, sizeof port_s, "%d", l->port);
    peer_argl(&l->args, "gnutls-cli", "--udp", "--x509cafile", cert_path("ca.pem"),
              "--sni-hostname", "localhost", "--verify-hostname", "localhost", "--priority",
              GNUTLS_DTLS12, "-p", port_s, "127.0.0.1", (char *)NULL);
    if (o->client_cert)
        peer_argl(&l->args, "--x509certfile", cert_path("client.pem"), "--x509keyfile",
                  cert_path("client.key"), (char *)NULL);
    l->cfg = server_for(o);
    CHECK(l->cfg != NULL);
    CHECK(link_start(l) == 0);
    CHECK(link_accept(l) == 0);
    CHECK(link_attach(l, tlshs_new(l->cfg, NULL)) == 0);
    CHECK_RESULT(link_handshake(l), TLSHS_DONE);
    check_outcome(l, o);
    if (check_current_failed) return;
    CHECK_STR(tlshs_server_name(l->hs), "localhost");
    if (o->client_cert) CHECK(peer_cert_is(l->hs, cert_path("client.pem")));
    CHECK_INT(peer_write(&l->peer, "hello from gnutls\n", 18, peer_now() + peer_budget(l->phase)),
              ==, 0);
    CHECK_INT(link_read_exact(l, "hello from gnutls\n", 18), ==, 0);
    CHECK_INT(link_write(l, "hello from tlshs\n", 17), ==, 0);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "hello from tlshs",
                        peer_now() + peer_budget(l->phase)));
    close_notify_sent(l);
    CHECK(peer_wait_for(&l->peer, PEER_STDOUT, "Peer has closed the GnuTLS connection",
                        peer_now() + peer_budget(l->phase)));
}

static void run_gnutls_cli(const opts *o) {
    peer_link l;
    link_init_datagram(&l, o->fd_mode);
    l.phase = GNUTLS_PHASE;
    gnutls_cli_body(&l, o);
    link_close(&l);
}

TEST(test_dtls_gnutls_cli_memory) {
    run_gnutls_cli(&(opts){0});
}

TEST(test_dtls_gnutls_cli_fd_client_cert) {
    run_gnutls_cli(&(opts){.fd_mode = 1, .client_cert = 1});
}

/* A tlshs server resumes: s_client saves the session of a first connection
   (-sess_out) and offers it in a second (-sess_in), to a second object of
   the same config, memory mode then fd mode. */
static int resumed_by_s_client(peer_link *l, tlshs_config *cfg, int second) {
    char portarg[64];
    const char *sess = cert_path("dtls-s_client.session");
    if (link_listen(l) != 0) return -1;
    snprintf(portarg, sizeof portarg, "127.0.0.1:%d", l->port);
    peer_argl(&l->args, "openssl", "s_client", "-dtls1_2", "-connect", portarg, "-servername",
              "localhost", "-CAfile", cert_path("ca.pem"), "-brief",
              second ? "-sess_in" : "-sess_out", sess, (char *)NULL);
    if (link_start(l) != 0 || link_accept(l) != 0 || link_attach(l, tlshs_new(cfg, NULL)) != 0)
        return -1;
    if (link_handshake(l) != TLSHS_DONE || tlshs_resumed(l->hs) != second) {
        check_fail(__FILE__, __LINE__, "handshake %d: %s, resumed %d", second + 1,
                   tlshs_result_name(tlshs_last_result(l->hs)), tlshs_resumed(l->hs));
        return -1;
    }
    if (second && trace_count(l->hs, 1, "Certificate") != 0) {
        check_fail(__FILE__, __LINE__, "a resumed handshake sent a Certificate");
        return -1;
    }
    if (exchange(l, 1 + second) != 0) return -1;
    return link_shutdown(l) == TLSHS_CLOSED ? 0 : -1;
}

TEST(test_dtls_s_client_resumption) {
    tlshs_config *cfg = server_with("transport", "datagram", (char *)NULL);
    for (int second = 0; second < 2 && cfg && !check_current_failed; second++) {
        peer_link l;
        link_init_datagram(&l, second);
        resumed_by_s_client(&l, cfg, second);
        link_close(&l);
    }
    CHECK(cfg != NULL);
    tlshs_config_free(cfg);
}
