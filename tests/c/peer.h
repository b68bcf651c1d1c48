/*
 * peer.h - the interop tests' other end and the one driver of a tlshs
 * object over a socket to it.
 *
 * A peer is a child process (an `openssl s_server` or `s_client`,
 * `gnutls-serv`, `gnutls-cli`): started with fork/execvp, its stdin, stdout
 * and stderr on pipes, its output collected as it comes, stopped (SIGTERM,
 * then SIGKILL) and reaped by peer_stop.
 *
 * A link is a tlshs object on a connected socket on 127.0.0.1 to a peer, in
 * memory mode (the link moves bytes with tlshs_take/feed/feed_eof, polling
 * the socket) or in fd mode (tlshs_set_fd; the link polls the socket as
 * WANT_READ or WANT_WRITE asks).  The link drives the handshake, data both
 * ways and the shutdown, keeps the peer's output drained while it waits, and
 * prints what both ends said when a test fails (link_close).  With
 * TLSHS_TEST_TRACE=1 in the environment it also says, on stderr, every
 * result it got and every byte count it moved.
 *
 * Times are seconds on the monotonic clock (peer_now).  Every wait is bounded
 * by a deadline; a phase (a handshake, a write, a read, a shutdown) may take
 * link.phase seconds, 5 times more under valgrind (peer_budget).
 *
 * A datagram link (link_init_datagram: DTLS over UDP) does the same with
 * whole datagrams (one tlshs_take is one send, one recv one tlshs_feed), and
 * drives the retransmission timer as an application does: a WANT_READ waits
 * at most tlshs_timeout_ms, and when the timer is due calls tlshs_on_timeout.
 */
#ifndef TLSHS_TEST_PEER_H
#define TLSHS_TEST_PEER_H

#include <poll.h>
#include <stddef.h>

#include "tlshs.h"

/* ---- a child process ---- */

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

/* Milliseconds from now to deadline for poll: 0 once past, at most 1000 (so
   a waiting loop comes round to drain the peer and look at the clock). */
int peer_ms_until(double deadline);

/* An empty, not running peer (safe to peer_stop). */
void peer_init(peer *p);

/* Starts argv[0] with argv; returns 0, or -1 (errno-style reason printed). */
int peer_start(peer *p, char *const argv[]);

/* The same with a function of this program as the child (fork, no exec):
   it runs fn(argc, argv) and exits with its answer; an example's main. */
int peer_start_fn(peer *p, int (*fn)(int argc, char **argv), char *const argv[]);

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

/* ---- a child's command line ---- */

/* argv for peer_start, its strings copied into pool. */
typedef struct peer_args {
    char pool[4096];
    size_t used;
    char *argv[48];
    int argc;
} peer_args;

/* Appends a copy of s (cert_path's buffers are reused); the test fails if
   there is no room. */
void peer_arg(peer_args *a, const char *s);

/* Appends each string of a NULL-terminated list. */
void peer_argl(peer_args *a, const char *s, ...) __attribute__((sentinel));

/* ---- sockets on 127.0.0.1 ---- */

/* A socket listening on 127.0.0.1 at a port the kernel picks (*port). */
int sock_listen_local(int *port);

/* A port free on 127.0.0.1 now (bound, then closed), for a peer that takes
   the port to listen on; -1 if none. */
int sock_free_port(void);

/* Connects to 127.0.0.1:port, retrying while refused until deadline; the
   socket, or -1. */
int sock_connect_local(int port, double deadline);

/* A UDP socket bound to 127.0.0.1 at a port the kernel picks (*port). */
int udp_bind_local(int *port);

/* A UDP socket connected to 127.0.0.1:port (bound to a port the kernel
   picks); -1 on failure. */
int udp_connect_local(int port);

/* A UDP port free on 127.0.0.1 now (bound, then closed); -1 if none. */
int udp_free_port(void);

/* Closes a connected socket so that the last bytes sent (a TLS alert,
   close_notify, tickets) reach the peer: shuts down the write side, reads
   and drops what the peer still sends until its EOF or `seconds` pass, then
   closes.  A plain close() while the peer's unread bytes wait in the
   receive queue makes Linux send a reset, which can drop what we queued. */
void close_socket_gracefully(int fd, double seconds);

/* ---- a tlshs object on a socket to a peer ---- */

typedef struct peer_link peer_link;

/* What the link calls for every chunk of bytes received in memory mode,
   before tlshs sees it (a test that measures records). */
typedef void (*link_recv_fn)(peer_link *l, const unsigned char *p, size_t n);

struct peer_link {
    peer peer;            /* the other end */
    peer_args args;       /* its command line */
    tlshs_config *cfg;    /* freed by link_close if set */
    tlshs *hs;            /* attached by link_attach, freed by link_close */
    int sock;             /* the connected socket, -1 before */
    int listen_fd;        /* link_listen's socket, -1 once accepted */
    int port;             /* link_listen's port, or the one link_to_s_server connected to */
    int fd_mode;          /* tlshs_set_fd on the socket; else memory mode */
    int trace;            /* link_attach turns tlshs's trace on (link_close prints it) */
    int eof_fed;          /* memory mode: the peer's stream ended, feed_eof called */
    int read_wrote;       /* a read of the last link_read answered WANT_WRITE */
    size_t final_pending; /* memory mode: bytes pending when link_drive's op answered
                             DONE or CLOSED (then sent) */
    double phase;         /* seconds one phase may take (before peer_budget) */
    link_recv_fn on_recv;
    void *user;              /* for on_recv and the test */
    int datagram;            /* a UDP socket: memory mode moves whole datagrams, and a
                                WANT_READ waits at most until the retransmission timer
                                is due, then calls tlshs_on_timeout */
    size_t max_sent;         /* datagram, memory mode: the largest datagram sent */
    unsigned sent_datagrams; /* datagram, memory mode: how many were sent */
    unsigned timeouts;       /* datagram: how many times the link called tlshs_on_timeout */
    char *rx;                /* application data read by link_read, NUL-terminated */
    size_t rx_len, rx_cap;
};

