/* A child process for the interop tests: see peer.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int peer_start(peer *p, char *const argv[]) {
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    pid_t pid;
    peer_init(p);
    if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) goto fail;
    /* Our ends: close-on-exec (no other child inherits them), non-blocking. */
    if (set_flags(in[1], 1) || set_flags(out[0], 1) || set_flags(err[0], 1)) goto fail;
    pid = fork();
    if (pid < 0) goto fail;
    if (pid == 0) {
        /* The child: only async-signal-safe calls until exec. */
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(126);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
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

static int ms_until(double deadline) {
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
        if (poll(fds, (nfds_t)n, ms_until(deadline)) < 0 && errno != EINTR) return 0;
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
            if (poll(fds, (nfds_t)k, ms_until(deadline)) < 0 && errno != EINTR) return -1;
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
