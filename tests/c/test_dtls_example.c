/* test_dtls_example.c - examples/dtls_server.c, compiled in (its main is
   run in a child process), against two `openssl s_client -dtls1_2` at once:
   both handshakes through one unconnected socket, each client's first
   object freed after its HelloVerifyRequest, each line echoed to its own
   client only, both connections ended by close_notify, and the server
   exits by itself after them. */
#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_dtls_example.h"
#undef TEST_ENTRY

int dtls_server_main(int argc, char **argv);
#define main dtls_server_main
#include "../../examples/dtls_server.c"
#undef main

/* Starts s_client to 127.0.0.1:port. */
static int start_client(peer *c, peer_args *a, int port) {
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    peer_argl(a, "openssl", "s_client", "-dtls1_2", "-connect", target, "-CAfile",
              cert_path("ca.pem"), "-verify_hostname", "localhost", "-verify_return_error",
              "-brief", (char *)NULL);
    return check_current_failed ? -1 : peer_start(c, a->argv);
}

static int count(const peer_buf *b, const char *needle) {
    int n = 0;
    for (const char *s = b->data; s && (s = strstr(s, needle)) != NULL; s++)
        n++;
    return n;
}

static void example_body(peer *sv, peer cl[2], peer_args args[3]) {
    const char *lines[2] = {"1111111111111111\n", "2222222222222222\n"};
    double deadline = peer_now() + peer_budget(10);
    const char *at;
    int port;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", cert_path(""));
    peer_argl(&args[0], "dtls_server", dir, "0", "2", (char *)NULL);
    CHECK(peer_start_fn(sv, dtls_server_main, args[0].argv) == 0);
    CHECK(peer_wait_for(sv, PEER_STDOUT, "listening on 127.0.0.1:", deadline));
    CHECK(peer_wait_for(sv, PEER_STDOUT, "\n", deadline));
    at = strstr(sv->out.data, "127.0.0.1:");
    port = atoi(at + 10);
    CHECK_INT(port, >, 0);
    /* two clients at once */
    CHECK(start_client(&cl[0], &args[1], port) == 0);
    CHECK(start_client(&cl[1], &args[2], port) == 0);
    for (int i = 0; i < 2; i++)
        CHECK(peer_wait_for(&cl[i], PEER_STDERR, "Verification: OK", deadline));
    for (int i = 0; i < 2; i++)
        CHECK(peer_write(&cl[i], lines[i], strlen(lines[i]), deadline) == 0);
    for (int i = 0; i < 2; i++) {
        CHECK(peer_wait_for(&cl[i], PEER_STDOUT, lines[i], deadline));
        CHECK(!peer_buf_has(&cl[i].out, lines[!i], strlen(lines[!i])));
    }
    /* stdin's end: each s_client sends close_notify and exits */
    for (int i = 0; i < 2; i++) {
        close(cl[i].in_fd);
        cl[i].in_fd = -1;
    }
    CHECK(peer_wait_for(sv, PEER_STDOUT, "closed: done\n", deadline));
    while (count(&sv->out, "closed: done\n") < 2 && peer_now() < deadline) {
        struct pollfd fds[2];
        int n = peer_poll_fds(sv, fds);
        if (n == 0) break;
        poll(fds, (nfds_t)n, peer_ms_until(deadline));
        peer_drain(sv);
    }
    CHECK_INT(count(&sv->out, "closed: done\n"), ==, 2);
    CHECK_INT(count(&sv->out, "handshake done: DTLSv1.2"), ==, 2);
    CHECK_INT(count(&sv->out, "sent a HelloVerifyRequest; object freed"), ==, 2);
    /* it exits by itself after its two connections: its output ends */
    while ((sv->out_fd >= 0 || sv->err_fd >= 0) && peer_now() < deadline) {
        struct pollfd fds[2];
        int n = peer_poll_fds(sv, fds);
        poll(fds, (nfds_t)n, peer_ms_until(deadline));
        peer_drain(sv);
    }
    CHECK(sv->out_fd < 0);
}

TEST(test_dtls_example_server) {
    peer sv, cl[2];
    static peer_args args[3];
    memset(args, 0, sizeof args);
    peer_init(&sv);
    peer_init(&cl[0]);
    peer_init(&cl[1]);
    example_body(&sv, cl, args);
    if (check_current_failed) {
        peer_dump(&sv, "dtls_server");
        peer_dump(&cl[0], "s_client 1");
        peer_dump(&cl[1], "s_client 2");
    }
    peer_stop(&cl[0]);
    peer_stop(&cl[1]);
    peer_stop(&sv);
}
