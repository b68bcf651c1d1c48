/*
 * test_interop.c - tlshs against real OpenSSL peers on 127.0.0.1.
 *
 * tlshs as a client against an `openssl s_server` process, and as a server
 * against an `openssl s_client` process; in memory mode (the test owns the
 * socket and moves bytes with feed/take/feed_eof) and in fd mode (tlshs_set_fd
 * on the connected socket, the test waits with poll() on WANT_READ and
 * WANT_WRITE); TLS 1.2 and 1.3, RSA and ECDSA server certificates, with and
 * without a client certificate, ALPN, a HelloRetryRequest forced by the
 * groups offered, and failures (an unknown CA, a missing client certificate).
 *
 * After the handshake each test sends about 20 kB each way: through tlshs to
 * the peer's stdout, and into the peer's stdin back through tlshs.  Both
 * s_server and s_client echo what they read to stdout and send what they read
 * from stdin; the payloads are digits only, because both tools take a chunk
 * of stdin that starts with certain letters as a command.
 *
 * Every test runs its checks in an inner function and cleans up in the outer
 * one (CHECK returns early), so every child is killed and reaped, every
 * socket closed and every object freed whatever happens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"
#include "peer.h"

#define TEST_ENTRY(name) void name(void);
#include "list_interop.h"
#undef TEST_ENTRY

/* Seconds one phase (start, connect, handshake, transfer, shutdown) may take;
   5 times more under valgrind (peer_budget). */
#define PHASE_SECONDS 5.0

/* Bytes sent each way after the handshake. */
#define PAYLOAD_LEN 20000

/* What one test runs. */
typedef struct opts {
    int fd_mode;         /* fd mode, else memory mode */
    const char *version; /* "1.2" or "1.3" (the peer, or tlshs, is held to it) */
    int ecdsa;           /* server-ec.pem instead of server.pem */
    int client_cert;     /* the client presents client.pem; the server requires one */
    int alpn;            /* both offer ALPN */
    int hrr;             /* groups that force a HelloRetryRequest */
    int key_update;      /* the peer asks for a TLS 1.3 KeyUpdate after the data */
} opts;

/* A command line for the peer, its strings copied into pool. */
typedef struct argvec {
    char pool[4096];
    size_t used;
    char *argv[48];
    int argc;
} argvec;

/* Everything one test holds; conn_cleanup releases it all. */
typedef struct conn {
    const opts *o;
    tlshs_config *cfg;
    tlshs *hs;
    int sock;      /* the connected socket */
    int listen_fd; /* server tests: our listening socket */
    int eof_fed;   /* memory mode: feed_eof called */
    peer peer;
    argvec args;
    unsigned char *rx; /* application data read through tlshs */
    size_t rx_len, rx_cap;
} conn;

/* ---- small helpers ---- */

static void arg_add(argvec *a, const char *s) {
    size_t n = strlen(s) + 1;
    if (a->argc + 1 >= (int)(sizeof a->argv / sizeof a->argv[0]) || a->used + n > sizeof a->pool) {
        check_fail(__FILE__, __LINE__, "argvec full at %s", s);
        return;
    }
    memcpy(a->pool + a->used, s, n);
    a->argv[a->argc++] = a->pool + a->used;
    a->argv[a->argc] = NULL;
    a->used += n;
}

static void args_print(const argvec *a) {
    fprintf(stderr, "  peer command:");
    for (int i = 0; i < a->argc; i++)
        fprintf(stderr, " %s", a->argv[i]);
    fputc('\n', stderr);
}

static void conn_init(conn *c, const opts *o) {
    memset(c, 0, sizeof *c);
    c->o = o;
    c->sock = c->listen_fd = -1;
    peer_init(&c->peer);
    signal(SIGPIPE, SIG_IGN);
}

static void conn_cleanup(conn *c, const char *label) {
    if (check_current_failed) {
        if (c->hs)
            fprintf(stderr, "  tlshs: last %s, error \"%s\", alert sent %d, received %d\n",
                    tlshs_result_name(tlshs_last_result(c->hs)), tlshs_error(c->hs),
                    tlshs_alert_sent(c->hs), tlshs_alert_received(c->hs));
        if (c->args.argc) args_print(&c->args);
        peer_drain(&c->peer);
        peer_dump(&c->peer, label);
    }
    /* our last records reach the peer before it is stopped: no reset */
    close_socket_gracefully(c->sock, peer_budget(1.0));
    peer_stop(&c->peer);
    tlshs_free(c->hs);
    tlshs_config_free(c->cfg);
    if (c->listen_fd >= 0) close(c->listen_fd);
    free(c->rx);
    memset(c, 0, sizeof *c);
    c->sock = c->listen_fd = -1;
}

static int set_cloexec(int fd) {
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int ms_left(double deadline) {
    double left = deadline - peer_now();
    if (left <= 0) return 0;
    return left > 1.0 ? 1000 : (int)(left * 1000) + 1;
}

static int is_final(tlshs_result r) {
    return r == TLSHS_DONE || r == TLSHS_CLOSED;
}

/* Digits in lines of 64, ending with a newline: no chunk of it is an
   s_server/s_client command. */
static void make_payload(char *buf, size_t len, int seed) {
    for (size_t i = 0; i < len; i++)
        buf[i] = (i % 64 == 63) ? '\n' : (char)('0' + (int)((i * 7 + (size_t)seed) % 10));
    buf[len - 1] = '\n';
}

/* The DER of the first certificate in a PEM file; *der freed with OPENSSL_free. */
static int pem_cert_der(const char *path, unsigned char **der) {
    FILE *f = fopen(path, "r");
    X509 *x;
    int len;
    *der = NULL;
    if (!f) return -1;
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) return -1;
    len = i2d_X509(x, der);
    X509_free(x);
    return len;
}

