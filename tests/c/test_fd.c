/* test_fd.c - fd mode without a peer process: two tlshs objects on a
   socketpair, an EOF mid-handshake, what tlshs_set_fd refuses and why, and
   a pipe nobody reads (never SIGPIPE).  Against real peers: the interop
   files, on the link of peer.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Drives both ends over a socketpair, polling as each asks. */
TEST(test_fd_mode_socketpair) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    int sv[2] = {-1, -1};
    tlshs_result rc = TLSHS_WANT_WRITE, rs = TLSHS_WANT_READ;
    char buf[64];
    size_t n = 0;
    CHECK(p.c && p.s);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        check_fail(__FILE__, __LINE__, "socketpair: %s", strerror(errno));
        pair_free(&p);
        return;
    }
    if (tlshs_set_fd(p.c, sv[0]) || tlshs_set_fd(p.s, sv[1])) {
        check_fail(__FILE__, __LINE__, "set_fd: %s", tlshs_usage_error(p.c));
        goto out;
    }
    for (int i = 0; i < 200 && !(rc == TLSHS_DONE && rs == TLSHS_DONE); i++) {
        struct pollfd fds[2] = {{sv[0], rc == TLSHS_WANT_WRITE ? POLLOUT : POLLIN, 0},
                                {sv[1], rs == TLSHS_WANT_WRITE ? POLLOUT : POLLIN, 0}};
        if (rc != TLSHS_DONE) rc = tlshs_step(p.c);
        if (rs != TLSHS_DONE) rs = tlshs_step(p.s);
        if (rc == TLSHS_CLOSED || rs == TLSHS_CLOSED) break;
        poll(fds, 2, 100);
    }
    if (rc != TLSHS_DONE || rs != TLSHS_DONE) {
        check_fail(__FILE__, __LINE__, "fd handshake: %s / %s", tlshs_error(p.c), tlshs_error(p.s));
        goto out;
    }
    if (tlshs_pending(p.c) != 0 || tlshs_take(p.c, buf, sizeof buf) != 0 ||
        tlshs_feed(p.c, "x", 1) != -1 || tlshs_feed_eof(p.c) != -1 ||
        tlshs_set_fd(p.c, sv[0]) != -1)
        check_fail(__FILE__, __LINE__, "memory calls in fd mode must refuse");
    if (tlshs_write(p.c, "ping", 4, &n) != TLSHS_DONE || n != 4)
        check_fail(__FILE__, __LINE__, "write in fd mode");
    for (int i = 0; i < 100 && tlshs_read(p.s, buf, sizeof buf, &n) != TLSHS_DONE; i++) {
        struct pollfd fd = {sv[1], POLLIN, 0};
        poll(&fd, 1, 100);
    }
    if (n != 4 || memcmp(buf, "ping", 4) != 0) check_fail(__FILE__, __LINE__, "read in fd mode");
    /* the client takes in its tickets, then hangs up without close_notify */
    if (tlshs_read(p.c, buf, sizeof buf, &n) != TLSHS_WANT_READ)
        check_fail(__FILE__, __LINE__, "client read: %s", tlshs_error(p.c));
    close(sv[0]);
    sv[0] = -1;
    for (int i = 0; i < 100 && (rs = tlshs_read(p.s, buf, sizeof buf, &n)) == TLSHS_WANT_READ;
         i++) {
        struct pollfd fd = {sv[1], POLLIN, 0};
        poll(&fd, 1, 100);
    }
    if (rs != TLSHS_CLOSED || tlshs_error_code(p.s) != TLSHS_E_EOF)
        check_fail(__FILE__, __LINE__, "hang-up: %s \"%s\"", tlshs_result_name(rs),
                   tlshs_error(p.s));
out:
    pair_free(&p);
    if (sv[0] >= 0) close(sv[0]);
    close(sv[1]);
}

TEST(test_fd_mode_eof_mid_handshake) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    int sv[2];
    tlshs_result r = TLSHS_WANT_READ;
    CHECK(p.c && p.s);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    tlshs_set_fd(p.c, sv[0]);
    r = tlshs_step(p.c); /* ClientHello out */
    {
        char hello[4096]; /* the server reads it (no reset), then goes away */
        CHECK_INT(read(sv[1], hello, sizeof hello), >, 0);
    }
    close(sv[1]);
    for (int i = 0; i < 50 && r != TLSHS_CLOSED; i++)
        r = tlshs_step(p.c);
    close(sv[0]);
    /* as in memory mode: the same reason, and OpenSSL's decode_error tried */
    if (r != TLSHS_CLOSED || tlshs_error_code(p.c) != TLSHS_E_EOF ||
        strcmp(tlshs_error(p.c), "peer closed the connection during the handshake") ||
        tlshs_alert_sent(p.c) != 50)
        check_fail(__FILE__, __LINE__, "fd EOF: %s \"%s\" alert %d", tlshs_result_name(r),
                   tlshs_error(p.c), tlshs_alert_sent(p.c));
    pair_free(&p);
}

