/*
 * dtls_server.c - a DTLS 1.2 echo server on ONE unconnected UDP socket: it
 * tells its clients apart by their address, in memory mode.
 *
 *   build/tlshs-dtls-server [CERTDIR [PORT [CLIENTS]]]
 *
 * It listens on 127.0.0.1:PORT (0, the default: a port the kernel picks),
 * prints "listening on 127.0.0.1:PORT", and echoes what each client sends.
 * With CLIENTS > 0 it exits (0) once that many connections have ended;
 * else it runs until killed.  CERTDIR (default build/certs) holds
 * server.pem and server.key.  Try it with
 *
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT
 *
 * How it works, which is what a DTLS server over one socket needs:
 *   - recvfrom gives each datagram with its sender's address; a table maps
 *     addresses to tlshs objects, and each datagram goes to its object with
 *     tlshs_feed; what the object has to send goes out with sendto to that
 *     address, one tlshs_take per datagram.
 *   - A datagram from an unknown address gets a new object, told the address
 *     with tlshs_set_peer (the cookie binds it).  With the `cookie` key on
 *     (the default) its answer to a first ClientHello is a
 *     HelloVerifyRequest, after which the object holds no state and no
 *     timer runs: it is freed at once.  The client's second ClientHello,
 *     carrying the cookie, gets another new object of the same config, which
 *     verifies the cookie statelessly and goes on with the handshake.  A
 *     flood of spoofed ClientHellos therefore costs the server no memory.
 *   - Timers: poll waits no longer than the earliest tlshs_timeout_ms of all
 *     objects; an object whose timer is due gets tlshs_on_timeout, which
 *     sends its last flight again.
 *   - A connection that ends (close_notify, an error, or the 12-retransmission
 *     limit) is freed, its last datagrams sent first.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlshs.h"

#define MAX_PEERS 64

/* One client: its address and its handshake object (NULL: a free slot). */
struct conn {
    struct sockaddr_in addr;
    tlshs *hs;
};

/* The server: the socket, the config, the table. */
struct server {
    int fd;
    tlshs_config *cfg;
    struct conn conns[MAX_PEERS];
    int ended; /* connections that ended */
};