/* Whether hs's peer certificate is exactly the one in the PEM file. */
static int peer_cert_is(const tlshs *hs, const char *pem) {
    unsigned char *want = NULL;
    size_t len = 0;
    const unsigned char *got = tlshs_peer_cert(hs, &len);
    int wlen = pem_cert_der(pem, &want);
    int same = got && wlen > 0 && len == (size_t)wlen && memcmp(got, want, len) == 0;
    if (!same)
        fprintf(stderr, "  peer cert: got %zu bytes%s, %s has %d\n", len, got ? "" : " (NULL)", pem,
                wlen);
    OPENSSL_free(want);
    return same;
}

/* ---- trace ---- */

/* How many trace events with this direction and name. */
static int trace_count(const tlshs *hs, int sent, const char *name) {
    int n = 0;
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e && e->sent == sent && e->name && strcmp(e->name, name) == 0) n++;
    }
    return n;
}

/* Index of the nth (0-based) event with this direction and name, or -1. */
static long trace_index(const tlshs *hs, int sent, const char *name, int nth) {
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e && e->sent == sent && e->name && strcmp(e->name, name) == 0 && nth-- == 0)
            return (long)i;
    }
    return -1;
}

static void trace_print(const tlshs *hs) {
    fprintf(stderr, "  trace (%zu events):", tlshs_trace_count(hs));
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e)
            fprintf(stderr, " %s%s(%zu)", e->sent ? ">" : "<", e->name ? e->name : "?", e->length);
    }
    fputc('\n', stderr);
}

/* ---- moving bytes ---- */

/* Waits until sock is ready for events (or deadline), keeping the peer's
   output drained.  0 when ready, -1 on timeout or a poll error. */
static int wait_sock(conn *c, short events, double deadline, const char *what) {
    for (;;) {
        struct pollfd fds[3];
        int n = 0, rc;
        fds[n++] = (struct pollfd){.fd = c->sock, .events = events};
        n += peer_poll_fds(&c->peer, fds + n);
        rc = poll(fds, (nfds_t)n, ms_left(deadline));
        peer_drain(&c->peer);
        if (rc < 0 && errno != EINTR) {
            check_fail(__FILE__, __LINE__, "%s: poll: %s", what, strerror(errno));
            return -1;
        }
        if (rc > 0 && fds[0].revents) return 0;
        if (peer_now() >= deadline) {
            check_fail(__FILE__, __LINE__, "%s: timed out waiting for the socket to be %s", what,
                       events == POLLOUT ? "writable" : "readable");
            return -1;
        }
    }
}

/* Memory mode: sends everything tlshs has pending. */
static int flush_out(conn *c, double deadline, const char *what) {
    unsigned char buf[16384];
    size_t n;
    while ((n = tlshs_take(c->hs, buf, sizeof buf)) > 0) {
        size_t off = 0;
        while (off < n) {
            ssize_t w = send(c->sock, buf + off, n - off, 0);
            if (w > 0) {
                off += (size_t)w;
            } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                if (wait_sock(c, POLLOUT, deadline, what) != 0) return -1;
            } else {
                check_fail(__FILE__, __LINE__, "%s: send: %s", what, strerror(errno));
                return -1;
            }
        }
    }
    return 0;
}

/* Memory mode: waits for bytes from the socket and feeds them (or the EOF). */
static int recv_in(conn *c, double deadline, const char *what) {
    unsigned char buf[16384];
    if (c->eof_fed) {
        check_fail(__FILE__, __LINE__, "%s: WANT_READ after feed_eof", what);
        return -1;
    }
    for (;;) {
        ssize_t n = recv(c->sock, buf, sizeof buf, 0);
        if (n > 0) {
            if (tlshs_feed(c->hs, buf, (size_t)n) != 0) {
                check_fail(__FILE__, __LINE__, "%s: feed: %s", what, tlshs_usage_error(c->hs));
                return -1;
            }
            return 0;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            /* The peer's stream ended (a reset counts as an end too). */
            c->eof_fed = 1;
            if (tlshs_feed_eof(c->hs) != 0) {
                check_fail(__FILE__, __LINE__, "%s: feed_eof: %s", what, tlshs_usage_error(c->hs));
                return -1;
            }
            return 0;
        }
        if (wait_sock(c, POLLIN, deadline, what) != 0) return -1;
    }
}

/* Does what a non-final result r asks: memory mode sends what is pending
   and, on WANT_READ, feeds what arrives; fd mode polls the socket. */
static int advance(conn *c, tlshs_result r, double deadline, const char *what) {
    if (c->o->fd_mode) {
        if (r == TLSHS_WANT_WRITE) return wait_sock(c, POLLOUT, deadline, what);
        if (r == TLSHS_WANT_READ) return wait_sock(c, POLLIN, deadline, what);
    } else {
        if (tlshs_pending(c->hs) > 0 && flush_out(c, deadline, what) != 0) return -1;
        if (r == TLSHS_WANT_READ) return recv_in(c, deadline, what);
        if (r == TLSHS_WANT_WRITE) return 0;
    }
    check_fail(__FILE__, __LINE__, "%s: unexpected result %s", what, tlshs_result_name(r));
    return -1;
}

/* Memory mode rule 1: a final answer comes with nothing left to send. */
static int final_rule_ok(conn *c, tlshs_result r, const char *what) {
    if (!c->o->fd_mode && is_final(r) && tlshs_pending(c->hs) > 0) {
        check_fail(__FILE__, __LINE__, "%s: answered %s with %zu bytes still pending", what,
                   tlshs_result_name(r), tlshs_pending(c->hs));
        return 0;
    }
    return 1;
}

/* Steps the handshake to DONE or CLOSED; returns the final result, or
   WANT_READ/WANT_WRITE if it timed out (the failure is then reported). */