/* An idle link: memory mode unless fd_mode, trace on, 5-second phases. */
void link_init(peer_link *l, int fd_mode);

/* An idle datagram link (UDP sockets; l->datagram set). */
void link_init_datagram(peer_link *l, int fd_mode);

/* Starts the peer from l->args; 0, or -1 (the test fails). */
int link_start(peer_link *l);

/* Connects the socket to the peer listening on 127.0.0.1:port (a datagram
   link: a UDP socket connected there); 0 or -1. */
int link_connect(peer_link *l, int port);

/* The port an `openssl s_server -accept 127.0.0.1:0` listens on, from the
   "ACCEPT 127.0.0.1:PORT" line it prints then (waited for until deadline,
   the whole line); -1 if it did not say. */
int s_server_port(peer *p, double deadline);

/* Starts l->args, an `openssl s_server -accept 127.0.0.1:0`, reads the port
   it prints (l->port: link_connect there again for its next -naccept) and
   connects to it; 0 or -1 (the test fails). */
int link_to_s_server(peer_link *l);

/* Starts `gnutls-serv --echo` with the server certificate on a free port
   (l->port) with the priority string and the extra arguments (a
   NULL-terminated list, or NULL), and connects to it; 0 or -1 (the test
   fails). */
int link_to_gnutls_serv(peer_link *l, const char *priority, const char *const *extra);

/* Starts `gnutls-serv --udp --echo` with the server certificate on a free
   UDP port (l->port), the priority string and the extra arguments (a
   NULL-terminated list, or NULL); waits until it listens and connects a UDP
   socket to it; 0 or -1 (the test fails). */
int link_to_gnutls_serv_udp(peer_link *l, const char *priority, const char *const *extra);

/* Listens on 127.0.0.1 (l->port) for a peer started afterwards; 0 or -1.  A
   datagram link binds its UDP socket (l->sock) there instead. */
int link_listen(peer_link *l);

/* Accepts the peer's connection on link_listen's socket (then closed),
   bounded, failing early if the peer exits; 0 or -1 (the test fails).  A
   datagram link waits for the peer's first datagram and connects its socket
   to where it came from (the datagram stays queued for tlshs). */
int link_accept(peer_link *l);

/* Puts hs (now owned by the link) on the socket: fd mode, or a non-blocking
   socket for memory mode; 0, or -1 (the test fails, hs is freed by
   link_close all the same). */
int link_attach(peer_link *l, tlshs *hs);

/* One call on the link's tlshs object (tlshs_step, a move, ...). */
typedef tlshs_result (*link_op)(peer_link *l, void *arg);

/* Calls op until it answers DONE or CLOSED, moving bytes or polling the
   socket as each result asks, within one phase.  A final answer of tlshs's
   own must come with nothing left to send (memory mode rule 1).  A timeout,
   a socket error, WANT_READ after the peer's EOF: the test fails, named by
   what.  Returns the last result (WANT_* if it did not finish). */
tlshs_result link_drive(peer_link *l, const char *what, link_op op, void *arg);

/* link_drive with tlshs_step, and with tlshs_shutdown. */
tlshs_result link_handshake(peer_link *l);
tlshs_result link_shutdown(peer_link *l);

/* Writes all of data through tlshs onto the socket within a phase; 0, or -1
   (the test fails). */
int link_write(peer_link *l, const void *data, size_t len);

/* Reads through tlshs, appending the data to l->rx, until `until` holds
   (looked at after every read that does not owe a write), the connection
   closes, or `seconds` pass (scaled by peer_budget; not a failure: the
   caller judges).  until NULL: read for the whole time (to take in
   tickets).  Sets l->read_wrote if a read answered WANT_WRITE.  Returns the
   last result. */
tlshs_result link_read(peer_link *l, double seconds, int (*until)(peer_link *l, void *arg),
                       void *arg);

/* Reads until l->rx holds len bytes more than it had, which must be data;
   0, or -1 (the test fails: closed, timed out or other bytes). */
int link_read_exact(peer_link *l, const void *data, size_t len);

/* Reads until l->rx contains text; 1 if it came within a phase, else 0. */
int link_read_text(peer_link *l, const char *text);

/* Forgets the data read (l->rx empty). */
void link_rx_clear(peer_link *l);

/* Ends this connection but keeps the peer (it serves another): closes the
   socket gracefully (a datagram link's at once) and frees the tlshs object. */
void link_hangup(peer_link *l);

/* Releases everything: when the test has failed, first prints the tlshs
   object's state and trace, the peer's command line and its output; then
   closes the sockets, stops the peer, frees hs and cfg.  Safe twice. */
void link_close(peer_link *l);

#endif
