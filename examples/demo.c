/*
 * demo.c - what `make demo` runs: a tlshs client and server handshake in
 * memory, and the program prints every flight between them.
 *
 *   build/tlshs-demo [CERTDIR]        (CERTDIR defaults to build/certs)
 *
 * It uses CERTDIR/server-ec.pem and server-ec.key (the server's ECDSA
 * certificate, for "localhost") and CERTDIR/ca.pem (the CA the client trusts);
 * `make certs` makes them.  In order it:
 *   1. runs a full handshake, printing who sent which messages in how many
 *      bytes (from each side's trace), then the outcome;
 *   2. lets the client read the server's NewSessionTicket and saves the
 *      session;
 *   3. sends one line of application data each way, then the client's
 *      close_notify;
 *   4. runs a second handshake that resumes the saved session;
 *   5. on that connection, the client sends a KeyUpdate asking for the
 *      server's, and data flows under the new keys;
 *   6. a server that accepts 0-RTT: a first handshake gives the client a
 *      session, a second one sends a line of early data with its ClientHello.
 * Every call is checked; on a failure it prints why and exits 1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlshs.h"

/* One side of the connection, and how much of its trace is printed. */
struct side {
    const char *name; /* "client" or "server" */
    tlshs *hs;
    size_t traced;  /* trace events already looked at */
    size_t flights; /* flights and bytes sent in this handshake */
    size_t bytes;
};

static void die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout); /* what was printed so far comes first */
    fprintf(stderr, "tlshs-demo: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static void die_closed(const struct side *s, const struct side *peer) {
    fflush(stdout);
    fprintf(stderr, "tlshs-demo: the %s closed the connection: %s\n", s->name, tlshs_error(s->hs));
    if (*tlshs_error(peer->hs))
        fprintf(stderr, "tlshs-demo: the %s says: %s\n", peer->name, tlshs_error(peer->hs));
    exit(1);
}

/*
 * Writes into out (", "-separated) the names of the messages s sent (sent = 1)
 * or received (sent = 0) since the last call, and moves past all of them.
 */
static void new_names(struct side *s, int sent, char *out, size_t cap) {
    size_t count = tlshs_trace_count(s->hs);
    out[0] = '\0';
    for (; s->traced < count; s->traced++) {
        const tlshs_event *ev = tlshs_trace_event(s->hs, s->traced);
        size_t used = strlen(out);
        if (!ev) die("trace event %zu missing", s->traced);
        if (ev->sent == sent) snprintf(out + used, cap - used, "%s%s", used ? ", " : "", ev->name);
    }
}

/* Whether s's whole trace holds a message called name that s sent. */
static int sent_message(const struct side *s, const char *name) {
    for (size_t i = 0; i < tlshs_trace_count(s->hs); i++) {
        const tlshs_event *ev = tlshs_trace_event(s->hs, i);
        if (ev && ev->sent && strcmp(ev->name, name) == 0) return 1;
    }
    return 0;
}

/* Prints "  client -> server   329 bytes: " and the list, wrapped at 79 columns. */
static void print_flight(const struct side *s, const struct side *peer, size_t bytes,
                         const char *list) {
    int col = printf("  %s -> %s  %5zu bytes: ", s->name, peer->name, bytes);
    int indent = col;
    while (*list) {
        const char *comma = strstr(list, ", ");
        int len = comma ? (int)(comma - list) + 1 : (int)strlen(list);
        if (col > indent && col + 1 + len > 79)
            col = printf("\n%*s", indent, "") - 1;
        else if (col > indent)
            col += printf(" ");
        col += printf("%.*s", len, list);
        list += comma ? (size_t)len + 1 : (size_t)len;
    }
    printf("\n");
}

/* Prints a flight s sent: its size and the messages in it (what = NULL: the
   names from s's trace), and counts it. */
