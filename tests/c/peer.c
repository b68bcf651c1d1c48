/* The interop tests' peer processes and the driver of a tlshs object over a
   socket to one: see peer.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "peer.h"

/* Output kept per pipe; more is read and dropped so the child never blocks. */
#define PEER_BUF_MAX (4u << 20)

double peer_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double peer_budget(double seconds) {
    return tests_slow() ? seconds * 5 : seconds;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void peer_init(peer *p) {
    memset(p, 0, sizeof *p);
    p->in_fd = p->out_fd = p->err_fd = -1;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static int set_flags(int fd, int nonblock) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return -1;
    if (nonblock && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) return -1;
    return 0;
}

/* Starts a child with its stdin, stdout and stderr on pipes that runs fn
   (argc, argv) and exits with its answer, or (fn NULL) executes argv. */
static int start(peer *p, int (*fn)(int, char **), char *const argv[]) {
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    pid_t pid;
    peer_init(p);
    fflush(NULL); /* nothing of ours is written twice by a child that returns */
    if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) goto fail;
    /* Our ends: close-on-exec (no other child inherits them), non-blocking. */
    if (set_flags(in[1], 1) || set_flags(out[0], 1) || set_flags(err[0], 1)) goto fail;
    pid = fork();
    if (pid < 0) goto fail;
    if (pid == 0) {
        /* The child: only async-signal-safe calls until exec (or fn, for a
           child that runs a function of ours: see peer_start_fn). */
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(126);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        if (fn) {
            char *v[64];
            int argc = 0;
            while (argv[argc] && argc < 63) {
                v[argc] = argv[argc];
                argc++;
            }
            v[argc] = NULL;
            argc = fn(argc, v);
            fflush(NULL);
            _exit(argc);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->pid = (int)pid;
    p->in_fd = in[1];
    p->out_fd = out[0];
    p->err_fd = err[0];
    return 0;
fail:
    fprintf(stderr, "  peer_start %s: %s\n", argv[0], strerror(errno));
    for (int i = 0; i < 2; i++) {
        close_fd(&in[i]);
        close_fd(&out[i]);
        close_fd(&err[i]);
    }
    return -1;
}

int peer_start(peer *p, char *const argv[]) {
    return start(p, NULL, argv);
}

int peer_start_fn(peer *p, int (*fn)(int argc, char **argv), char *const argv[]) {
    return start(p, fn, argv);
}

static void buf_append(peer_buf *b, const char *data, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *d;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > PEER_BUF_MAX + 1) return;
        d = realloc(b->data, cap);
        if (!d) return;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Reads what fd holds now into b; closes fd at EOF or on an error. */
static void drain_fd(int *fd, peer_buf *b) {
    char chunk[8192];
    while (*fd >= 0) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            buf_append(b, chunk, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) close_fd(fd);
            return;
        }
    }
}

void peer_drain(peer *p) {
    drain_fd(&p->out_fd, &p->out);
    drain_fd(&p->err_fd, &p->err);
}