static tlshs_result handshake(conn *c) {
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    for (int steps = 0;; steps++) {
        tlshs_result r = tlshs_step(c->hs);
        if (is_final(r)) {
            if (!final_rule_ok(c, r, "handshake")) return TLSHS_WANT_WRITE;
            if (r == TLSHS_CLOSED && !c->o->fd_mode && tlshs_step(c->hs) != TLSHS_CLOSED)
                check_fail(__FILE__, __LINE__, "CLOSED is not sticky");
            return r;
        }
        if (steps > 10000) {
            check_fail(__FILE__, __LINE__, "handshake: no end after %d steps", steps);
            return r;
        }
        if (advance(c, r, deadline, "handshake") != 0) return r;
    }
}

/* Writes all of data through tlshs and (memory mode) onto the socket. */
static int app_write(conn *c, const void *data, size_t len) {
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    for (;;) {
        size_t n = 12345;
        tlshs_result r = tlshs_write(c->hs, data, len, &n);
        if (r == TLSHS_DONE) {
            if (n != len) {
                check_fail(__FILE__, __LINE__, "write: DONE with %zu of %zu bytes", n, len);
                return -1;
            }
            break;
        }
        if (r == TLSHS_CLOSED) {
            check_fail(__FILE__, __LINE__, "write: CLOSED: %s", tlshs_error(c->hs));
            return -1;
        }
        if (n != 0) {
            check_fail(__FILE__, __LINE__, "write: %s with n = %zu", tlshs_result_name(r), n);
            return -1;
        }
        if (advance(c, r, deadline, "write") != 0) return -1;
    }
    return c->o->fd_mode ? 0 : flush_out(c, deadline, "write");
}

/* Reads through tlshs until len bytes arrived; they must equal want. */
static int app_read_exact(conn *c, const char *want, size_t len) {
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    unsigned char buf[4096];
    while (c->rx_len < len) {
        size_t n = 12345;
        tlshs_result r = tlshs_read(c->hs, buf, sizeof buf, &n);
        if (r == TLSHS_DONE) {
            if (n == 0 || n > sizeof buf) {
                check_fail(__FILE__, __LINE__, "read: DONE with n = %zu", n);
                return -1;
            }
            if (c->rx_len + n > c->rx_cap) {
                size_t cap = (c->rx_len + n) * 2;
                unsigned char *p = realloc(c->rx, cap);
                if (!p) return -1;
                c->rx = p;
                c->rx_cap = cap;
            }
            memcpy(c->rx + c->rx_len, buf, n);
            c->rx_len += n;
            continue;
        }
        if (r == TLSHS_CLOSED) {
            check_fail(__FILE__, __LINE__, "read: CLOSED after %zu of %zu bytes: %s", c->rx_len,
                       len, tlshs_error(c->hs));
            return -1;
        }
        if (n != 0) {
            check_fail(__FILE__, __LINE__, "read: %s with n = %zu", tlshs_result_name(r), n);
            return -1;
        }
        if (advance(c, r, deadline, "read") != 0) return -1;
    }
    if (c->rx_len != len || memcmp(c->rx, want, len) != 0) {
        check_fail(__FILE__, __LINE__, "read: %zu bytes that differ from the %zu sent", c->rx_len,
                   len);
        return -1;
    }
    return 0;
}

/* Sends our close_notify and waits for the peer's (or its EOF): CLOSED. */
static tlshs_result shutdown_conn(conn *c) {
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    for (;;) {
        tlshs_result r = tlshs_shutdown(c->hs);
        if (r == TLSHS_CLOSED || r == TLSHS_DONE) {
            final_rule_ok(c, r, "shutdown");
            return r;
        }
        if (advance(c, r, deadline, "shutdown") != 0) return r;
    }
}

/* Payloads both ways: tlshs -> the peer's stdout, the peer's stdin -> tlshs. */
static int exchange(conn *c) {
    static char to_peer[PAYLOAD_LEN], from_peer[PAYLOAD_LEN];
    double deadline;
    make_payload(to_peer, sizeof to_peer, 1);
    make_payload(from_peer, sizeof from_peer, 4);
    if (app_write(c, to_peer, sizeof to_peer) != 0) return -1;
    deadline = peer_now() + peer_budget(PHASE_SECONDS);
    for (;;) {
        peer_drain(&c->peer);
        if (peer_buf_has(&c->peer.out, to_peer, sizeof to_peer)) break;
        if (peer_now() >= deadline || c->peer.out_fd < 0) {
            check_fail(__FILE__, __LINE__, "the peer did not print the %zu bytes sent to it",
                       sizeof to_peer);
            return -1;
        }
        {
            struct pollfd fds[2];
            int n = peer_poll_fds(&c->peer, fds);
            poll(fds, (nfds_t)n, ms_left(deadline));
        }
    }
    if (peer_write(&c->peer, from_peer, sizeof from_peer,
                   peer_now() + peer_budget(PHASE_SECONDS)) != 0) {
        check_fail(__FILE__, __LINE__, "writing to the peer's stdin failed");
        return -1;
    }
    return app_read_exact(c, from_peer, sizeof from_peer);
}

/* Reads through tlshs (no data expected) until the trace holds a received
   message called name.  *wrote: whether a read answered WANT_WRITE. */
static int read_until_received(conn *c, const char *name, int *wrote) {
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    unsigned char buf[256];
    *wrote = 0;
    for (;;) {
        size_t n = 0;
        tlshs_result r = tlshs_read(c->hs, buf, sizeof buf, &n);
        if (r == TLSHS_DONE) {
            check_fail(__FILE__, __LINE__, "read: %zu bytes of data while waiting for %s", n, name);
            return -1;
        }
        if (r == TLSHS_CLOSED) {
            check_fail(__FILE__, __LINE__, "read: CLOSED while waiting for %s: %s", name,
                       tlshs_error(c->hs));
            return -1;
        }
        if (r == TLSHS_WANT_READ && trace_count(c->hs, 0, name) > 0) return 0;
        if (r == TLSHS_WANT_WRITE) *wrote = 1;
        if (advance(c, r, deadline, "read") != 0) return -1;
    }
}