TEST(test_set_fd_refusals) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    CHECK(p.c && p.s);
    CHECK_INT(tlshs_set_fd(p.c, -1), ==, -1);
    CHECK_STR(tlshs_usage_error(p.c), "set_fd: -1 is not an open file descriptor");
    CHECK_INT(tlshs_set_fd(p.c, 987654), ==, -1);
    CHECK_INT(tlshs_set_fd(NULL, 0), ==, -1);
    tlshs_step(p.c);
    CHECK_INT(tlshs_set_fd(p.c, 0), ==, -1);
    CHECK_CONTAINS(tlshs_usage_error(p.c), "once the handshake has started");
    pair_free(&p);
}

/* ------------------------------------------------------- fd refusals */

TEST(test_set_fd_says_why) {
    struct pair p = pair_of(client_config(), server_config(), "localhost");
    struct sockaddr_in sa;
    int sv[2] = {-1, -1}, lfd = -1;
    CHECK(p.c && p.s);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        check_fail(__FILE__, __LINE__, "socketpair: %s", strerror(errno));
        goto out;
    }
    /* a second set_fd before any step */
    if (tlshs_set_fd(p.c, sv[0]) != 0 || tlshs_set_fd(p.c, sv[0]) != -1 ||
        tlshs_usage_code(p.c) != TLSHS_E_STATE || !strstr(tlshs_usage_error(p.c), "already in fd mode")) {
        check_fail(__FILE__, __LINE__, "second set_fd: \"%s\"", tlshs_usage_error(p.c));
        goto out;
    }
    /* a listening socket */
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 1) != 0) {
        check_fail(__FILE__, __LINE__, "listen: %s", strerror(errno));
        goto out;
    }
    if (tlshs_set_fd(p.s, lfd) != -1 || tlshs_usage_code(p.s) != TLSHS_E_ARGUMENT ||
        !strstr(tlshs_usage_error(p.s), "is a listening socket"))
        check_fail(__FILE__, __LINE__, "listening socket: \"%s\"", tlshs_usage_error(p.s));
    else if (tlshs_set_fd(p.s, sv[1]) != 0) /* nothing changed: a good fd is still taken */
        check_fail(__FILE__, __LINE__, "set_fd after a refusal: \"%s\"", tlshs_usage_error(p.s));
out:
    pair_free(&p);
    if (sv[0] >= 0) close(sv[0]), close(sv[1]);
    if (lfd >= 0) close(lfd);
}

/* In a child: a client whose fd is a pipe nobody reads.  Its first write
   fails with EPIPE; it must answer CLOSED, not die of SIGPIPE, leave the
   signal mask as it was and no SIGPIPE pending; and a SIGPIPE the program
   already had pending stays pending.  Returns the child's exit status. */
static int pipe_child(void) {
    tlshs_config *cfg = make_config(TLSHS_CLIENT, "verify", "none", (char *)NULL);
    tlshs *a = cfg ? tlshs_new(cfg, NULL) : NULL, *b = cfg ? tlshs_new(cfg, NULL) : NULL;
    int fds[2], bad = 0;
    sigset_t set, pending;
    signal(SIGPIPE, SIG_DFL);
    if (!a || !b || pipe(fds) != 0) return 10;
    close(fds[0]);
    if (tlshs_set_fd(a, fds[1]) != 0) return 11;
    if (tlshs_step(a) != TLSHS_CLOSED || tlshs_error_code(a) != TLSHS_E_SOCKET) bad |= 1;
    if (!strstr(tlshs_error(a), strerror(EPIPE))) bad |= 2; /* the errno, told */
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    sigpending(&pending);
    if (sigismember(&set, SIGPIPE) || sigismember(&pending, SIGPIPE)) bad |= 4;
    /* a SIGPIPE pending before the call is left to the program */
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    raise(SIGPIPE);
    if (tlshs_set_fd(b, fds[1]) != 0 || tlshs_step(b) != TLSHS_CLOSED) bad |= 8;
    sigpending(&pending);
    if (!sigismember(&pending, SIGPIPE)) bad |= 16;
    signal(SIGPIPE, SIG_IGN); /* discards it, so the child can exit */
    close(fds[1]);
    tlshs_free(a);
    tlshs_free(b);
    tlshs_config_free(cfg);
    return bad ? 20 + bad : 0;
}

TEST(test_pipe_fd_never_raises_sigpipe) {
    int status = 0;
    pid_t pid;
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) _exit(pipe_child());
    CHECK_INT(waitpid(pid, &status, 0), ==, pid);
    if (WIFSIGNALED(status))
        check_fail(__FILE__, __LINE__, "the child died of signal %d (%s)", WTERMSIG(status),
                   WTERMSIG(status) == SIGPIPE ? "SIGPIPE" : "?");
    else
        CHECK_INT(WEXITSTATUS(status), ==, 0);
}