/* Prints one line of what happens (flushed: the output may be a pipe). */
static void say(const struct conn *c, const char *fmt, ...) {
    va_list ap;
    printf("%s:%u ", inet_ntoa(c->addr.sin_addr), ntohs(c->addr.sin_port));
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static struct conn *find(struct server *sv, const struct sockaddr_in *a) {
    for (int i = 0; i < MAX_PEERS; i++) {
        struct conn *c = &sv->conns[i];
        if (c->hs && c->addr.sin_port == a->sin_port &&
            c->addr.sin_addr.s_addr == a->sin_addr.s_addr)
            return c;
    }
    return NULL;
}

/* A new object for an unknown address, or NULL if the table is full. */
static struct conn *admit(struct server *sv, const struct sockaddr_in *a) {
    for (int i = 0; i < MAX_PEERS; i++) {
        struct conn *c = &sv->conns[i];
        char name[64];
        if (c->hs) continue;
        if (!(c->hs = tlshs_new(sv->cfg, NULL))) return NULL;
        c->addr = *a;
        /* the cookie binds the address as the server sees it */
        snprintf(name, sizeof name, "%s:%u", inet_ntoa(a->sin_addr), ntohs(a->sin_port));
        tlshs_set_peer(c->hs, name, strlen(name));
        return c;
    }
    return NULL;
}

/* Sends every datagram c's object has pending to c's address. */
static void flush(struct server *sv, struct conn *c) {
    unsigned char buf[65536];
    size_t n;
    while ((n = tlshs_take(c->hs, buf, sizeof buf)) > 0)
        if (sendto(sv->fd, buf, n, 0, (struct sockaddr *)&c->addr, sizeof c->addr) < 0)
            perror("sendto"); /* UDP: a lost datagram is the timer's business */
}

static void drop(struct conn *c, const char *why) {
    say(c, "%s", why);
    tlshs_free(c->hs);
    c->hs = NULL;
}

static void end(struct server *sv, struct conn *c) {
    const char *why = tlshs_error(c->hs);
    flush(sv, c); /* the answering close_notify, or our alert */
    say(c, "closed: %s", *why ? why : "done");
    tlshs_free(c->hs);
    c->hs = NULL;
    sv->ended++;
}

/* After a datagram or a timer: handshake, then echo what can be read. */
static void advance(struct server *sv, struct conn *c, tlshs_result r) {
    int was_done = tlshs_handshake_done(c->hs);
    if (!was_done && r != TLSHS_CLOSED) r = tlshs_step(c->hs);
    if (!was_done && tlshs_handshake_done(c->hs))
        say(c, "handshake done: %s %s", tlshs_version(c->hs), tlshs_cipher(c->hs));
    while (r != TLSHS_CLOSED && tlshs_handshake_done(c->hs)) {
        char buf[16384];
        size_t n = 0;
        r = tlshs_read(c->hs, buf, sizeof buf, &n);
        if (r != TLSHS_DONE) break;
        r = tlshs_write(c->hs, buf, n, &n); /* the echo */
    }
    flush(sv, c);
    if (r == TLSHS_CLOSED || tlshs_last_result(c->hs) == TLSHS_CLOSED) {
        if (tlshs_error_code(c->hs) == TLSHS_E_CLOSE_NOTIFY) {
            tlshs_shutdown(c->hs); /* answer the client's close_notify */
        }
        end(sv, c);
    } else if (!tlshs_handshake_done(c->hs) && tlshs_timeout_ms(c->hs) < 0) {
        /* no flight waits for an answer before the handshake: this object
           answered with a HelloVerifyRequest (or dropped a stray datagram)
           and keeps no state: the client's retry gets a new one */
        drop(c, "sent a HelloVerifyRequest; object freed");
    }
}

/* One datagram from the socket to its connection. */
static void receive(struct server *sv) {
    unsigned char buf[65536];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(sv->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    struct conn *c;
    if (n <= 0 || from.sin_family != AF_INET) return;
    if (!(c = find(sv, &from)) && !(c = admit(sv, &from))) return; /* full: dropped */
    if (tlshs_feed(c->hs, buf, (size_t)n) != 0) {
        drop(c, tlshs_usage_error(c->hs));
        return;
    }
    advance(sv, c, TLSHS_WANT_READ);
}

/* The milliseconds poll may wait: the earliest timer, at most a second. */
static int next_wait(const struct server *sv) {
    long wait = 1000;
    for (int i = 0; i < MAX_PEERS; i++) {
        long t = sv->conns[i].hs ? tlshs_timeout_ms(sv->conns[i].hs) : -1;
        if (t >= 0 && t < wait) wait = t;
    }
    return (int)wait;
}

/* Fires the timers that are due. */
static void timers(struct server *sv) {
    for (int i = 0; i < MAX_PEERS; i++) {
        struct conn *c = &sv->conns[i];
        if (c->hs && tlshs_timeout_ms(c->hs) == 0) advance(sv, c, tlshs_on_timeout(c->hs));
    }
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/certs";
    int port = argc > 2 ? atoi(argv[2]) : 0, clients = argc > 3 ? atoi(argv[3]) : 0;
    struct server sv;
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    char cert[512], key[512];
    memset(&sv, 0, sizeof sv);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    sv.cfg = tlshs_config_new(TLSHS_SERVER);
    if (!sv.cfg || tlshs_config_set(sv.cfg, "transport", "datagram") != 0 ||
        tlshs_config_set(sv.cfg, "cert_file", cert) != 0 ||
        tlshs_config_set(sv.cfg, "key_file", key) != 0) {
        fprintf(stderr, "config: %s\n", sv.cfg ? tlshs_config_error(sv.cfg) : "out of memory");
        return 1;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sv.fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (sv.fd < 0 || bind(sv.fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(sv.fd, (struct sockaddr *)&addr, &len) != 0) {
        perror("socket");
        return 1;
    }
    printf("listening on 127.0.0.1:%u\n", ntohs(addr.sin_port));
    fflush(stdout);
    while (clients <= 0 || sv.ended < clients) {
        struct pollfd p = {sv.fd, POLLIN, 0};
        int rc = poll(&p, 1, next_wait(&sv));
        if (rc < 0 && errno != EINTR) {
            perror("poll");
            break;
        }
        if (rc > 0) receive(&sv);
        timers(&sv);
    }
    for (int i = 0; i < MAX_PEERS; i++)
        tlshs_free(sv.conns[i].hs);
    tlshs_config_free(sv.cfg);
    close(sv.fd);
    return 0;
}