/* The peer sends a KeyUpdate asking for ours ("K" on its stdin); tlshs then
   reads the peer's data under its new keys and answers with its own
   KeyUpdate before its next data, which the peer must read. */
static int key_update(conn *c) {
    char line_in[64], line_out[65]; /* line_out as a C string for peer_wait_for */
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    int wrote;
    make_payload(line_in, sizeof line_in, 2);
    make_payload(line_out, 64, 3);
    line_out[64] = '\0';
    /* alone on the line, or the peer does not take it as a command */
    if (peer_write(&c->peer, "K\n", 2, deadline) != 0) return -1;
    if (read_until_received(c, "KeyUpdate", &wrote) != 0) return -1;
    /* memory mode: the read that owes our KeyUpdate says so */
    if (!c->o->fd_mode && !wrote) {
        check_fail(__FILE__, __LINE__, "no read answered WANT_WRITE for the owed KeyUpdate");
        return -1;
    }
    if (peer_write(&c->peer, line_in, sizeof line_in, deadline) != 0) return -1;
    c->rx_len = 0;
    if (app_read_exact(c, line_in, sizeof line_in) != 0) return -1;
    if (app_write(c, line_out, 64) != 0) return -1;
    if (!peer_wait_for(&c->peer, PEER_STDOUT, line_out, peer_now() + peer_budget(PHASE_SECONDS))) {
        check_fail(__FILE__, __LINE__, "the peer did not print the line sent after KeyUpdate");
        return -1;
    }
    if (trace_count(c->hs, 1, "KeyUpdate") != 1 || trace_count(c->hs, 0, "KeyUpdate") != 1) {
        check_fail(__FILE__, __LINE__, "KeyUpdate sent %d, received %d; want 1 and 1",
                   trace_count(c->hs, 1, "KeyUpdate"), trace_count(c->hs, 0, "KeyUpdate"));
        trace_print(c->hs);
        return -1;
    }
    return 0;
}

/* ---- sockets ---- */

/* Connects to 127.0.0.1:port, retrying while refused until deadline. */
static int connect_local(int port, double deadline) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return -1;
        set_cloexec(fd);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
        close(fd);
        if (peer_now() >= deadline) return -1;
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
}

/* A socket listening on 127.0.0.1 at an ephemeral port (stored in *port). */
static int listen_local(int *port) {
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    set_cloexec(fd);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Accepts one connection on c->listen_fd, bounded by deadline. */
static int accept_local(conn *c, double deadline) {
    for (;;) {
        struct pollfd fds[3];
        int n = 0, fd;
        fds[n++] = (struct pollfd){.fd = c->listen_fd, .events = POLLIN};
        n += peer_poll_fds(&c->peer, fds + n);
        poll(fds, (nfds_t)n, ms_left(deadline));
        peer_drain(&c->peer);
        if (fds[0].revents & POLLIN) {
            fd = accept(c->listen_fd, NULL, NULL);
            if (fd >= 0) {
                set_cloexec(fd);
                return fd;
            }
        }
        if (peer_now() >= deadline) return -1;
        if (c->peer.out_fd < 0 && c->peer.err_fd < 0) return -1; /* the peer exited */
    }
}

/* s_server prints "ACCEPT 127.0.0.1:PORT" once it listens (-accept ...:0). */
static int server_port(peer *p, double deadline) {
    static const char needle[] = "ACCEPT 127.0.0.1:";
    while (peer_wait_for(p, PEER_STDOUT, needle, deadline)) {
        const char *s = strstr(p->out.data, needle);
        char *end;
        long port;
        if (!s) return -1;
        port = strtol(s + sizeof needle - 1, &end, 10);
        if (*end == '\n' || *end == '\r') return port > 0 && port < 65536 ? (int)port : -1;
        if (peer_now() >= deadline) break;
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL); /* the rest of the line */
    }
    return -1;
}

/* Starts the peer from c->args. */
static int start_peer(conn *c) {
    if (check_current_failed) return -1; /* arg_add failed */
    return peer_start(&c->peer, c->args.argv);
}

/* ---- the attaching of tlshs ---- */

static int attach(conn *c) {
    if (c->o->fd_mode) {
        if (tlshs_set_fd(c->hs, c->sock) != 0) {
            check_fail(__FILE__, __LINE__, "set_fd: %s", tlshs_usage_error(c->hs));
            return -1;
        }
        return 0;
    }
    return set_nonblock(c->sock);
}

static const char *server_cert(const opts *o) {
    return cert_path(o->ecdsa ? "server-ec.pem" : "server.pem");
}

static const char *server_key(const opts *o) {
    return cert_path(o->ecdsa ? "server-ec.key" : "server.key");
}

/* Checks the outcome common to both roles after DONE. */
static void check_outcome(conn *c) {
    const opts *o = c->o;
    const char *cipher = tlshs_cipher(c->hs);
    CHECK_STR(tlshs_version(c->hs), strcmp(o->version, "1.2") == 0 ? "TLSv1.2" : "TLSv1.3");
    CHECK(cipher && *cipher);
    if (strcmp(o->version, "1.3") == 0) {
        CHECK_INT(strncmp(cipher, "TLS_", 4), ==, 0);
    } else {
        /* a TLS 1.2 suite names the server key's type */
        CHECK_CONTAINS(cipher, o->ecdsa ? "ECDSA" : "RSA");
        if (!o->ecdsa) CHECK(strstr(cipher, "ECDSA") == NULL);
    }
    CHECK_INT(tlshs_verify_result(c->hs), ==, 0);
    CHECK_INT(tlshs_resumed(c->hs), ==, 0);
    CHECK_INT(tlshs_handshake_done(c->hs), ==, 1);
    CHECK_INT(tlshs_alert_sent(c->hs), ==, -1);
    CHECK_INT(tlshs_alert_received(c->hs), ==, -1);
    CHECK_STR(tlshs_error(c->hs), "");
    CHECK_STR(tlshs_server_name(c->hs), "localhost");
}