static void report(struct side *s, const struct side *peer, size_t total, const char *what) {
    char names[512];
    new_names(s, 1, names, sizeof names); /* received ones print as the peer's flight */
    if (!what) what = names[0] ? names : "(no message in the trace)";
    if (total > 0) {
        print_flight(s, peer, total, what);
        s->flights++;
        s->bytes += total;
    }
}

/* Moves every pending byte of s to peer and prints the flight. */
static size_t ship(struct side *s, struct side *peer, const char *what) {
    unsigned char buf[4096];
    size_t total = 0, n;
    while ((n = tlshs_take(s->hs, buf, sizeof buf)) > 0) {
        if (tlshs_feed(peer->hs, buf, n) != 0)
            die("feeding the %s failed: %s", peer->name, tlshs_usage_error(peer->hs));
        total += n;
    }
    report(s, peer, total, what);
    return total;
}

/* tlshs_pair's tamper callback, used here only to watch: prints each flight
   and lets it through unchanged. */
static size_t watch(tlshs_direction d, unsigned char *flight, size_t len,
                    const unsigned char **out, void *arg) {
    struct side *sides = arg; /* client, server */
    (void)flight, (void)out;
    report(&sides[d == TLSHS_S2C], &sides[d == TLSHS_C2S], len, NULL);
    return len; /* deliver it as it is */
}

/* tlshs_pair carries every flight until both sides are DONE; then a summary line. */
static void handshake(struct side *sides) {
    tlshs_result rc, rs;
    int waits = tlshs_pair(sides[0].hs, sides[1].hs, watch, sides, 10, &rc, &rs);
    if (rc == TLSHS_CLOSED) die_closed(&sides[0], &sides[1]);
    if (rs == TLSHS_CLOSED) die_closed(&sides[1], &sides[0]);
    if (waits != 0) die("the handshake did not finish (tlshs_pair answered %d)", waits);
    printf("  both sides answered DONE: %zu flights, %zu bytes in all\n",
           sides[0].flights + sides[1].flights, sides[0].bytes + sides[1].bytes);
}

static tlshs_config *make_config(tlshs_role role, const char *const *kv) {
    tlshs_config *cfg = tlshs_config_new(role);
    if (!cfg) die("tlshs_config_new: out of memory");
    for (; kv[0]; kv += 2)
        if (tlshs_config_set(cfg, kv[0], kv[1]) != 0) die("config: %s", tlshs_config_error(cfg));
    return cfg;
}

static void new_side(struct side *s, const char *name, tlshs_config *cfg, const char *sni) {
    s->name = name;
    s->traced = s->flights = s->bytes = 0;
    s->hs = tlshs_new(cfg, sni);
    if (!s->hs) die("tlshs_new (%s): %s", name, tlshs_config_error(cfg));
    if (tlshs_set_trace(s->hs, 1) != 0) die("tlshs_set_trace (%s) failed", name);
}

static const char *or_none(const char *s) {
    return s ? s : "(none)";
}

static void print_outcome(const struct side *client, const struct side *server) {
    long verify = tlshs_verify_result(client->hs);
    size_t certlen = 0;
    int resumed = tlshs_resumed(client->hs);
    tlshs_peer_cert(client->hs, &certlen);
    printf("  Outcome:\n");
    printf("    version    %s\n", or_none(tlshs_version(client->hs)));
    printf("    cipher     %s\n", or_none(tlshs_cipher(client->hs)));
    printf("    ALPN       %s  (the client offered h2,http/1.1; the server chose)\n",
           or_none(tlshs_alpn(client->hs)));
    printf("    SNI        %s  (as the server received it)\n",
           or_none(tlshs_server_name(server->hs)));
    if (resumed)
        printf("    verify     %ld%s, carried over from the saved session\n", verify,
               verify == 0 ? " = X509_V_OK" : " (a verify error)");
    else
        printf("    verify     %ld%s: the server's certificate (%zu bytes of DER)\n"
               "               chains to ca.pem and names \"localhost\"\n",
               verify, verify == 0 ? " = X509_V_OK" : " (a verify error)", certlen);
    printf("    resumed    %s\n", resumed ? "yes" : "no");
}

