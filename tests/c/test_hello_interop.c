/* test_hello_interop.c - a tlshs server's look at the ClientHello, seen from
   a real client: `openssl s_client` on 127.0.0.1 against a tlshs server in
   fd mode whose hello callback picks the certificate by SNI or refuses. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "peer.h"

struct sni {
    tlshs_config *other; /* for "wrong.example" */
    int refuse;          /* the alert to refuse with, 0 to go on */
    int calls;
};

static int on_hello(tlshs *hs, const tlshs_hello *hello, void *arg) {
    struct sni *x = arg;
    x->calls++;
    if (x->refuse) return x->refuse;
    if (hello->server_name && strcmp(hello->server_name, "wrong.example") == 0)
        return tlshs_use_config(hs, x->other) == 0 ? 0 : 80;
    return 0;
}

/* Listens on 127.0.0.1 (a free port), starts s_client with extra options,
   accepts it, and drives a tlshs server over the socket until it is DONE or
   CLOSED; then lets s_client finish.  Answers the server's last result and
   leaves s_client's output in *p (stopped). */
static tlshs_result serve_s_client(struct sni *x, const char *name, peer *p, tlshs_config *sc) {
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    int lfd = socket(AF_INET, SOCK_STREAM, 0), fd = -1;
    char port[16], connect_to[64];
    tlshs *s = NULL;
    tlshs_result r = TLSHS_CLOSED;
    double deadline = peer_now() + peer_budget(10);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        check_fail(__FILE__, __LINE__, "listen: %s", strerror(errno));
        goto out;
    }
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    snprintf(connect_to, sizeof connect_to, "127.0.0.1:%s", port);
    {
        /* argv in writable storage, as execvp takes it */
        char args[12][512];
        char *argv[13];
        const char *words[] = {"openssl", "s_client", "-connect", connect_to, "-servername", name,
                               "-verify_hostname", name, "-CAfile", cert_path("ca.pem"),
                               "-verify_return_error", "-brief"};
        for (int i = 0; i < 12; i++) {
            snprintf(args[i], sizeof args[i], "%s", words[i]);
            argv[i] = args[i];
        }
        argv[12] = NULL;
        if (peer_start(p, argv) != 0) goto out;
    }
    {
        struct pollfd pl = {lfd, POLLIN, 0};
        if (poll(&pl, 1, 10000) != 1 || (fd = accept(lfd, NULL, NULL)) < 0) {
            check_fail(__FILE__, __LINE__, "s_client did not connect");
            goto out;
        }
    }
    s = tlshs_new(sc, NULL);
    if (!s || tlshs_set_fd(s, fd) != 0 || tlshs_set_hello_cb(s, on_hello, x) != 0) goto out;
    while (peer_now() < deadline) {
        struct pollfd fds[3] = {{fd, POLLIN, 0}};
        int n;
        r = tlshs_step(s);
        if (r == TLSHS_DONE || r == TLSHS_CLOSED) break;
        fds[0].events = r == TLSHS_WANT_WRITE ? POLLOUT : POLLIN;
        n = 1 + peer_poll_fds(p, fds + 1);
        poll(fds, (nfds_t)n, 200);
        peer_drain(p);
    }
    /* s_client prints its verdict, then waits on stdin: close it */
    peer_wait_for(p, PEER_STDERR, r == TLSHS_DONE ? "Verification" : "alert", deadline);
    peer_write(p, "", 0, deadline);
out:
    if (fd >= 0) close_socket_gracefully(fd, 1.0);
    if (lfd >= 0) close(lfd);
    peer_drain(p);
    tlshs_free(s);
    return r;
}

/* SNI picks the certificate, and s_client verifies the name it asked for
   against the certificate it got: wrongname.pem for wrong.example. */
TEST(test_hello_cb_sni_with_s_client) {
    struct sni x = {0};
    tlshs_config *sc = server_config();
    peer p;
    peer_init(&p);
    x.other = make_config(TLSHS_SERVER, "cert_file", cert_path("wrongname.pem"), "key_file",
                          cert_path("wrongname.key"), (char *)NULL);
    CHECK(sc && x.other);
    CHECK_RESULT(serve_s_client(&x, "wrong.example", &p, sc), TLSHS_DONE);
    CHECK_INT(x.calls, ==, 1);
    if (!peer_buf_has(&p.err, "Verification: OK", 16)) peer_dump(&p, "s_client");
    CHECK(peer_buf_has(&p.err, "Verification: OK", 16));
    peer_stop(&p);
    /* without the switch, s_client refuses the localhost certificate */
    x.calls = 0;
    tlshs_config_free(x.other);
    x.other = server_config();
    peer_init(&p);
    CHECK_RESULT(serve_s_client(&x, "wrong.example", &p, sc), TLSHS_CLOSED);
    CHECK(!peer_buf_has(&p.err, "Verification: OK", 16));
    peer_stop(&p);
    tlshs_config_free(x.other);
    tlshs_config_free(sc);
}

/* A refusal reaches s_client as the chosen alert (its "SSL alert number N"). */
TEST(test_hello_cb_refusal_reaches_s_client) {
    struct sni x = {0};
    tlshs_config *sc = server_config();
    peer p;
    peer_init(&p);
    x.refuse = 112; /* unrecognized_name */
    CHECK(sc);
    CHECK_RESULT(serve_s_client(&x, "localhost", &p, sc), TLSHS_CLOSED);
    CHECK_INT(x.calls, ==, 1);
    if (!peer_buf_has(&p.err, "SSL alert number 112", 20)) peer_dump(&p, "s_client");
    CHECK(peer_buf_has(&p.err, "SSL alert number 112", 20));
    peer_stop(&p);
    peer_init(&p);
    x.refuse = 40;
    CHECK_RESULT(serve_s_client(&x, "localhost", &p, sc), TLSHS_CLOSED);
    CHECK(peer_buf_has(&p.err, "SSL alert number 40\n", 20));
    peer_stop(&p);
    tlshs_config_free(sc);
}