/* The trace of a handshake, seen from tlshs (client: we send ClientHello). */
static void check_trace(conn *c, int client) {
    const tlshs *hs = c->hs;
    int hellos = trace_count(hs, client, "ClientHello");
    int hrr = trace_count(hs, !client, "HelloRetryRequest");
    if (!c->o->hrr) {
        CHECK_INT(hellos, ==, 1);
        CHECK_INT(hrr, ==, 0);
        CHECK_INT(trace_count(hs, client ? 1 : 0, "HelloRetryRequest"), ==, 0);
    } else {
        /* the HRR went one way, a second ClientHello the other, in order */
        CHECK_INT(hrr, ==, 1);
        CHECK_INT(hellos, ==, 2);
        CHECK_INT(trace_index(hs, client, "ClientHello", 0), <,
                  trace_index(hs, !client, "HelloRetryRequest", 0));
        CHECK_INT(trace_index(hs, !client, "HelloRetryRequest", 0), <,
                  trace_index(hs, client, "ClientHello", 1));
    }
    CHECK_INT(trace_index(hs, client, "ClientHello", 0), ==, 0);
    CHECK_INT(trace_count(hs, !client, "ServerHello"), ==, 1);
    CHECK_INT(trace_count(hs, 1, "Finished"), ==, 1);
    CHECK_INT(trace_count(hs, 0, "Finished"), ==, 1);
    {
        const tlshs_event *e = tlshs_trace_event(hs, 0);
        CHECK(e != NULL);
        CHECK_STR(e->kind, "handshake");
        CHECK(e->length > 4);
    }
    CHECK(tlshs_trace_event(hs, tlshs_trace_count(hs)) == NULL);
}

/* ---- tlshs client vs openssl s_server ---- */

static void client_body(conn *c) {
    const opts *o = c->o;
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    tlshs_result r;
    int port;
    char want[256];

    arg_add(&c->args, "openssl");
    arg_add(&c->args, "s_server");
    arg_add(&c->args, "-accept");
    arg_add(&c->args, "127.0.0.1:0");
    arg_add(&c->args, "-naccept");
    arg_add(&c->args, "1");
    arg_add(&c->args, "-cert");
    arg_add(&c->args, server_cert(o));
    arg_add(&c->args, "-key");
    arg_add(&c->args, server_key(o));
    arg_add(&c->args, strcmp(o->version, "1.2") == 0 ? "-tls1_2" : "-tls1_3");
    if (o->client_cert) {
        arg_add(&c->args, "-Verify");
        arg_add(&c->args, "1");
        arg_add(&c->args, "-CAfile");
        arg_add(&c->args, cert_path("ca.pem"));
    }
    if (o->alpn) {
        arg_add(&c->args, "-alpn");
        arg_add(&c->args, "http/1.1");
    }
    if (o->hrr) {
        arg_add(&c->args, "-groups");
        arg_add(&c->args, "P-256");
    }
    CHECK(start_peer(c) == 0);
    port = server_port(&c->peer, deadline);
    CHECK(port > 0);
    c->sock = connect_local(port, deadline);
    CHECK(c->sock >= 0);

    c->cfg = client_config();
    CHECK(c->cfg != NULL);
    if (o->client_cert) {
        CHECK_INT(tlshs_config_set(c->cfg, "cert_file", cert_path("client.pem")), ==, 0);
        CHECK_INT(tlshs_config_set(c->cfg, "key_file", cert_path("client.key")), ==, 0);
    }
    if (o->alpn) CHECK_INT(tlshs_config_set(c->cfg, "alpn", "h2,http/1.1"), ==, 0);
    /* X25519 first: tlshs sends an X25519 key share, the server wants P-256 */
    if (o->hrr) CHECK_INT(tlshs_config_set(c->cfg, "groups", "X25519:P-256"), ==, 0);
    c->hs = tlshs_new(c->cfg, "localhost");
    CHECK(c->hs != NULL);
    CHECK_INT(tlshs_set_trace(c->hs, 1), ==, 0);
    CHECK(attach(c) == 0);

    r = handshake(c);
    CHECK_RESULT(r, TLSHS_DONE);
    check_outcome(c);
    if (check_current_failed) return;
    CHECK(peer_cert_is(c->hs, server_cert(o)));
    if (o->alpn)
        CHECK_STR(tlshs_alpn(c->hs), "http/1.1");
    else
        CHECK(tlshs_alpn(c->hs) == NULL);
    check_trace(c, 1);
    if (check_current_failed) {
        trace_print(c->hs);
        return;
    }

    CHECK(exchange(c) == 0);
    if (o->key_update) CHECK(key_update(c) == 0);

    /* what s_server saw (printed before the data it echoed) */
    snprintf(want, sizeof want, "CIPHER is %s", tlshs_cipher(c->hs));
    CHECK(peer_wait_for(&c->peer, PEER_STDOUT, want, peer_now() + peer_budget(1)));
    if (o->client_cert) {
        CHECK(peer_wait_for(&c->peer, PEER_STDOUT, "subject=CN = tlshs test client",
                            peer_now() + peer_budget(1)));
    } else {
        CHECK(!peer_buf_has(&c->peer.out, "Client certificate", 18));
    }
    if (o->alpn)
        CHECK(peer_wait_for(&c->peer, PEER_STDOUT, "ALPN protocols selected: http/1.1",
                            peer_now() + peer_budget(1)));

    r = shutdown_conn(c);
    CHECK_RESULT(r, TLSHS_CLOSED);
    /* s_server read our close_notify */
    CHECK(
        peer_wait_for(&c->peer, PEER_STDOUT, "\nDONE\n", peer_now() + peer_budget(PHASE_SECONDS)));
}