int peer_poll_fds(const peer *p, struct pollfd *fds) {
    int n = 0;
    if (p->out_fd >= 0) fds[n++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
    if (p->err_fd >= 0) fds[n++] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
    return n;
}

int peer_buf_has(const peer_buf *buf, const void *needle, size_t nlen) {
    if (nlen == 0) return 1;
    if (!buf->data || buf->len < nlen) return 0;
    for (size_t i = 0; i + nlen <= buf->len; i++)
        if (buf->data[i] == *(const char *)needle && memcmp(buf->data + i, needle, nlen) == 0)
            return 1;
    return 0;
}

int peer_ms_until(double deadline) {
    double left = deadline - peer_now();
    if (left <= 0) return 0;
    return left > 1.0 ? 1000 : (int)(left * 1000) + 1;
}

int peer_wait_for(peer *p, int which, const char *needle, double deadline) {
    const peer_buf *b = which == PEER_STDERR ? &p->err : &p->out;
    const int *fd = which == PEER_STDERR ? &p->err_fd : &p->out_fd;
    size_t nlen = strlen(needle);
    for (;;) {
        struct pollfd fds[2];
        int n;
        peer_drain(p);
        if (peer_buf_has(b, needle, nlen)) return 1;
        if (*fd < 0 || peer_now() >= deadline) return 0;
        n = peer_poll_fds(p, fds);
        if (poll(fds, (nfds_t)n, peer_ms_until(deadline)) < 0 && errno != EINTR) return 0;
    }
}

int peer_write(peer *p, const void *data, size_t len, double deadline) {
    const char *d = data;
    while (len > 0) {
        ssize_t n;
        if (p->in_fd < 0) return -1;
        n = write(p->in_fd, d, len);
        if (n > 0) {
            d += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
        if (peer_now() >= deadline) return -1;
        {
            /* Keep the child's output flowing while its stdin is full. */
            struct pollfd fds[3];
            int k = peer_poll_fds(p, fds);
            fds[k++] = (struct pollfd){.fd = p->in_fd, .events = POLLOUT};
            if (poll(fds, (nfds_t)k, peer_ms_until(deadline)) < 0 && errno != EINTR) return -1;
            peer_drain(p);
        }
    }
    return 0;
}

void peer_stop(peer *p) {
    if (p->pid > 0) {
        pid_t pid = (pid_t)p->pid;
        int status;
        double deadline = peer_now() + peer_budget(1.0);
        close_fd(&p->in_fd);
        kill(pid, SIGTERM);
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (peer_now() >= deadline) {
                kill(pid, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                }
                break;
            }
            peer_drain(p);
            sleep_ms(5);
        }
        p->pid = 0;
        peer_drain(p);
    }
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    free(p->out.data);
    free(p->err.data);
    p->out = p->err = (peer_buf){0};
}

static void dump_tail(const peer_buf *b, const char *label, const char *which) {
    size_t max = 1500, start;
    if (!b->data || b->len == 0) return;
    start = b->len > max ? b->len - max : 0;
    fprintf(stderr, "  --- %s %s%s:\n", label, which, start ? " (tail)" : "");
    fwrite(b->data + start, 1, b->len - start, stderr);
    if (b->data[b->len - 1] != '\n') fputc('\n', stderr);
}

void peer_dump(const peer *p, const char *label) {
    dump_tail(&p->out, label, "stdout");
    dump_tail(&p->err, label, "stderr");
}

/* ---- a child's command line ---- */

void peer_arg(peer_args *a, const char *s) {
    size_t n = strlen(s) + 1;
    if (a->argc + 1 >= (int)(sizeof a->argv / sizeof a->argv[0]) || a->used + n > sizeof a->pool) {
        check_fail(__FILE__, __LINE__, "peer_args full at %s", s);
        return;
    }
    memcpy(a->pool + a->used, s, n);
    a->argv[a->argc++] = a->pool + a->used;
    a->argv[a->argc] = NULL;
    a->used += n;
}

void peer_argl(peer_args *a, const char *s, ...) {
    va_list ap;
    va_start(ap, s);
    for (; s; s = va_arg(ap, const char *))
        peer_arg(a, s);
    va_end(ap);
}

static void args_print(const peer_args *a) {
    fprintf(stderr, "  peer command:");
    for (int i = 0; i < a->argc; i++)
        fprintf(stderr, " %s", a->argv[i]);
    fputc('\n', stderr);
}

/* ---- sockets on 127.0.0.1 ---- */

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

/* A socket bound to 127.0.0.1:0, listening if asked; *port gets the port. */
static int bound_local(int *port, int listening) {
    struct sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || (listening && listen(fd, 4) != 0) ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int sock_listen_local(int *port) {
    return bound_local(port, 1);
}

int sock_free_port(void) {
    int port = -1, fd = bound_local(&port, 0);
    if (fd < 0) return -1;
    close(fd);
    return port;
}

int udp_bind_local(int *port) {
    struct sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int udp_connect_local(int port) {
    struct sockaddr_in sa = loopback(port);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int udp_free_port(void) {
    int port = -1, fd = udp_bind_local(&port);
    if (fd < 0) return -1;
    close(fd);
    return port;
}

int sock_connect_local(int port, double deadline) {
    struct sockaddr_in sa = loopback(port);
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
        close(fd);
        if (peer_now() >= deadline) return -1;
        sleep_ms(20);
    }
}

void close_socket_gracefully(int fd, double seconds) {
    double deadline = peer_now() + seconds;
    char sink[4096];
    if (fd < 0) return;
    if (shutdown(fd, SHUT_WR) == 0) { /* our FIN follows our last record */
        for (;;) {
            struct pollfd p = {fd, POLLIN, 0};
            ssize_t n;
            if (peer_now() >= deadline || poll(&p, 1, peer_ms_until(deadline)) < 0) break;
            if (p.revents == 0) continue;
            n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                break; /* the peer's EOF (or its reset): nothing of ours is left to drop */
        }
    }
    close(fd);
}

/* ---- a tlshs object on a socket to a peer ---- */

/* TLSHS_TEST_TRACE=1 in the environment: the link says what it does. */
static void link_log(const peer_link *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void link_log(const peer_link *l, const char *fmt, ...) {
    static int on = -1;
    va_list ap;
    if (on < 0) {
        const char *s = getenv("TLSHS_TEST_TRACE");
        on = s && *s && *s != '0';
    }
    if (!on) return;
    fprintf(stderr, "  [link %s %s] ", l->fd_mode ? "fd" : "mem",
            l->hs ? tlshs_role_name(tlshs_get_role(l->hs)) : "-");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int is_final(tlshs_result r) {
    return r == TLSHS_DONE || r == TLSHS_CLOSED;
}

void link_init(peer_link *l, int fd_mode) {
    memset(l, 0, sizeof *l);
    peer_init(&l->peer);
    l->sock = l->listen_fd = -1;
    l->fd_mode = fd_mode;
    l->trace = 1;
    l->phase = 5.0;
    signal(SIGPIPE, SIG_IGN);
}

void link_init_datagram(peer_link *l, int fd_mode) {
    link_init(l, fd_mode);
    l->datagram = 1;
}

int link_start(peer_link *l) {
    if (check_current_failed) return -1; /* peer_arg failed */
    if (peer_start(&l->peer, l->args.argv) != 0) {
        check_fail(__FILE__, __LINE__, "cannot start %s", l->args.argv[0]);
        return -1;
    }
    return 0;
}

int link_connect(peer_link *l, int port) {
    l->sock = l->datagram ? udp_connect_local(port)
                          : sock_connect_local(port, peer_now() + peer_budget(l->phase));
    if (l->sock < 0) {
        check_fail(__FILE__, __LINE__, "cannot connect to 127.0.0.1:%d: %s", port, strerror(errno));
        return -1;
    }
    return 0;
}

int s_server_port(peer *p, double deadline) { /* see peer.h */
    static const char needle[] = "ACCEPT 127.0.0.1:";
    while (peer_wait_for(p, PEER_STDOUT, needle, deadline)) {
        const char *s = strstr(p->out.data, needle);
        char *end;
        long port;
        if (!s) return -1;
        port = strtol(s + sizeof needle - 1, &end, 10);
        if (*end == '\n' || *end == '\r') return port > 0 && port < 65536 ? (int)port : -1;
        if (peer_now() >= deadline) break;
        sleep_ms(10); /* the rest of the line */
    }
    return -1;
}

int link_to_s_server(peer_link *l) {
    int port;
    if (link_start(l) != 0) return -1;
    port = s_server_port(&l->peer, peer_now() + peer_budget(l->phase));
    if (port < 0) {
        check_fail(__FILE__, __LINE__, "s_server did not say which port it listens on");
        return -1;
    }
    l->port = port;
    return link_connect(l, port);
}

int link_to_gnutls_serv(peer_link *l, const char *priority, const char *const *extra) {
    char port[16];
    double wait = l->phase > 10 ? l->phase : 10; /* gnutls-serv takes a while to listen */
    l->port = sock_free_port();
    snprintf(port, sizeof port, "%d", l->port);
    peer_argl(&l->args, "gnutls-serv", "--echo", "-p", port, "--x509certfile",
              cert_path("server.pem"), "--x509keyfile", cert_path("server.key"), "--priority",
              priority, (char *)NULL);
    for (; extra && *extra; extra++)
        peer_arg(&l->args, *extra);
    if (l->port < 0 || link_start(l) != 0) return -1;
    l->sock = sock_connect_local(l->port, peer_now() + peer_budget(wait));
    if (l->sock < 0) {
        check_fail(__FILE__, __LINE__, "cannot connect to gnutls-serv on 127.0.0.1:%d", l->port);
        return -1;
    }
    return 0;
}

int link_to_gnutls_serv_udp(peer_link *l, const char *priority, const char *const *extra) {
    char port[16], ready[64];
    double wait = l->phase > 10 ? l->phase : 10; /* gnutls-serv takes a while to listen */
    l->port = udp_free_port();
    snprintf(port, sizeof port, "%d", l->port);
    snprintf(ready, sizeof ready, "IPv4 0.0.0.0 port %d...done", l->port);
    peer_argl(&l->args, "gnutls-serv", "--udp", "--echo", "-p", port, "--x509certfile",
              cert_path("server.pem"), "--x509keyfile", cert_path("server.key"), "--priority",
              priority, (char *)NULL);
    for (; extra && *extra; extra++)
        peer_arg(&l->args, *extra);
    if (l->port < 0 || link_start(l) != 0) return -1;
    if (!peer_wait_for(&l->peer, PEER_STDERR, ready, peer_now() + peer_budget(wait))) {
        check_fail(__FILE__, __LINE__, "gnutls-serv did not listen on UDP port %d", l->port);
        return -1;
    }
    return link_connect(l, l->port);
}

/* A datagram link's accept: the peer's first datagram names its address. */
static int udp_accept(peer_link *l) {
    double deadline = peer_now() + peer_budget(l->phase);
    for (;;) {
        struct pollfd fds[3];
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        char byte;
        int n = 1;
        fds[0] = (struct pollfd){.fd = l->sock, .events = POLLIN};
        n += peer_poll_fds(&l->peer, fds + 1);
        if (poll(fds, (nfds_t)n, peer_ms_until(deadline)) < 0 && errno != EINTR) break;
        peer_drain(&l->peer);
        if ((fds[0].revents & POLLIN) &&
            recvfrom(l->sock, &byte, 1, MSG_PEEK, (struct sockaddr *)&from, &len) >= 0)
            return connect(l->sock, (struct sockaddr *)&from, len) == 0 ? 0 : -1;
        if (peer_now() >= deadline) break;
        if (l->peer.out_fd < 0 && l->peer.err_fd < 0) break; /* the peer exited */
    }
    check_fail(__FILE__, __LINE__, "%s sent no datagram to 127.0.0.1:%d",
               l->args.argc ? l->args.argv[0] : "the peer", l->port);
    return -1;
}

int link_listen(peer_link *l) {
    if (l->datagram) {
        l->sock = udp_bind_local(&l->port);
        if (l->sock >= 0) return 0;
        check_fail(__FILE__, __LINE__, "cannot bind UDP on 127.0.0.1: %s", strerror(errno));
        return -1;
    }
    l->listen_fd = sock_listen_local(&l->port);
    if (l->listen_fd < 0) {
        check_fail(__FILE__, __LINE__, "cannot listen on 127.0.0.1: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int link_accept(peer_link *l) {
    double deadline = peer_now() + peer_budget(l->phase);
    if (l->datagram) return udp_accept(l);
    while (l->listen_fd >= 0) {
        struct pollfd fds[3];
        int n = 1;
        fds[0] = (struct pollfd){.fd = l->listen_fd, .events = POLLIN};
        n += peer_poll_fds(&l->peer, fds + 1);
        if (poll(fds, (nfds_t)n, peer_ms_until(deadline)) < 0 && errno != EINTR) break;
        peer_drain(&l->peer);
        if (fds[0].revents & POLLIN) {
            l->sock = accept(l->listen_fd, NULL, NULL);
            if (l->sock >= 0) {
                fcntl(l->sock, F_SETFD, FD_CLOEXEC);
                close(l->listen_fd);
                l->listen_fd = -1;
                return 0;
            }
        }
        if (peer_now() >= deadline) break;
        if (l->peer.out_fd < 0 && l->peer.err_fd < 0) break; /* the peer exited */
    }
    check_fail(__FILE__, __LINE__, "%s did not connect to 127.0.0.1:%d",
               l->args.argc ? l->args.argv[0] : "the peer", l->port);
    return -1;
}

int link_attach(peer_link *l, tlshs *hs) {
    l->hs = hs;
    if (!hs) {
        check_fail(__FILE__, __LINE__, "tlshs_new: \"%s\"", tlshs_config_error(l->cfg));
        return -1;
    }
    if (l->trace) tlshs_set_trace(hs, 1);
    if (l->fd_mode) {
        if (tlshs_set_fd(hs, l->sock) != 0) {
            check_fail(__FILE__, __LINE__, "set_fd: %s", tlshs_usage_error(hs));
            return -1;
        }
        return 0;
    }
    {
        int fl = fcntl(l->sock, F_GETFL);
        if (fl < 0 || fcntl(l->sock, F_SETFL, fl | O_NONBLOCK) != 0) {
            check_fail(__FILE__, __LINE__, "O_NONBLOCK: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Waits until the socket is ready for events or deadline, keeping the
   peer's output drained: 1 ready, 0 timed out, -1 poll failed (reported). */
static int wait_sock(peer_link *l, short events, double deadline, const char *what) {
    for (;;) {
        struct pollfd fds[3];
        int n = 1, rc;
        fds[0] = (struct pollfd){.fd = l->sock, .events = events};
        n += peer_poll_fds(&l->peer, fds + 1);
        rc = poll(fds, (nfds_t)n, peer_ms_until(deadline));
        peer_drain(&l->peer);
        if (rc < 0 && errno != EINTR) {
            check_fail(__FILE__, __LINE__, "%s: poll: %s", what, strerror(errno));
            return -1;
        }
        if (rc > 0 && fds[0].revents) return 1;
        if (peer_now() >= deadline) return 0;
    }
}

static void timed_out(const peer_link *l, const char *what, short events) {
    check_fail(__FILE__, __LINE__, "%s: timed out (%.0f s) waiting for the socket to be %s", what,
               peer_budget(l->phase), events == POLLOUT ? "writable" : "readable");
}

/* Memory mode, datagram link: sends each pending datagram whole. */
static int flush_datagrams(peer_link *l, double deadline, const char *what) {
    unsigned char buf[65536];
    size_t n;
    while ((n = tlshs_take(l->hs, buf, sizeof buf)) > 0) {
        link_log(l, "%s: send a datagram of %zu bytes", what, n);
        for (;;) {
            ssize_t w = send(l->sock, buf, n, MSG_NOSIGNAL);
            int rc;
            if (w == (ssize_t)n) break;
            if (w >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                           errno != ECONNREFUSED)) {
                check_fail(__FILE__, __LINE__, "%s: send: %s", what,
                           w >= 0 ? "datagram cut" : strerror(errno));
                return -1;
            }
            if (errno == ECONNREFUSED) continue; /* an earlier datagram found no one: resend */
            if ((rc = wait_sock(l, POLLOUT, deadline, what)) <= 0) {
                if (rc == 0) timed_out(l, what, POLLOUT);
                return -1;
            }
        }
        l->sent_datagrams++;
        if (n > l->max_sent) l->max_sent = n;
    }
    return 0;
}

/* Memory mode: sends everything tlshs has pending; 0, or -1 (reported). */
static int flush_out(peer_link *l, double deadline, const char *what) {
    unsigned char buf[16384];
    size_t n;
    if (l->datagram) return flush_datagrams(l, deadline, what);
    while ((n = tlshs_take(l->hs, buf, sizeof buf)) > 0) {
        size_t off = 0;
        link_log(l, "%s: send %zu bytes", what, n);
        while (off < n) {
            ssize_t w = send(l->sock, buf + off, n - off, MSG_NOSIGNAL);
            int rc;
            if (w > 0) {
                off += (size_t)w;
                continue;
            }
            if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                check_fail(__FILE__, __LINE__, "%s: send: %s", what, strerror(errno));
                return -1;
            }
            if ((rc = wait_sock(l, POLLOUT, deadline, what)) <= 0) {
                if (rc == 0) timed_out(l, what, POLLOUT);
                return -1;
            }
        }
    }
    return 0;
}

/* Memory mode, datagram link, WANT_READ: waits for one datagram and feeds
   it: 1 when fed, 0 on timeout, -1 on a failure (reported).  A refusal (an
   ICMP port unreachable for an earlier datagram) is not an end: UDP has
   none; the timer resends. */
static int recv_datagram(peer_link *l, double deadline, const char *what) {
    static unsigned char buf[65536];
    for (;;) {
        ssize_t n = recv(l->sock, buf, sizeof buf, 0);
        int rc;
        if (n > 0) {
            link_log(l, "%s: received a datagram of %zd bytes", what, n);
            if (l->on_recv) l->on_recv(l, buf, (size_t)n);
            if (tlshs_feed(l->hs, buf, (size_t)n) != 0) {
                check_fail(__FILE__, __LINE__, "%s: feed: %s", what, tlshs_usage_error(l->hs));
                return -1;
            }
            return 1;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ECONNREFUSED) {
            check_fail(__FILE__, __LINE__, "%s: recv: %s", what, strerror(errno));
            return -1;
        }
        if (n < 0 && errno == ECONNREFUSED) continue;
        if ((rc = wait_sock(l, POLLIN, deadline, what)) <= 0) return rc;
    }
}

/* Memory mode, WANT_READ: waits for bytes and feeds them (or the peer's
   EOF): 1 when fed, 0 on timeout, -1 on a failure (reported). */
static int recv_in(peer_link *l, double deadline, const char *what) {
    unsigned char buf[16384];
    if (l->eof_fed) {
        check_fail(__FILE__, __LINE__, "%s: WANT_READ after feed_eof", what);
        return -1;
    }
    if (l->datagram) return recv_datagram(l, deadline, what);
    for (;;) {
        ssize_t n = recv(l->sock, buf, sizeof buf, 0);
        int rc;
        if (n > 0) {
            link_log(l, "%s: received %zd bytes", what, n);
            if (l->on_recv) l->on_recv(l, buf, (size_t)n);
            if (tlshs_feed(l->hs, buf, (size_t)n) != 0) {
                check_fail(__FILE__, __LINE__, "%s: feed: %s", what, tlshs_usage_error(l->hs));
                return -1;
            }
            return 1;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            /* the peer's stream ended (a reset counts as an end too) */
            link_log(l, "%s: the peer's stream ended (%s)", what, n == 0 ? "EOF" : strerror(errno));
            l->eof_fed = 1;
            if (tlshs_feed_eof(l->hs) != 0) {
                check_fail(__FILE__, __LINE__, "%s: feed_eof: %s", what, tlshs_usage_error(l->hs));
                return -1;
            }
            return 1;
        }
        if ((rc = wait_sock(l, POLLIN, deadline, what)) <= 0) return rc;
    }
}

/* A datagram link's WANT_READ: sends what is pending (memory mode), then
   waits for the socket or a datagram, but not past the retransmission
   timer: when it is due, calls tlshs_on_timeout (and sends what that
   queued).  1 when it may go on, 0 on timeout, -1 on a failure. */
static int advance_datagram(peer_link *l, double deadline, const char *what) {
    long t = tlshs_timeout_ms(l->hs);
    double until = deadline;
    int rc;
    if (!l->fd_mode && flush_out(l, deadline, what) != 0) return -1;
    if (t >= 0 && peer_now() + (double)t / 1000 < deadline) until = peer_now() + (double)t / 1000;
    rc = l->fd_mode ? wait_sock(l, POLLIN, until, what) : recv_datagram(l, until, what);
    if (rc != 0 || until >= deadline) return rc;
    link_log(l, "%s: the timer is due: on_timeout: %s", what,
             tlshs_result_name(tlshs_on_timeout(l->hs)));
    l->timeouts++;
    if (!l->fd_mode && flush_out(l, deadline, what) != 0) return -1;
    return 1;
}

/* Does what a result that is not final asks until deadline: memory mode
   sends what is pending and, on WANT_READ, feeds what arrives; fd mode
   polls the socket.  1 when it may go on, 0 on timeout, -1 on a failure
   (reported). */
static int advance(peer_link *l, tlshs_result r, double deadline, const char *what) {
    if (r != TLSHS_WANT_READ && r != TLSHS_WANT_WRITE) {
        check_fail(__FILE__, __LINE__, "%s: unexpected result %s", what, tlshs_result_name(r));
        return -1;
    }
    if (l->datagram && r == TLSHS_WANT_READ) return advance_datagram(l, deadline, what);
    if (l->fd_mode) return wait_sock(l, r == TLSHS_WANT_WRITE ? POLLOUT : POLLIN, deadline, what);
    if (flush_out(l, deadline, what) != 0) return -1;
    return r == TLSHS_WANT_READ ? recv_in(l, deadline, what) : 1;
}

tlshs_result link_drive(peer_link *l, const char *what, link_op op, void *arg) {
    double deadline = peer_now() + peer_budget(l->phase);
    l->final_pending = 0;
    if (!l->hs) {
        check_fail(__FILE__, __LINE__, "%s: no tlshs object attached", what);
        return TLSHS_CLOSED;
    }
    for (;;) {
        tlshs_result r = op(l, arg);
        int rc;
        link_log(l, "%s: %s", what, tlshs_result_name(r));
        if (is_final(r)) {
            if (!l->fd_mode && (l->final_pending = tlshs_pending(l->hs)) > 0)
                flush_out(l, deadline, what); /* a move's DONE, a write's record */
            return r;
        }
        rc = advance(l, r, deadline, what);
        if (rc < 0) return r;
        if (rc == 0 || peer_now() >= deadline) {
            timed_out(l, what, r == TLSHS_WANT_WRITE ? POLLOUT : POLLIN);
            return r;
        }
    }
}

static tlshs_result op_step(peer_link *l, void *arg) {
    (void)arg;
    return tlshs_step(l->hs);
}

static tlshs_result op_shutdown(peer_link *l, void *arg) {
    (void)arg;
    return tlshs_shutdown(l->hs);
}

/* The handshake and the shutdown answer DONE or CLOSED with nothing left to
   send (memory mode rule 1). */
static tlshs_result final_rule(peer_link *l, const char *what, tlshs_result r) {
    if (l->final_pending > 0)
        check_fail(__FILE__, __LINE__, "%s: answered %s with %zu bytes still pending", what,
                   tlshs_result_name(r), l->final_pending);
    return r;
}

tlshs_result link_handshake(peer_link *l) {
    return final_rule(l, "handshake", link_drive(l, "handshake", op_step, NULL));
}

tlshs_result link_shutdown(peer_link *l) {
    return final_rule(l, "shutdown", link_drive(l, "shutdown", op_shutdown, NULL));
}

struct write_job {
    const void *data;
    size_t len;
};

static tlshs_result op_write(peer_link *l, void *arg) {
    struct write_job *w = arg;
    size_t n = 12345;
    tlshs_result r = tlshs_write(l->hs, w->data, w->len, &n);
    if ((r == TLSHS_DONE && n != w->len) || (r != TLSHS_DONE && n != 0)) {
        check_fail(__FILE__, __LINE__, "write: %s with %zu of %zu bytes", tlshs_result_name(r), n,
                   w->len);
        return TLSHS_CLOSED;
    }
    return r;
}

int link_write(peer_link *l, const void *data, size_t len) {
    struct write_job w = {data, len};
    tlshs_result r = link_drive(l, "write", op_write, &w);
    if (r == TLSHS_DONE) return 0;
    if (r == TLSHS_CLOSED && !check_current_failed)
        check_fail(__FILE__, __LINE__, "write: CLOSED: %s", tlshs_error(l->hs));
    return -1;
}

static void rx_append(peer_link *l, const void *data, size_t n) {
    if (l->rx_len + n + 1 > l->rx_cap) {
        size_t cap = (l->rx_len + n + 1) * 2;
        char *p = realloc(l->rx, cap);
        if (!p) return;
        l->rx = p;
        l->rx_cap = cap;
    }
    memcpy(l->rx + l->rx_len, data, n);
    l->rx_len += n;
    l->rx[l->rx_len] = '\0';
}

void link_rx_clear(peer_link *l) {
    l->rx_len = 0;
    if (l->rx) l->rx[0] = '\0';
}

tlshs_result link_read(peer_link *l, double seconds, int (*until)(peer_link *l, void *arg),
                       void *arg) {
    double deadline = peer_now() + peer_budget(seconds);
    tlshs_result r = TLSHS_WANT_READ;
    l->read_wrote = 0;
    if (!l->hs) {
        check_fail(__FILE__, __LINE__, "read: no tlshs object attached");
        return TLSHS_CLOSED;
    }
    for (;;) {
        char buf[4096];
        size_t n = 12345;
        int rc;
        r = tlshs_read(l->hs, buf, sizeof buf, &n);
        link_log(l, "read: %s, %zu bytes", tlshs_result_name(r), r == TLSHS_DONE ? n : 0);
        if ((r == TLSHS_DONE && (n == 0 || n > sizeof buf)) || (r != TLSHS_DONE && n != 0)) {
            check_fail(__FILE__, __LINE__, "read: %s with n = %zu", tlshs_result_name(r), n);
            return r;
        }
        if (r == TLSHS_DONE) rx_append(l, buf, n);
        if (r == TLSHS_WANT_WRITE) l->read_wrote = 1;
        /* what a read sent at once (a KeyUpdate asked for) goes out now */
        if (!l->fd_mode && tlshs_pending(l->hs) > 0 && flush_out(l, deadline, "read") != 0)
            return r;
        if (r == TLSHS_CLOSED) return r;
        if (r != TLSHS_WANT_WRITE && until && until(l, arg)) return r;
        if (peer_now() >= deadline) return r;
        if (r == TLSHS_DONE) continue;
        if ((rc = advance(l, r, deadline, "read")) <= 0) return r;
    }
}

static int have_bytes(peer_link *l, void *arg) {
    return l->rx_len >= *(size_t *)arg;
}

int link_read_exact(peer_link *l, const void *data, size_t len) {
    size_t start = l->rx_len, want = start + len;
    tlshs_result r = link_read(l, l->phase, have_bytes, &want);
    if (l->rx_len < want) {
        if (!check_current_failed)
            check_fail(__FILE__, __LINE__, "read: %s after %zu of %zu bytes: \"%s\"",
                       tlshs_result_name(r), l->rx_len - start, len, tlshs_error(l->hs));
        return -1;
    }
    if (l->rx_len != want || memcmp(l->rx + start, data, len) != 0) {
        check_fail(__FILE__, __LINE__, "read: %zu bytes that differ from the %zu sent",
                   l->rx_len - start, len);
        return -1;
    }
    return 0;
}

static int have_text(peer_link *l, void *arg) {
    return l->rx && strstr(l->rx, arg) != NULL;
}

int link_read_text(peer_link *l, const char *text) {
    union {
        const char *c;
        void *v;
    } u = {text};
    link_read(l, l->phase, have_text, u.v);
    return have_text(l, u.v);
}

void link_hangup(peer_link *l) {
    if (l->datagram && l->sock >= 0)
        close(l->sock); /* no stream to end: sent is sent */
    else
        close_socket_gracefully(l->sock, peer_budget(1.0));
    l->sock = -1;
    tlshs_free(l->hs);
    l->hs = NULL;
    l->eof_fed = 0;
    link_rx_clear(l);
}

void link_close(peer_link *l) {
    const char *label = l->args.argc > 1 && strcmp(l->args.argv[0], "openssl") == 0
                            ? l->args.argv[1]
                        : l->args.argc ? l->args.argv[0]
                                       : "peer";
    if (check_current_failed) {
        if (l->hs) {
            fprintf(stderr,
                    "  tlshs (%s mode): last %s, error \"%s\", usage \"%s\", alert sent %d, "
                    "received %d\n",
                    l->fd_mode ? "fd" : "memory", tlshs_result_name(tlshs_last_result(l->hs)),
                    tlshs_error(l->hs), tlshs_usage_error(l->hs), tlshs_alert_sent(l->hs),
                    tlshs_alert_received(l->hs));
            if (tlshs_trace_count(l->hs)) trace_print(l->hs);
        }
        if (l->args.argc) args_print(&l->args);
        peer_drain(&l->peer);
        peer_dump(&l->peer, label);
    }
    link_hangup(l); /* our last records reach the peer before it is stopped */
    peer_stop(&l->peer);
    tlshs_config_free(l->cfg);
    l->cfg = NULL;
    if (l->listen_fd >= 0) close(l->listen_fd);
    l->listen_fd = -1;
    free(l->rx);
    l->rx = NULL;
    l->rx_len = l->rx_cap = 0;
}
