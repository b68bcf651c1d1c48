/* test_gnutls.c - tlshs against GnuTLS: its client against `gnutls-serv`,
   its server against `gnutls-cli`, both in fd mode on 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "peer.h"

/* execvp takes char *const argv[] but never writes the strings */
static char *arg(const char *s) {
    union {
        const char *c;
        char *m;
    } u;
    u.c = s;
    return u.m;
}

#define TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define TLS13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"

/* A socket bound to 127.0.0.1 on a port the kernel picks; *port gets it. */
static int bound_socket(int *port) {
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* Connects to 127.0.0.1:port, retrying until the server listens or deadline. */
static int connect_until(int port, double deadline) {
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (peer_now() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
        if (fd >= 0) close(fd);
        poll(NULL, 0, 20);
    }
    return -1;
}

/* Steps (read=0), reads (read=1) or writes (read=2) until DONE or CLOSED,
   polling the fd as the result asks; returns the last result. */
static tlshs_result drive(tlshs *hs, int fd, int op, void *buf, size_t len, size_t *n,
                          double deadline) {
    tlshs_result r = TLSHS_WANT_READ;
    while (peer_now() < deadline) {
        struct pollfd p = {fd, 0, 0};
        if (op == 0) r = tlshs_step(hs);
        else if (op == 1) r = tlshs_read(hs, buf, len, n);
        else r = tlshs_write(hs, buf, len, n);
        if (r == TLSHS_DONE || r == TLSHS_CLOSED) return r;
        p.events = r == TLSHS_WANT_WRITE ? POLLOUT : POLLIN;
        poll(&p, 1, 100);
    }
    return r;
}

struct gnutls_case {
    const char *priority;    /* GnuTLS's versions */
    const char *expect;      /* the version tlshs must report */
    int client_cert;         /* the server requires one, the client has one */
    const char *alpn;        /* offered by both, or NULL */
    const unsigned char *session; /* offered for resumption */
    size_t session_len;
};

/* tlshs client, fd mode, against gnutls-serv --echo. Leaves the client's
   session in sess (sess_cap bytes) when given. */
static void client_vs_gnutls_serv(const struct gnutls_case *t, unsigned char *sess,
                                  size_t *sess_len) {
    char port_s[16], alpn_arg[64] = "";
    char *argv[20];
    int argc = 0, port = 0, fd = -1, probe = bound_socket(&port);
    peer srv;
    tlshs_config *cfg = NULL;
    tlshs *hs = NULL;
    char buf[256];
    size_t n = 0, got = 0;
    double deadline;
    peer_init(&srv);
    CHECK(probe >= 0);
    close(probe);
    snprintf(port_s, sizeof port_s, "%d", port);
    argv[argc++] = arg("gnutls-serv");
    argv[argc++] = arg("--echo");
    argv[argc++] = arg("-p");
    argv[argc++] = port_s;
    argv[argc++] = arg("--x509certfile");
    argv[argc++] = arg(cert_path("server.pem"));
    argv[argc++] = arg("--x509keyfile");
    argv[argc++] = arg(cert_path("server.key"));
    argv[argc++] = arg("--priority");
    argv[argc++] = arg(t->priority);
    if (t->client_cert) {
        argv[argc++] = arg("--require-client-cert");
        argv[argc++] = arg("--x509cafile");
        argv[argc++] = arg(cert_path("ca.pem"));
    } else {
        argv[argc++] = arg("--disable-client-cert");
    }
    if (t->alpn) {
        snprintf(alpn_arg, sizeof alpn_arg, "--alpn=%s", t->alpn);
        argv[argc++] = alpn_arg;
    }
    argv[argc] = NULL;
    if (peer_start(&srv, argv) != 0) {
        check_fail(__FILE__, __LINE__, "cannot start gnutls-serv");
        return;
    }
    deadline = peer_now() + peer_budget(10);
    fd = connect_until(port, deadline);
    cfg = make_config(TLSHS_CLIENT, "ca_file", cert_path("ca.pem"), (char *)NULL);
    if (fd < 0 || !cfg) {
        check_fail(__FILE__, __LINE__, "no connection to gnutls-serv on port %d", port);
        goto out;
    }
    if (t->client_cert && (tlshs_config_set(cfg, "cert_file", cert_path("client.pem")) ||
                           tlshs_config_set(cfg, "key_file", cert_path("client.key")))) {
        check_fail(__FILE__, __LINE__, "%s", tlshs_config_error(cfg));
        goto out;
    }
    if (t->alpn) tlshs_config_set(cfg, "alpn", t->alpn);
    hs = tlshs_new(cfg, "localhost");
    if (!hs || tlshs_set_fd(hs, fd) != 0 ||
        (t->session && tlshs_set_session(hs, t->session, t->session_len) != 0)) {
        check_fail(__FILE__, __LINE__, "setup: %s", hs ? tlshs_usage_error(hs) : "tlshs_new");
        goto out;
    }
    if (drive(hs, fd, 0, NULL, 0, NULL, deadline) != TLSHS_DONE) {
        check_fail(__FILE__, __LINE__, "handshake with gnutls-serv: \"%s\"", tlshs_error(hs));
        peer_dump(&srv, "gnutls-serv");
        goto out;
    }
    if (strcmp(tlshs_version(hs), t->expect) != 0 || tlshs_verify_result(hs) != 0 ||
        (t->alpn && (!tlshs_alpn(hs) || strcmp(tlshs_alpn(hs), t->alpn) != 0)) ||
        tlshs_resumed(hs) != (t->session != NULL)) {
        check_fail(__FILE__, __LINE__, "outcome: %s, verify %ld, alpn %s, resumed %d",
                   tlshs_version(hs), tlshs_verify_result(hs),
                   tlshs_alpn(hs) ? tlshs_alpn(hs) : "-", tlshs_resumed(hs));
        goto out;
    }
    /* the echo server sends back what we write */
    if (drive(hs, fd, 2, arg("ping from tlshs\n"), 16, &n, deadline) != TLSHS_DONE || n != 16) {
        check_fail(__FILE__, __LINE__, "write: %s", tlshs_error(hs));
        goto out;
    }
    while (got < 16 && drive(hs, fd, 1, buf + got, sizeof buf - got, &n, deadline) == TLSHS_DONE)
        got += n;
    if (got != 16 || memcmp(buf, "ping from tlshs\n", 16) != 0) {
        check_fail(__FILE__, __LINE__, "echo: got %zu bytes: \"%s\"", got, tlshs_error(hs));
        goto out;
    }
    if (sess && sess_len) {
        /* TLS 1.3 tickets came before the echo; read drained them */
        *sess_len = tlshs_session(hs, sess, *sess_len);
        if (*sess_len == 0) check_fail(__FILE__, __LINE__, "no session to resume");
    }
out:
    tlshs_free(hs);
    tlshs_config_free(cfg);
    close_socket_gracefully(fd, peer_budget(1.0)); /* no reset before the server reads all */
    peer_stop(&srv);
}

/* tlshs server, fd mode, against gnutls-cli. */
static void server_vs_gnutls_cli(const char *priority, const char *expect) {
    char port_s[16];
    int port = 0, lfd = bound_socket(&port), fd = -1;
    peer cli;
    tlshs_config *cfg = NULL;
    tlshs *hs = NULL;
    char buf[256];
    size_t n = 0, got = 0;
    double deadline;
    char *argv[] = {arg("gnutls-cli"), arg("--x509cafile"), arg(cert_path("ca.pem")),
                    arg("--sni-hostname"), arg("localhost"), arg("--verify-hostname"),
                    arg("localhost"), arg("--priority"), arg(priority), arg("-p"),
                    port_s, arg("127.0.0.1"), NULL};
    peer_init(&cli);
    CHECK(lfd >= 0);
    snprintf(port_s, sizeof port_s, "%d", port);
    if (listen(lfd, 1) != 0 || peer_start(&cli, argv) != 0) {
        check_fail(__FILE__, __LINE__, "cannot listen or start gnutls-cli");
        goto out;
    }
    deadline = peer_now() + peer_budget(10);
    {
        struct pollfd p = {lfd, POLLIN, 0};
        if (poll(&p, 1, (int)(peer_budget(10) * 1000)) == 1) fd = accept(lfd, NULL, NULL);
    }
    cfg = server_config();
    if (fd < 0 || !cfg || !(hs = tlshs_new(cfg, NULL)) || tlshs_set_fd(hs, fd) != 0) {
        check_fail(__FILE__, __LINE__, "gnutls-cli did not connect");
        peer_dump(&cli, "gnutls-cli");
        goto out;
    }
    if (drive(hs, fd, 0, NULL, 0, NULL, deadline) != TLSHS_DONE) {
        check_fail(__FILE__, __LINE__, "handshake with gnutls-cli: \"%s\"", tlshs_error(hs));
        peer_dump(&cli, "gnutls-cli");
        goto out;
    }
    if (strcmp(tlshs_version(hs), expect) != 0 || !tlshs_server_name(hs) ||
        strcmp(tlshs_server_name(hs), "localhost") != 0) {
        check_fail(__FILE__, __LINE__, "outcome: %s, SNI %s", tlshs_version(hs),
                   tlshs_server_name(hs) ? tlshs_server_name(hs) : "(none)");
        goto out;
    }
    /* a line from gnutls-cli's stdin to us, and one from us to its stdout */
    if (peer_write(&cli, "hello from gnutls\n", 18, deadline) != 0) {
        check_fail(__FILE__, __LINE__, "cannot write to gnutls-cli");
        goto out;
    }
    while (got < 18 && drive(hs, fd, 1, buf + got, sizeof buf - got, &n, deadline) == TLSHS_DONE)
        got += n;
    if (got != 18 || memcmp(buf, "hello from gnutls\n", 18) != 0) {
        check_fail(__FILE__, __LINE__, "read from gnutls-cli: %zu bytes, \"%s\"", got, tlshs_error(hs));
        goto out;
    }
    if (drive(hs, fd, 2, arg("hello from tlshs\n"), 17, &n, deadline) != TLSHS_DONE ||
        !peer_wait_for(&cli, PEER_STDOUT, "hello from tlshs", deadline)) {
        check_fail(__FILE__, __LINE__, "gnutls-cli did not print our line");
        peer_dump(&cli, "gnutls-cli");
    }
out:
    tlshs_free(hs);
    tlshs_config_free(cfg);
    close_socket_gracefully(fd, peer_budget(1.0)); /* no reset before the client reads all */
    if (lfd >= 0) close(lfd);
    peer_stop(&cli);
}

TEST(test_gnutls_serv_tls13) {
    struct gnutls_case t = {TLS13, "TLSv1.3", 0, "h2", NULL, 0};
    client_vs_gnutls_serv(&t, NULL, NULL);
}

TEST(test_gnutls_serv_tls12) {
    struct gnutls_case t = {TLS12, "TLSv1.2", 0, "http/1.1", NULL, 0};
    client_vs_gnutls_serv(&t, NULL, NULL);
}

TEST(test_gnutls_serv_client_cert) {
    struct gnutls_case t = {TLS13, "TLSv1.3", 1, NULL, NULL, 0};
    client_vs_gnutls_serv(&t, NULL, NULL);
}

/* A session from one gnutls-serv process resumes only on that process (its
   ticket key), so the two handshakes share one server: TLS 1.2 with session
   IDs would need the same; gnutls-serv serves many connections in turn. */
TEST(test_gnutls_serv_resumption) {
    char port_s[16];
    int port = 0, probe = bound_socket(&port);
    peer srv;
    unsigned char sess[8192];
    size_t sess_len = 0;
    tlshs_config *cfg = NULL;
    double deadline;
    char *argv[] = {arg("gnutls-serv"), arg("--echo"), arg("-p"), port_s,
                    arg("--x509certfile"), arg(cert_path("server.pem")),
                    arg("--x509keyfile"), arg(cert_path("server.key")),
                    arg("--disable-client-cert"), arg("--priority"), arg(TLS13), NULL};
    peer_init(&srv);
    CHECK(probe >= 0);
    close(probe);
    snprintf(port_s, sizeof port_s, "%d", port);
    CHECK_INT(peer_start(&srv, argv), ==, 0);
    deadline = peer_now() + peer_budget(15);
    cfg = make_config(TLSHS_CLIENT, "ca_file", cert_path("ca.pem"), (char *)NULL);
    for (int round = 0; round < 2 && cfg; round++) {
        int fd = connect_until(port, deadline);
        tlshs *hs = fd >= 0 ? tlshs_new(cfg, "localhost") : NULL;
        char buf[64];
        size_t n = 0;
        if (!hs || tlshs_set_fd(hs, fd) != 0 ||
            (round == 1 && tlshs_set_session(hs, sess, sess_len) != 0)) {
            check_fail(__FILE__, __LINE__, "round %d setup: %s", round,
                       hs ? tlshs_usage_error(hs) : "no connection");
        } else if (drive(hs, fd, 0, NULL, 0, NULL, deadline) != TLSHS_DONE) {
            check_fail(__FILE__, __LINE__, "round %d: %s", round, tlshs_error(hs));
        } else if (round == 0) {
            /* the tickets arrive after the handshake: an echo round trip reads them */
            drive(hs, fd, 2, arg("x\n"), 2, &n, deadline);
            drive(hs, fd, 1, buf, sizeof buf, &n, deadline);
            sess_len = tlshs_session(hs, sess, sizeof sess);
            if (sess_len == 0) check_fail(__FILE__, __LINE__, "no session from gnutls-serv");
        } else if (!tlshs_resumed(hs)) {
            check_fail(__FILE__, __LINE__, "gnutls-serv did not resume the session");
        }
        tlshs_free(hs);
        close_socket_gracefully(fd, peer_budget(1.0)); /* no reset before the server reads all */
        if (check_current_failed) break;
    }
    tlshs_config_free(cfg);
    peer_stop(&srv);
}

TEST(test_gnutls_cli_tls13) {
    server_vs_gnutls_cli(TLS13, "TLSv1.3");
}

TEST(test_gnutls_cli_tls12) {
    server_vs_gnutls_cli(TLS12, "TLSv1.2");
}