static void run_client(const opts *o) {
    conn c;
    conn_init(&c, o);
    client_body(&c);
    conn_cleanup(&c, "s_server");
}

/* ---- tlshs server vs openssl s_client ---- */

static void server_body(conn *c) {
    const opts *o = c->o;
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    tlshs_result r;
    int port = 0;
    char portarg[64], want[256];

    c->listen_fd = listen_local(&port);
    CHECK(c->listen_fd >= 0);
    snprintf(portarg, sizeof portarg, "127.0.0.1:%d", port);
    arg_add(&c->args, "openssl");
    arg_add(&c->args, "s_client");
    /* -brief: the summary goes to stderr, stdout holds only what it reads */
    arg_add(&c->args, "-brief");
    arg_add(&c->args, "-connect");
    arg_add(&c->args, portarg);
    arg_add(&c->args, "-servername");
    arg_add(&c->args, "localhost");
    arg_add(&c->args, "-verify_hostname");
    arg_add(&c->args, "localhost");
    arg_add(&c->args, "-CAfile");
    arg_add(&c->args, cert_path("ca.pem"));
    arg_add(&c->args, "-verify_return_error");
    if (o->client_cert) {
        arg_add(&c->args, "-cert");
        arg_add(&c->args, cert_path("client.pem"));
        arg_add(&c->args, "-key");
        arg_add(&c->args, cert_path("client.key"));
    }
    if (o->alpn) {
        arg_add(&c->args, "-alpn");
        arg_add(&c->args, "http/1.1,h2");
    }
    if (o->hrr) {
        arg_add(&c->args, "-groups");
        arg_add(&c->args, "X25519:P-256");
    }

    /* tlshs is held to the version here; s_client offers both */
    c->cfg = server_config();
    CHECK(c->cfg != NULL);
    if (o->ecdsa) {
        CHECK_INT(tlshs_config_set(c->cfg, "cert_file", server_cert(o)), ==, 0);
        CHECK_INT(tlshs_config_set(c->cfg, "key_file", server_key(o)), ==, 0);
    }
    CHECK_INT(tlshs_config_set(c->cfg, "min_version", o->version), ==, 0);
    CHECK_INT(tlshs_config_set(c->cfg, "max_version", o->version), ==, 0);
    if (o->client_cert) {
        CHECK_INT(tlshs_config_set(c->cfg, "verify", "require"), ==, 0);
        CHECK_INT(tlshs_config_set(c->cfg, "ca_file", cert_path("ca.pem")), ==, 0);
    }
    /* the server selects in its own order: h2 */
    if (o->alpn) CHECK_INT(tlshs_config_set(c->cfg, "alpn", "h2,http/1.1"), ==, 0);
    if (o->hrr) CHECK_INT(tlshs_config_set(c->cfg, "groups", "P-256"), ==, 0);

    CHECK(start_peer(c) == 0);
    c->sock = accept_local(c, deadline);
    CHECK(c->sock >= 0);
    close(c->listen_fd);
    c->listen_fd = -1;

    c->hs = tlshs_new(c->cfg, NULL);
    CHECK(c->hs != NULL);
    CHECK_INT(tlshs_set_trace(c->hs, 1), ==, 0);
    CHECK(attach(c) == 0);

    r = handshake(c);
    CHECK_RESULT(r, TLSHS_DONE);
    check_outcome(c);
    if (check_current_failed) return;
    if (o->client_cert) {
        CHECK(peer_cert_is(c->hs, cert_path("client.pem")));
    } else {
        size_t len = 99;
        CHECK(tlshs_peer_cert(c->hs, &len) == NULL);
        CHECK_INT(len, ==, 0);
    }
    if (o->alpn)
        CHECK_STR(tlshs_alpn(c->hs), "h2");
    else
        CHECK(tlshs_alpn(c->hs) == NULL);
    check_trace(c, 0);
    if (check_current_failed) {
        trace_print(c->hs);
        return;
    }

    CHECK(exchange(c) == 0);
    if (o->key_update) CHECK(key_update(c) == 0);

    /* what s_client saw (its -brief summary) */
    snprintf(want, sizeof want, "Protocol version: %s\nCiphersuite: %s\n", tlshs_version(c->hs),
             tlshs_cipher(c->hs));
    CHECK(peer_wait_for(&c->peer, PEER_STDERR, want, peer_now() + peer_budget(1)));
    CHECK(peer_wait_for(&c->peer, PEER_STDERR, "Verification: OK\n", peer_now() + peer_budget(1)));

    r = shutdown_conn(c);
    CHECK_RESULT(r, TLSHS_CLOSED);
}

static void run_server(const opts *o) {
    conn c;
    conn_init(&c, o);
    server_body(&c);
    conn_cleanup(&c, "s_client");
}

/* ---- failures against real peers ---- */

/* What a failure test expects. */
typedef struct failure {
    const char *peer_cert; /* s_server's certificate (client tests) or s_client's */
    const char *peer_key;
    int alert_sent;       /* by tlshs, or -1 */
    int alert_received;   /* by tlshs, or -1 */
    const char *error;    /* tlshs_error contains this */
    const char *peer_err; /* the peer's stderr shows this */
    int verify_failed;    /* tlshs_verify_result != 0 */
} failure;