/* One line from a to b: write, ship, read. */
static void send_line(struct side *a, struct side *b, const char *line) {
    char buf[256];
    size_t n = 0;
    char what[300];
    tlshs_result r = tlshs_write(a->hs, line, strlen(line), &n);
    if (r != TLSHS_DONE || n != strlen(line))
        die("tlshs_write (%s) answered %s", a->name, tlshs_result_name(r));
    snprintf(what, sizeof what, "application data \"%s\"", line);
    ship(a, b, what);
    r = tlshs_read(b->hs, buf, sizeof buf - 1, &n);
    if (r == TLSHS_CLOSED) die_closed(b, a);
    if (r != TLSHS_DONE) die("tlshs_read (%s) answered %s", b->name, tlshs_result_name(r));
    buf[n] = '\0';
    printf("  the %s read %zu bytes: \"%s\"\n", b->name, n, buf);
}

/* ---- 5 and 6: moves after the handshake, and 0-RTT ---- */

/* Moves what a has pending to b; prints the messages a's trace shows it
   sent since the last call. */
static void carry(struct side *a, struct side *b) {
    unsigned char buf[4096];
    char names[512];
    size_t n, total = 0;
    while ((n = tlshs_take(a->hs, buf, sizeof buf)) > 0) {
        if (tlshs_feed(b->hs, buf, n) != 0) die("feeding the %s: %s", b->name, tlshs_usage_error(b->hs));
        total += n;
    }
    new_names(a, 1, names, sizeof names);
    if (total) print_flight(a, b, total, names[0] ? names : "application data");
}

/* 5. The client updates its keys and asks the server to update its own. */
static void demo_key_update(struct side *client, struct side *server) {
    char buf[64];
    size_t n = 0;
    tlshs_result r;
    printf("\n5. A KeyUpdate (tlshs_key_update, request_peer = 1)\n");
    if ((r = tlshs_key_update(client->hs, 1)) != TLSHS_WANT_WRITE)
        die("tlshs_key_update answered %s: %s", tlshs_result_name(r), tlshs_usage_error(client->hs));
    carry(client, server);
    if ((r = tlshs_key_update(client->hs, 1)) != TLSHS_DONE)
        die("tlshs_key_update, called again once taken, answered %s", tlshs_result_name(r));
    /* the server reads it; it owes its own KeyUpdate, which read sends */
    if ((r = tlshs_read(server->hs, buf, sizeof buf, &n)) != TLSHS_WANT_WRITE)
        die("the server's read answered %s", tlshs_result_name(r));
    carry(server, client);
    if ((r = tlshs_read(client->hs, buf, sizeof buf, &n)) != TLSHS_WANT_READ)
        die("the client's read answered %s", tlshs_result_name(r));
    printf("  tlshs_key_update answered WANT_WRITE, then DONE once taken; the server's\n"
           "  tlshs_read answered WANT_WRITE: its own KeyUpdate waited to be taken\n");
    send_line(client, server, "under the client's new keys");
    send_line(server, client, "under the server's new keys");
}

/* 6. 0-RTT: a session from a server that allows early data, then a line
   sent with the ClientHello, read by the server before the handshake ends. */
