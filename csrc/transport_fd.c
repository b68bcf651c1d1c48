/* transport_fd.c - the fd transport: tlshs_set_fd and its BIO, a socket BIO
 * that never raises SIGPIPE.
 *
 * OpenSSL's own socket BIO write()s, so a peer that hung up kills a program
 * that has not ignored SIGPIPE when OpenSSL sends it an alert.  This one
 * send()s with MSG_NOSIGNAL and otherwise behaves like BIO_s_socket on a
 * non-blocking fd.  An fd that is not a socket (a pty, a FIFO opened for
 * reading and writing, a pipe) has no MSG_NOSIGNAL: there the write() runs
 * with SIGPIPE blocked in the calling thread, and the SIGPIPE it raised is
 * taken back with sigtimedwait before the mask is restored (the way libcurl
 * and git keep a library call from killing its caller).  Non-socket fds stay
 * usable and the socket path costs nothing more (the write is files.c's,
 * which the key log uses too).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "tlshs_internal.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

static BIO_METHOD *fd_method;
static CRYPTO_ONCE fd_method_once = CRYPTO_ONCE_STATIC_INIT;

static int fd_of(BIO *b) {
    return (int)(intptr_t)BIO_get_data(b);
}

static int retryable(int err) {
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == EINPROGRESS;
}

static int fd_write(BIO *b, const char *data, int len) {
    ssize_t n = send(fd_of(b), data, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = tlshs__write_nosigpipe(fd_of(b), data, (size_t)len);
    BIO_clear_retry_flags(b);
    if (n < 0 && retryable(errno)) BIO_set_retry_write(b);
    return (int)n;
}

static int fd_read(BIO *b, char *buf, int len) {
    ssize_t n = read(fd_of(b), buf, (size_t)len);
    BIO_clear_retry_flags(b);
    if (n < 0 && retryable(errno)) BIO_set_retry_read(b);
    if (n == 0) BIO_set_flags(b, BIO_FLAGS_IN_EOF); /* as BIO_s_socket: OpenSSL asks BIO_eof */
    return (int)n;
}

static int fd_puts(BIO *b, const char *s) {
    return fd_write(b, s, (int)strlen(s));
}

static long fd_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)num;
    switch (cmd) {
    case BIO_C_GET_FD:
        if (ptr) *(int *)ptr = fd_of(b);
        return fd_of(b);
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_EOF:
        return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    default:
        return 0;
    }
}

static int fd_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

static void make_method(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "tlshs fd");
    if (m && BIO_meth_set_write(m, fd_write) && BIO_meth_set_read(m, fd_read) &&
        BIO_meth_set_puts(m, fd_puts) && BIO_meth_set_ctrl(m, fd_ctrl) &&
        BIO_meth_set_create(m, fd_create)) {
        fd_method = m;
        return;
    }
    BIO_meth_free(m);
}

/* The method lives as long as the library: freed when it is unloaded (or
   the program ends), so a module loaded and unloaded leaks nothing. */
__attribute__((destructor)) static void free_method(void) {
    BIO_meth_free(fd_method);
    fd_method = NULL;
}

BIO *tlshs__fd_bio(int fd) {
    BIO *b;
    if (!CRYPTO_THREAD_run_once(&fd_method_once, make_method) || !fd_method) return NULL;
    b = BIO_new(fd_method);
    if (b) BIO_set_data(b, (void *)(intptr_t)fd);
    return b;
}

/* Whether fd is a socket that listens (SO_ACCEPTCONN); 0 for other fds. */
static int is_listening(int fd) {
    int on = 0;
    socklen_t len = sizeof on;
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/* The socket's type (SOCK_STREAM, SOCK_DGRAM), or -1 for other fds. */
static int socket_type(int fd) {
    int type = -1;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 ? type : -1;
}

/* Whether fd is connected; its peer's address then binds the cookie. */
static int connected_peer(tlshs *hs, int fd) {
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0) return 0;
    if (len > sizeof hs->dg->peer) len = sizeof hs->dg->peer;
    memcpy(hs->dg->peer, &peer, len);
    hs->dg->peer_len = len;
    return 1;
}

int tlshs_set_fd(tlshs *hs, int fd) { /* see tlshs.h */
    int flags, type;
    BIO *bio;
    if (!hs) return -1;
    tlshs__begin(hs);
    if (hs->fd_mode) {
        tlshs__usage(hs, TLSHS_E_STATE, "set_fd: already in fd mode (fd %d); the fd is set once",
                     fd_of(SSL_get_rbio(hs->ssl)));
        return -1;
    }
    if (hs->started) {
        tlshs__usage(hs, TLSHS_E_STATE, "set_fd: the transport is fixed once the handshake has started");
        return -1;
    }
    if (fd < 0 || (flags = fcntl(fd, F_GETFL)) < 0) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "set_fd: %d is not an open file descriptor", fd);
        return -1;
    }
    if (is_listening(fd)) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT,
                     "set_fd: %d is a listening socket; give a connected one (as accept() returns)", fd);
        return -1;
    }
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "set_fd: cannot make %d non-blocking: %s", fd, strerror(errno));
        return -1;
    }
    type = socket_type(fd);
    if (type == SOCK_DGRAM && !hs->dg) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "set_fd: %d is a UDP socket; a stream handshake needs a "
                                           "stream (set transport to datagram for DTLS)", fd);
        return -1;
    }
    if (hs->dg && (type != SOCK_DGRAM || !connected_peer(hs, fd))) {
        tlshs__usage(hs, TLSHS_E_ARGUMENT, "set_fd: a datagram handshake needs a connected UDP socket "
                                           "(connect(2) it to the peer)");
        return -1;
    }
    bio = hs->dg ? tlshs__dgram_bio(hs->dg, fd) : tlshs__fd_bio(fd);
    if (!bio) {
        tlshs__usage(hs, TLSHS_E_NOMEM, "set_fd: out of memory");
        ERR_clear_error();
        return -1;
    }
    SSL_set_bio(hs->ssl, bio, bio); /* frees the memory BIOs; one reference for both */
    hs->rbio = hs->wbio = NULL;
    hs->fd_mode = 1;
    return 0;
}