/* Steps to CLOSED; checks the reason, the alerts and that the peer got ours. */
static void check_failure(conn *c, const failure *f, tlshs_result r) {
    if (r == TLSHS_DONE) {
        /* TLS 1.3 client: DONE before the server's verdict; the read sees it */
        unsigned char buf[256];
        double deadline = peer_now() + peer_budget(PHASE_SECONDS);
        for (;;) {
            size_t n = 0;
            r = tlshs_read(c->hs, buf, sizeof buf, &n);
            if (r == TLSHS_CLOSED || r == TLSHS_DONE) break;
            if (advance(c, r, deadline, "read after DONE") != 0) return;
        }
    }
    CHECK_RESULT(r, TLSHS_CLOSED);
    CHECK_CONTAINS(tlshs_error(c->hs), f->error);
    CHECK_INT(tlshs_alert_sent(c->hs), ==, f->alert_sent);
    CHECK_INT(tlshs_alert_received(c->hs), ==, f->alert_received);
    if (f->verify_failed) CHECK_INT(tlshs_verify_result(c->hs), !=, 0);
    /* sticky */
    CHECK_RESULT(tlshs_step(c->hs), TLSHS_CLOSED);
    CHECK_CONTAINS(tlshs_error(c->hs), f->error);
    if (!c->o->fd_mode) CHECK_INT(tlshs_pending(c->hs), ==, 0);
    if (f->alert_sent >= 0) {
        char name[64];
        snprintf(name, sizeof name, "fatal:%s", tlshs_alert_name(f->alert_sent));
        CHECK_INT(trace_count(c->hs, 1, name), ==, 1);
    }
    if (f->alert_received >= 0) {
        char name[64];
        snprintf(name, sizeof name, "fatal:%s", tlshs_alert_name(f->alert_received));
        CHECK_INT(trace_count(c->hs, 0, name), ==, 1);
    }
    /* the peer got our alert, or sent its own */
    CHECK(
        peer_wait_for(&c->peer, PEER_STDERR, f->peer_err, peer_now() + peer_budget(PHASE_SECONDS)));
}

static void client_failure_body(conn *c, const failure *f) {
    const opts *o = c->o;
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    int port;

    arg_add(&c->args, "openssl");
    arg_add(&c->args, "s_server");
    arg_add(&c->args, "-accept");
    arg_add(&c->args, "127.0.0.1:0");
    arg_add(&c->args, "-naccept");
    arg_add(&c->args, "1");
    arg_add(&c->args, "-cert");
    arg_add(&c->args, cert_path(f->peer_cert));
    arg_add(&c->args, "-key");
    arg_add(&c->args, cert_path(f->peer_key));
    arg_add(&c->args, strcmp(o->version, "1.2") == 0 ? "-tls1_2" : "-tls1_3");
    if (o->client_cert) {
        arg_add(&c->args, "-Verify");
        arg_add(&c->args, "1");
        arg_add(&c->args, "-CAfile");
        arg_add(&c->args, cert_path("ca.pem"));
    }
    CHECK(start_peer(c) == 0);
    port = server_port(&c->peer, deadline);
    CHECK(port > 0);
    c->sock = connect_local(port, deadline);
    CHECK(c->sock >= 0);

    c->cfg = client_config();
    CHECK(c->cfg != NULL);
    c->hs = tlshs_new(c->cfg, "localhost");
    CHECK(c->hs != NULL);
    CHECK_INT(tlshs_set_trace(c->hs, 1), ==, 0);
    CHECK(attach(c) == 0);
    check_failure(c, f, handshake(c));
}

static void run_client_failure(const opts *o, const failure *f) {
    conn c;
    conn_init(&c, o);
    client_failure_body(&c, f);
    conn_cleanup(&c, "s_server");
}

static void server_failure_body(conn *c, const failure *f) {
    const opts *o = c->o;
    double deadline = peer_now() + peer_budget(PHASE_SECONDS);
    int port = 0;
    char portarg[64];

    c->listen_fd = listen_local(&port);
    CHECK(c->listen_fd >= 0);
    snprintf(portarg, sizeof portarg, "127.0.0.1:%d", port);
    arg_add(&c->args, "openssl");
    arg_add(&c->args, "s_client");
    arg_add(&c->args, "-connect");
    arg_add(&c->args, portarg);
    arg_add(&c->args, "-servername");
    arg_add(&c->args, "localhost");
    arg_add(&c->args, "-CAfile");
    arg_add(&c->args, cert_path("ca.pem"));
    if (f->peer_cert) {
        arg_add(&c->args, "-cert");
        arg_add(&c->args, cert_path(f->peer_cert));
        arg_add(&c->args, "-key");
        arg_add(&c->args, cert_path(f->peer_key));
    }
    c->cfg = server_config();
    CHECK(c->cfg != NULL);
    CHECK_INT(tlshs_config_set(c->cfg, "min_version", o->version), ==, 0);
    CHECK_INT(tlshs_config_set(c->cfg, "max_version", o->version), ==, 0);
    CHECK_INT(tlshs_config_set(c->cfg, "verify", "require"), ==, 0);
    CHECK_INT(tlshs_config_set(c->cfg, "ca_file", cert_path("ca.pem")), ==, 0);

    CHECK(start_peer(c) == 0);
    c->sock = accept_local(c, deadline);
    CHECK(c->sock >= 0);
    close(c->listen_fd);
    c->listen_fd = -1;
    c->hs = tlshs_new(c->cfg, NULL);
    CHECK(c->hs != NULL);
    CHECK_INT(tlshs_set_trace(c->hs, 1), ==, 0);
    CHECK(attach(c) == 0);
    check_failure(c, f, handshake(c));
}

static void run_server_failure(const opts *o, const failure *f) {
    conn c;
    conn_init(&c, o);
    server_failure_body(&c, f);
    conn_cleanup(&c, "s_client");
}

/* ---- the tests ---- */

#define MEM 0
#define FD 1