static void demo_early_data(tlshs_config *client_cfg, const char *cert, const char *key) {
    const char *early_keys[] = {"cert_file", cert, "key_file", key, "max_early_data", "16384", NULL};
    tlshs_config *early_cfg = make_config(TLSHS_SERVER, early_keys);
    struct side client, server;
    unsigned char session[8192];
    char scratch[1], got[128];
    size_t len, n = 0, got_len = 0;
    tlshs_result r = TLSHS_WANT_READ;
    static const char line[] = "GET / (sent as 0-RTT data)";

    printf("\n6. 0-RTT: the server's config sets max_early_data 16384\n");
    new_side(&client, "client", client_cfg, "localhost");
    new_side(&server, "server", early_cfg, NULL);
    handshake(&client, &server);
    tlshs_read(client.hs, scratch, sizeof scratch, &n); /* the tickets */
    len = tlshs_session(client.hs, session, sizeof session);
    if (len == 0 || len > sizeof session) die("no session to resume with early data");
    /* close_notify: OpenSSL keeps the session of a cleanly closed connection,
       which its anti-replay protection needs */
    tlshs_shutdown(server.hs);
    tlshs_free(client.hs);
    tlshs_free(server.hs);
    printf("  a first handshake gave the client a session (%zu bytes) that allows early data\n", len);

    new_side(&client, "client", client_cfg, "localhost");
    new_side(&server, "server", early_cfg, NULL);
    if (tlshs_set_session(client.hs, session, len) != 0)
        die("tlshs_set_session: %s", tlshs_usage_error(client.hs));
    r = tlshs_write_early(client.hs, line, sizeof line - 1, &n);
    if (r != TLSHS_WANT_WRITE || n != sizeof line - 1)
        die("tlshs_write_early answered %s: %s", tlshs_result_name(r), tlshs_usage_error(client.hs));
    carry(&client, &server);
    /* the server drives its handshake with read_early until DONE with n == 0 */
    for (int i = 0; i < 10; i++) {
        r = tlshs_read_early(server.hs, got + got_len, sizeof got - 1 - got_len, &n);
        got_len += n;
        if (r == TLSHS_CLOSED) die_closed(&server, &client);
        if (r == TLSHS_DONE && n == 0) break;
        carry(&server, &client);
        if (tlshs_step(client.hs) == TLSHS_CLOSED) die_closed(&client, &server);
        carry(&client, &server);
    }
    if (r != TLSHS_DONE) die("the server's read_early answered %s", tlshs_result_name(r));
    carry(&server, &client);
    if (tlshs_step(client.hs) != TLSHS_DONE) die("the client did not finish");
    got[got_len] = '\0';
    printf("  the server's tlshs_read_early read %zu bytes before the handshake ended: \"%s\"\n"
           "  tlshs_early_data: client \"%s\", server \"%s\"; resumed: %s\n",
           got_len, got, tlshs_early_data(client.hs), tlshs_early_data(server.hs),
           tlshs_resumed(client.hs) ? "yes" : "no");
    if (strcmp(tlshs_early_data(client.hs), "accepted") != 0 || strcmp(got, line) != 0)
        die("the early data was not accepted");
    tlshs_free(client.hs);
    tlshs_free(server.hs);
    tlshs_config_free(early_cfg);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/certs";
    char cert[512], key[512], ca[512];
    struct side sides[2]; /* the client, the server */
    struct side *client = &sides[0], *server = &sides[1];
    unsigned char *session;
    size_t session_len;
    char scratch[1], names[512];
    size_t n = 0;
    tlshs_result r;

    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: %s [CERTDIR]   (default build/certs; `make certs` makes it)\n",
                argv[0]);
        return 2;
    }
    snprintf(cert, sizeof cert, "%s/server-ec.pem", dir);
    snprintf(key, sizeof key, "%s/server-ec.key", dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);

    const char *server_keys[] = {"cert_file", cert, "key_file", key, "alpn", "h2,http/1.1", NULL};
    const char *client_keys[] = {"ca_file", ca, "alpn", "h2,http/1.1", NULL};
    tlshs_config *server_cfg = make_config(TLSHS_SERVER, server_keys);
    tlshs_config *client_cfg = make_config(TLSHS_CLIENT, client_keys);

    printf("tlshs %s demo: a client and a server handshake in memory; this program\n"
           "carries each side's bytes to the other (tlshs_pair in the handshakes,\n"
           "then tlshs_take and tlshs_feed).\n"
           "server: %s (ECDSA, for localhost)\n"
           "client: trusts %s, connects to \"localhost\"\n\n",
           TLSHS_VERSION_STRING, cert, ca);

    /* 1. A full handshake. */
    printf("1. A full handshake: who sent each flight, its size on the wire, its messages\n");
    new_side(client, "client", client_cfg, "localhost");
    new_side(server, "server", server_cfg, NULL);
    handshake(sides);
    printf("  (TLS 1.3 encrypts every handshake message after the ServerHello; the names\n"
           "  come from each side's trace, which sees the messages before encryption.\n"
           "  ChangeCipherSpec is a dummy record TLS 1.3 sends for middlebox compatibility.)\n\n");
    print_outcome(client, server);
    if (tlshs_verify_result(client->hs) != 0 || tlshs_resumed(client->hs))
        die("unexpected outcome: verify %s, resumed %s",
            tlshs_verify_result(client->hs) ? "failed" : "ok",
            tlshs_resumed(client->hs) ? "yes" : "no");

    /* 2. TLS 1.3: the session ticket arrives after the handshake; read it. */
    printf("\n2. The server's NewSessionTicket came after DONE; the client reads it\n");
    r = tlshs_read(client->hs, scratch, sizeof scratch, &n);
    if (r == TLSHS_CLOSED) die_closed(client, server);
    if (r != TLSHS_WANT_READ) die("tlshs_read (client) answered %s", tlshs_result_name(r));
    new_names(client, 0, names, sizeof names);
    session_len = tlshs_session(client->hs, NULL, 0);
    if (session_len == 0) die("the client has no session to save");
    session = malloc(session_len);
    if (!session) die("out of memory");
    if (tlshs_session(client->hs, session, session_len) != session_len)
        die("tlshs_session changed size");
    printf("  tlshs_read answered WANT_READ; the client's trace shows it received:\n"
           "    %s\n"
           "  tlshs_session saved the session: %zu bytes of DER\n",
           names[0] ? names : "(nothing)", session_len);

    /* 3. Application data, then the client closes. */
    printf("\n3. One line each way\n");
    send_line(client, server, "hello from the client");
    send_line(server, client, "hello from the server");
    r = tlshs_shutdown(client->hs);
    if (r != TLSHS_WANT_WRITE) die("tlshs_shutdown (client) answered %s", tlshs_result_name(r));
    ship(client, server, NULL);
    r = tlshs_read(server->hs, scratch, sizeof scratch, &n);
    if (r != TLSHS_CLOSED)
        die("the server's read after close_notify answered %s", tlshs_result_name(r));
    printf("  the server's tlshs_read answers CLOSED: %s\n", tlshs_error(server->hs));
    tlshs_free(client->hs);
    tlshs_free(server->hs);

    /* 4. A second handshake that resumes the first one's session. */
    printf("\n4. Second handshake, offering the saved session (tlshs_set_session)\n");
    new_side(client, "client", client_cfg, "localhost");
    new_side(server, "server", server_cfg, NULL);
    if (tlshs_set_session(client->hs, session, session_len) != 0)
        die("tlshs_set_session: %s", tlshs_usage_error(client->hs));
    handshake(sides);
    printf("\n");
    print_outcome(client, server);
    if (!tlshs_resumed(client->hs) || !tlshs_resumed(server->hs))
        die("the second handshake did not resume (client %s, server %s)",
            tlshs_resumed(client->hs) ? "resumed" : "did not",
            tlshs_resumed(server->hs) ? "resumed" : "did not");
    if (sent_message(server, "Certificate")) die("the resumed handshake still sent a Certificate");
    printf("\nResumed: both sides report tlshs_resumed() = 1; the server sent no\n"
           "Certificate this time, the saved session stood in for it.\n");

    demo_key_update(&client, &server);
    demo_early_data(client_cfg, cert, key);

    free(session);
    tlshs_free(client->hs);
    tlshs_free(server->hs);
    tlshs_config_free(client_cfg);
    tlshs_config_free(server_cfg);
    return 0;
}
