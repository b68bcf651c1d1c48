/*
 * peer.h - a child process (an `openssl s_server` or `s_client`) for the
 * interop tests: started with fork/execvp, its stdin, stdout and stderr on
 * pipes, its output collected as it comes, stopped (SIGTERM, then SIGKILL)
 * and reaped by peer_stop.
 *
 * Times are seconds on the monotonic clock (peer_now).  Every wait is bounded
 * by a deadline.
 */
#ifndef TLSHS_TEST_PEER_H
#define TLSHS_TEST_PEER_H

#include <poll.h>
#include <stddef.h>

/* Bytes collected from one of the child's output pipes, NUL-terminated. */
typedef struct peer_buf {
    char *data;
    size_t len, cap;
} peer_buf;

typedef struct peer {
    int pid;      /* 0: not running */
    int in_fd;    /* the child's stdin (we write), -1 once closed */
    int out_fd;   /* the child's stdout (we read), -1 at EOF */
    int err_fd;   /* the child's stderr (we read), -1 at EOF */
    peer_buf out; /* what it wrote to stdout */
    peer_buf err; /* what it wrote to stderr */
} peer;

/* Which output of the child. */
enum { PEER_STDOUT = 1, PEER_STDERR = 2 };

/* The monotonic clock, in seconds. */
double peer_now(void);

/* A time budget in seconds, multiplied by 5 under valgrind (tests_slow). */
double peer_budget(double seconds);

/* An empty, not running peer (safe to peer_stop). */
void peer_init(peer *p);

/* Starts argv[0] with argv; returns 0, or -1 (errno-style reason printed). */
int peer_start(peer *p, char *const argv[]);

/* Reads whatever the child's output pipes hold now, without waiting. */
void peer_drain(peer *p);

/* Adds the child's open output pipes to fds (room for 2) with POLLIN;
   returns how many were added.  After poll, call peer_drain. */
int peer_poll_fds(const peer *p, struct pollfd *fds);

/* Waits until the child's stdout or stderr (which) contains needle, or until
   deadline; returns 1 if it does, 0 if not (timeout, or the child closed it). */
int peer_wait_for(peer *p, int which, const char *needle, double deadline);

/* Writes all of data to the child's stdin, bounded by deadline; 0 or -1. */
int peer_write(peer *p, const void *data, size_t len, double deadline);

/* Whether buf holds needle (of length nlen) anywhere. */
int peer_buf_has(const peer_buf *buf, const void *needle, size_t nlen);

/* Stops the child (SIGTERM, then SIGKILL after a grace time), reaps it,
   closes the pipes and frees the buffers.  Safe on a peer never started and
   safe twice. */
void peer_stop(peer *p);

/* Prints the tail of the child's stdout and stderr to stderr (diagnostics). */
void peer_dump(const peer *p, const char *label);

#endif