/* tlshs client vs s_server */
void test_interop_client_mem_tls13_rsa(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3"});
}
void test_interop_client_mem_tls12_rsa(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.2"});
}
void test_interop_client_fd_tls13_rsa(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3"});
}
void test_interop_client_fd_tls12_rsa(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.2"});
}
void test_interop_client_mem_tls13_ecdsa(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .ecdsa = 1});
}
void test_interop_client_mem_tls12_ecdsa(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.2", .ecdsa = 1});
}
void test_interop_client_fd_tls13_ecdsa(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3", .ecdsa = 1});
}
void test_interop_client_fd_tls12_ecdsa(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.2", .ecdsa = 1});
}
void test_interop_client_mem_tls13_client_cert(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .client_cert = 1});
}
void test_interop_client_mem_tls12_client_cert(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.2", .client_cert = 1});
}
void test_interop_client_fd_tls13_client_cert(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3", .client_cert = 1, .ecdsa = 1});
}
void test_interop_client_fd_tls12_client_cert(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.2", .client_cert = 1});
}
void test_interop_client_mem_tls13_alpn(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .alpn = 1});
}
void test_interop_client_fd_tls12_alpn(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.2", .alpn = 1});
}
void test_interop_client_mem_hrr(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .hrr = 1});
}
void test_interop_client_fd_hrr(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3", .hrr = 1, .alpn = 1, .client_cert = 1});
}

void test_interop_client_mem_key_update(void) {
    run_client(&(opts){.fd_mode = MEM, .version = "1.3", .key_update = 1});
}
void test_interop_client_fd_key_update(void) {
    run_client(&(opts){.fd_mode = FD, .version = "1.3", .key_update = 1});
}

/* tlshs server vs s_client */
void test_interop_server_mem_tls13_rsa(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3"});
}
void test_interop_server_mem_tls12_rsa(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.2"});
}
void test_interop_server_fd_tls13_rsa(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3"});
}
void test_interop_server_fd_tls12_rsa(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.2"});
}
void test_interop_server_mem_tls13_ecdsa(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3", .ecdsa = 1});
}
void test_interop_server_mem_tls12_ecdsa(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.2", .ecdsa = 1});
}
void test_interop_server_fd_tls13_ecdsa(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .ecdsa = 1});
}
void test_interop_server_fd_tls12_ecdsa(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.2", .ecdsa = 1});
}
void test_interop_server_mem_tls13_client_cert(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3", .client_cert = 1});
}
void test_interop_server_mem_tls12_client_cert(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.2", .client_cert = 1, .ecdsa = 1});
}
void test_interop_server_fd_tls13_client_cert(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .client_cert = 1, .ecdsa = 1});
}
void test_interop_server_fd_tls12_client_cert(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.2", .client_cert = 1});
}
void test_interop_server_mem_tls12_alpn(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.2", .alpn = 1});
}
void test_interop_server_fd_tls13_alpn(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .alpn = 1});
}
void test_interop_server_mem_hrr(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3", .hrr = 1});
}
void test_interop_server_fd_hrr(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .hrr = 1, .alpn = 1, .client_cert = 1});
}
void test_interop_server_mem_key_update(void) {
    run_server(&(opts){.fd_mode = MEM, .version = "1.3", .key_update = 1});
}
void test_interop_server_fd_key_update(void) {
    run_server(&(opts){.fd_mode = FD, .version = "1.3", .key_update = 1});
}

/* Failures.  tlshs client vs a server whose CA it does not trust: it sends
   unknown_ca (48), says why, and s_server reads the alert. */
static const failure unknown_ca = {.peer_cert = "unknown.pem",
                                   .peer_key = "unknown.key",
                                   .alert_sent = 48,
                                   .alert_received = -1,
                                   .error = "certificate verify failed",
                                   .peer_err = "alert unknown ca",
                                   .verify_failed = 1};

void test_interop_client_mem_unknown_ca(void) {
    run_client_failure(&(opts){.fd_mode = MEM, .version = "1.3"}, &unknown_ca);
}
void test_interop_client_fd_unknown_ca(void) {
    run_client_failure(&(opts){.fd_mode = FD, .version = "1.3"}, &unknown_ca);
}
void test_interop_client_mem_tls12_unknown_ca(void) {
    run_client_failure(&(opts){.fd_mode = MEM, .version = "1.2"}, &unknown_ca);
}

/* tlshs client without a certificate vs s_server -Verify 1, TLS 1.2: the
   server answers handshake_failure (40) before tlshs is DONE. */
void test_interop_client_mem_tls12_cert_missing(void) {
    static const failure f = {.peer_cert = "server.pem",
                              .peer_key = "server.key",
                              .alert_sent = -1,
                              .alert_received = 40,
                              .error = "handshake_failure",
                              .peer_err = "peer did not return a certificate"};
    run_client_failure(&(opts){.fd_mode = MEM, .version = "1.2", .client_cert = 1}, &f);
}

/* tlshs server (verify require) vs an s_client with an untrusted client
   certificate: unknown_ca (48). */
void test_interop_server_mem_unknown_client_ca(void) {
    static const failure f = {.peer_cert = "unknown-client.pem",
                              .peer_key = "unknown-client.key",
                              .alert_sent = 48,
                              .alert_received = -1,
                              .error = "certificate verify failed",
                              .peer_err = "alert unknown ca",
                              .verify_failed = 1};
    run_server_failure(&(opts){.fd_mode = MEM, .version = "1.3"}, &f);
}

/* tlshs server (verify require), TLS 1.3, s_client sends no certificate:
   certificate_required (116). */
void test_interop_server_fd_cert_missing(void) {
    static const failure f = {.peer_cert = NULL,
                              .peer_key = NULL,
                              .alert_sent = 116,
                              .alert_received = -1,
                              .error = "certificate",
                              .peer_err = "alert certificate required"};
    run_server_failure(&(opts){.fd_mode = FD, .version = "1.3"}, &f);
}
