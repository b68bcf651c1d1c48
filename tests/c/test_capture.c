/* test_capture.c - capture.c: pcapng files of real tlshs handshakes in
   memory mode, read back by tshark with no key log file given to it (the
   secrets must come from the file's Decryption Secrets Blocks). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "tlshs_internal.h"

/* How the capture gets the bytes and the secrets. */
enum wiring {
    BY_TEST,     /* memory mode: the test hands over the flights it carries
                    and the lines of the viewing side's keylog_file */
    BY_API,      /* memory mode, through tlshs_set_capture (no keylog_file: the
                    secrets must come from the capture's own hook) */
    BY_API_FD    /* the same in fd mode, over a socketpair */
};

/* One side's view of a client/server pair: the bytes carried between them go
   to cap, and the viewing side's key log to cap's secrets. */
struct view {
    tlshs *c, *s;
    int client;                /* the capture is the client's (else the server's) */
    enum wiring wiring;
    struct tlshs_capture *cap;
    FILE *keys;                /* BY_TEST: the key log, read as it grows */
    char keyfile[512];
    int sv[2];                 /* BY_API_FD: the socketpair */
};

/* Hands the key log lines written since the last call to the capture. */
static int pass_secrets(struct view *v) {
    char line[1024];
    int n = 0;
    clearerr(v->keys);
    while (fgets(line, sizeof line, v->keys)) {
        line[strcspn(line, "\n")] = '\0';
        if (tlshs__capture_secret(v->cap, line) != 0) return -1;
        n++;
    }
    return n;
}

/* After a call on the viewing side: its new secrets first (ahead of the
   received bytes still pending), then the pending bytes; the file is then
   complete.  After a call on the other side: nothing to do. */
static int after_call(struct view *v, int on_client) {
    if (on_client != v->client || v->wiring != BY_TEST) return 0;
    if (pass_secrets(v) < 0) return -1;
    return tlshs__capture_flush(v->cap) != 0 ? -1 : 0;
}

/* Moves what `from` has pending to the other side, through the capture. */
static size_t carry(struct view *v, int from_client) {
    tlshs *from = from_client ? v->c : v->s, *to = from_client ? v->s : v->c;
    unsigned char buf[4096];
    size_t total = 0, n;
    while ((n = tlshs_take(from, buf, sizeof buf)) > 0) {
        if (v->wiring == BY_TEST && tlshs__capture_data(v->cap, from_client, buf, n) != 0) return 0;
        if (tlshs_feed(to, buf, n) != 0) return total;
        total += n;
    }
    return total;
}

static int over(tlshs_result r) {
    return r == TLSHS_DONE || r == TLSHS_CLOSED;
}

/* Steps both sides, carrying every flight through the capture, until both
   are DONE or CLOSED; returns 1 if both are DONE. */
static int drive(struct view *v) {
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    for (int i = 0; i < 30; i++) {
        rc = tlshs_step(v->c);
        if (after_call(v, 1)) return 0;
        carry(v, 1);
        rs = tlshs_step(v->s);
        if (after_call(v, 0)) return 0;
        carry(v, 0);
        if (over(rc) && over(rs) && !tlshs_pending(v->c) && !tlshs_pending(v->s)) break;
    }
    return rc == TLSHS_DONE && rs == TLSHS_DONE;
}

/* Sets up a pair whose `client` side (or server side) is captured to
   cert_path(name); the viewing side's config gets a fresh keylog_file. */
static int view_open(struct view *v, const char *name, int client, enum wiring wiring,
                     tlshs_config *cc, tlshs_config *sc) {
    char err[256];
    memset(v, 0, sizeof *v);
    v->client = client;
    v->wiring = wiring;
    v->sv[0] = v->sv[1] = -1;
    snprintf(v->keyfile, sizeof v->keyfile, "%s.keys", cert_path(name));
    remove(v->keyfile);
    if (!cc || !sc ||
        (wiring == BY_TEST && tlshs_config_set(client ? cc : sc, "keylog_file", v->keyfile) != 0)) {
        tlshs_config_free(cc);
        tlshs_config_free(sc);
        return -1;
    }
    v->c = tlshs_new(cc, "localhost");
    v->s = tlshs_new(sc, NULL);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
    if (!v->c || !v->s) return -1;
    tlshs_set_trace(client ? v->c : v->s, 1);
    if (wiring == BY_TEST) {
        v->keys = fopen(v->keyfile, "r");
        v->cap = tlshs__capture_open(cert_path(name), err, sizeof err);
        if (!v->cap) check_fail(__FILE__, __LINE__, "%s", err);
        return v->keys && v->cap ? 0 : -1;
    }
    if (wiring == BY_API_FD && (socketpair(AF_UNIX, SOCK_STREAM, 0, v->sv) != 0 ||
                                tlshs_set_fd(v->c, v->sv[0]) || tlshs_set_fd(v->s, v->sv[1])))
        return -1;
    if (tlshs_set_capture(client ? v->c : v->s, cert_path(name)) != 0) {
        check_fail(__FILE__, __LINE__, "%s", tlshs_usage_error(client ? v->c : v->s));
        return -1;
    }
    return 0;
}

/* Frees the pair and the key log reader; closes the capture if still open
   and returns what tlshs__capture_close returned. */
static int view_close(struct view *v) {
    int rc = tlshs__capture_close(v->cap);
    v->cap = NULL;
    if (v->keys) fclose(v->keys);
    tlshs_free(v->c);
    tlshs_free(v->s);
    if (v->sv[0] >= 0) close(v->sv[0]);
    if (v->sv[1] >= 0) close(v->sv[1]);
    return rc;
}

/* Runs tshark on file with no key log file and the given arguments; its
   standard output (truncated to cap) lands in out.  Returns its exit status,
   or -1 if it could not run. */
static int tshark(const char *file, const char *args, char *out, size_t cap) {
    char cmd[1024];
    size_t len = 0, n;
    FILE *p;
    snprintf(cmd, sizeof cmd, "tshark -n -r '%s' -o tls.keylog_file: %s 2>/dev/null", file, args);
    if (!(p = popen(cmd, "r"))) return -1;
    while (len + 1 < cap && (n = fread(out + len, 1, cap - 1 - len, p)) > 0) len += n;
    out[len] = '\0';
    while (fread(cmd, 1, sizeof cmd, p) > 0) continue;
    n = (size_t)pclose(p);
    return (int)n == -1 ? -1 : WIFEXITED((int)n) ? WEXITSTATUS((int)n) : -1;
}

static char out[1 << 18];

/* handshake message names as the trace gives them, with their wire type */
static const struct {
    const char *name;
    int type;
} types[] = {
    {"ClientHello", 1},         {"ServerHello", 2},         {"HelloRetryRequest", 2},
    {"NewSessionTicket", 4},    {"EndOfEarlyData", 5},      {"EncryptedExtensions", 8},
    {"Certificate", 11},        {"ServerKeyExchange", 12},  {"CertificateRequest", 13},
    {"ServerHelloDone", 14},    {"CertificateVerify", 15},  {"ClientKeyExchange", 16},
    {"Finished", 20},           {"KeyUpdate", 24},
};

static int type_of(const char *name) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0) return types[i].type;
    return -1;
}

/* The handshake types the trace of hs saw from one side, as "1,2,8": sent
   ones if that side is hs's own, received ones otherwise. */
static void trace_types(const tlshs *hs, int own, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < tlshs_trace_count(hs); i++) {
        const tlshs_event *e = tlshs_trace_event(hs, i);
        if (e->sent == own && strcmp(e->kind, "handshake") == 0 && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%d", len ? "," : "",
                                    type_of(e->name));
    }
}

/* The handshake types tshark decoded in the packets from addr, as "1,2,8". */
static void tshark_types(const char *text, const char *addr, char *buf, size_t cap) {
    size_t len = 0, alen = strlen(addr);
    buf[0] = '\0';
    for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        const char *end = strchr(l, '\n') ? strchr(l, '\n') : l + strlen(l);
        if (strncmp(l, addr, alen) != 0 || l[alen] != '\t' || l + alen + 1 >= end) continue;
        if (len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%.*s", len ? "," : "",
                                    (int)(end - l - alen - 1), l + alen + 1);
    }
}

/* What the trace of hs (the viewing side) saw, per direction ([from_client]). */
struct expected {
    char types[2][512];
};

static void expect_trace(const tlshs *hs, int client, struct expected *want) {
    for (int from_client = 0; from_client < 2; from_client++)
        trace_types(hs, from_client == client, want->types[from_client], sizeof want->types[0]);
}

/* tshark lists, in each direction, the handshake messages the trace of the
   viewing side saw, in order. */
static void check_handshake_messages(const char *file, const struct expected *want) {
    char got[512];
    int rc = tshark(file, "-Y tls.handshake.type -T fields -e ip.src -e tls.handshake.type", out,
                    sizeof out);
    CHECK_INT(rc, ==, 0);
    for (int from_client = 0; from_client < 2; from_client++) {
        tshark_types(out, from_client ? "10.0.0.1" : "10.0.0.2", got, sizeof got);
        CHECK_STR(got, want->types[from_client]);
    }
}

/* No bad IPv4 or TCP checksum, no TCP analysis complaint, timestamps rising. */
static void check_well_formed(const char *file) {
    int rc = tshark(file,
                    "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -Y '"
                    "ip.checksum.status != 1 || tcp.checksum.status != 1 || tcp.analysis.flags"
                    " || (frame.number > 1 && frame.time_delta <= 0) || _ws.malformed"
                    " || _ws.expert.severity >= warning'",
                    out, sizeof out);
    CHECK_INT(rc, ==, 0);
    CHECK_STR(out, "");
}

/* After a handshake: the client sends a request (big enough to take several
   segments and records), the server a reply, then both close. */
static int exchange_data(struct view *v, const char *request, size_t request_len,
                         const char *reply) {
    static char got[1 << 16];
    size_t n, total = 0;
    if (tlshs_write(v->c, request, request_len, &n) != TLSHS_DONE || n != request_len) return -1;
    if (after_call(v, 1)) return -1;
    carry(v, 1);
    while (total < request_len && tlshs_read(v->s, got + total, sizeof got - total, &n) == TLSHS_DONE)
        total += n;
    if (after_call(v, 0) || total != request_len || memcmp(got, request, total) != 0) return -1;
    if (tlshs_write(v->s, reply, strlen(reply), &n) != TLSHS_DONE) return -1;
    if (after_call(v, 0)) return -1;
    carry(v, 0);
    if (tlshs_read(v->c, got, sizeof got, &n) != TLSHS_DONE || n != strlen(reply)) return -1;
    if (after_call(v, 1)) return -1;
    tlshs_shutdown(v->c);
    after_call(v, 1);
    carry(v, 1);
    tlshs_read(v->s, got, sizeof got, &n);
    tlshs_shutdown(v->s);
    after_call(v, 0);
    carry(v, 0);
    tlshs_shutdown(v->c);
    return after_call(v, 1);
}

/* A full handshake in `version`, captured by one side; tshark must show every
   handshake message of its trace and the application data, decrypted. */
static void captured_handshake(const char *version, int client, enum wiring wiring) {
    char name[64], request[40000];
    const char *reply = "capture-reply-marker: the server's answer";
    struct expected want;
    struct view v;
    snprintf(name, sizeof name, "capture-%s-%s-%d.pcapng", version, client ? "client" : "server",
             (int)wiring);
    memset(request, 'q', sizeof request);
    memcpy(request, "capture-request-marker:", 23);
    memcpy(request + sizeof request - 10, "end-marker", 10);
    if (view_open(&v, name, client, wiring,
                  client_with("min_version", version, "max_version", version, (char *)NULL),
                  server_config()) != 0) {
        view_close(&v);
        CHECK(!"view_open");
    }
    CHECK(drive(&v));
    CHECK(exchange_data(&v, request, sizeof request, reply) == 0);
    if (wiring == BY_TEST)
        CHECK_INT(pass_secrets(&v), ==, 0); /* every secret was already handed over */
    expect_trace(client ? v.c : v.s, client, &want);
    CHECK_INT(view_close(&v), ==, 0);
    /* the encrypted messages (Finished, both ways) were decrypted */
    CHECK_CONTAINS(want.types[0], "20");
    CHECK_CONTAINS(want.types[1], "20");
    check_handshake_messages(cert_path(name), &want);
    if (check_current_failed) return;
    check_well_formed(cert_path(name));
    if (check_current_failed) return;
    CHECK_INT(tshark(cert_path(name), "-q -z follow,tls,ascii,0", out, sizeof out), ==, 0);
    CHECK_CONTAINS(out, "capture-request-marker:qqqq");
    CHECK_CONTAINS(out, "qqqqend-marker");
    CHECK_CONTAINS(out, reply);
}

TEST(test_capture_tls13_client) {
    captured_handshake("1.3", 1, BY_TEST);
    if (check_current_failed) return;
    captured_handshake("1.3", 1, BY_API);
    if (check_current_failed) return;
    captured_handshake("1.3", 1, BY_API_FD);
}

TEST(test_capture_tls13_server) {
    captured_handshake("1.3", 0, BY_TEST);
    if (check_current_failed) return;
    captured_handshake("1.3", 0, BY_API);
    if (check_current_failed) return;
    captured_handshake("1.3", 0, BY_API_FD);
}

TEST(test_capture_tls12_client) {
    captured_handshake("1.2", 1, BY_TEST);
    if (check_current_failed) return;
    captured_handshake("1.2", 1, BY_API);
    if (check_current_failed) return;
    captured_handshake("1.2", 1, BY_API_FD);
}

TEST(test_capture_tls12_server) {
    captured_handshake("1.2", 0, BY_TEST);
    if (check_current_failed) return;
    captured_handshake("1.2", 0, BY_API);
    if (check_current_failed) return;
    captured_handshake("1.2", 0, BY_API_FD);
}

/* A handshake the client refuses (the server's CA is unknown), captured by
   the client: tshark shows its unknown_ca alert (encrypted in TLS 1.3). */
static void captured_failure(const char *version) {
    char name[64];
    struct view v;
    snprintf(name, sizeof name, "capture-%s-unknown-ca.pcapng", version);
    if (view_open(&v, name, 1, BY_TEST,
                  client_with("min_version", version, "max_version", version, (char *)NULL),
                  make_config(TLSHS_SERVER, "cert_file", cert_path("unknown.pem"), "key_file",
                              cert_path("unknown.key"), (char *)NULL)) != 0) {
        view_close(&v);
        CHECK(!"view_open");
    }
    CHECK(!drive(&v));
    CHECK_RESULT(tlshs_last_result(v.c), TLSHS_CLOSED);
    CHECK_INT(tlshs_alert_sent(v.c), ==, 48);
    CHECK_INT(view_close(&v), ==, 0);
    CHECK_INT(tshark(cert_path(name), "-Y tls.alert_message -T fields -e ip.src -e "
                                      "tls.alert_message.level -e tls.alert_message.desc",
                     out, sizeof out),
              ==, 0);
    CHECK_STR(out, "10.0.0.1\t2\t48\n");
    check_well_formed(cert_path(name));
}

TEST(test_capture_failed_handshake_shows_alert) {
    captured_failure("1.3");
    if (check_current_failed) return;
    captured_failure("1.2");
}

/* The file is complete after each flush, with the capture still open: the
   ClientHello alone, then the server's flight too. */
TEST(test_capture_readable_while_open) {
    const char *path = cert_path("capture-open.pcapng");
    struct view v;
    if (view_open(&v, "capture-open.pcapng", 1, BY_TEST, client_config(), server_config()) != 0) {
        view_close(&v);
        CHECK(!"view_open");
    }
    tlshs_step(v.c);
    CHECK_INT(after_call(&v, 1), ==, 0);
    CHECK(carry(&v, 1) > 0);
    CHECK_INT(tlshs__capture_flush(v.cap), ==, 0);
    CHECK_INT(tshark(path, "-Y tls.handshake.type -T fields -e ip.src -e tls.handshake.type", out,
                     sizeof out),
              ==, 0);
    CHECK_STR(out, "10.0.0.1\t1\n");
    tlshs_step(v.s);
    carry(&v, 0);
    tlshs_step(v.c); /* the client's handshake secrets, ahead of the server's flight */
    CHECK_INT(after_call(&v, 1), ==, 0);
    CHECK_INT(tshark(path, "-Y tls.handshake.type -T fields -e ip.src -e tls.handshake.type", out,
                     sizeof out),
              ==, 0);
    CHECK_STR(out, "10.0.0.1\t1\n10.0.0.2\t2,8,11,15,20\n");
    CHECK_INT(view_close(&v), ==, 0);
}

TEST(test_capture_open_errors) {
    char err[256] = "untouched";
    errno = 0;
    CHECK(tlshs__capture_open("/nonexistent/dir/x.pcapng", err, sizeof err) == NULL);
    CHECK_INT(errno, ==, ENOENT);
    CHECK_STR(err, "capture: cannot open /nonexistent/dir/x.pcapng: No such file or directory");
    CHECK(tlshs__capture_open(cert_path(""), err, sizeof err) == NULL); /* a directory */
    CHECK_INT(errno, ==, EISDIR);
    CHECK(tlshs__capture_open("", err, sizeof err) == NULL);
    CHECK_INT(errno, ==, EINVAL);
    CHECK_STR(err, "capture: no file name");
    CHECK(tlshs__capture_open(NULL, NULL, 0) == NULL);
    CHECK_INT(errno, ==, EINVAL);
    /* the headers cannot be written: open says so */
    CHECK(tlshs__capture_open("/dev/full", err, sizeof err) == NULL);
    CHECK_INT(errno, ==, ENOSPC);
    CHECK_STR(err, "capture: cannot write /dev/full: No space left on device");
    /* NULL captures are no-ops */
    CHECK_INT(tlshs__capture_data(NULL, 1, "x", 1), ==, 0);
    CHECK_INT(tlshs__capture_secret(NULL, "CLIENT_RANDOM 00 00"), ==, 0);
    CHECK_INT(tlshs__capture_flush(NULL), ==, 0);
    CHECK_INT(tlshs__capture_close(NULL), ==, 0);
    CHECK_INT(tlshs__capture_secret(NULL, NULL), ==, 0);
    /* a NULL secret line is refused, and does not spoil the capture */
    struct tlshs_capture *cap = tlshs__capture_open(cert_path("capture-null.pcapng"), NULL, 0);
    CHECK(cap);
    CHECK_INT(tlshs__capture_secret(cap, NULL), ==, -1);
    CHECK_INT(errno, ==, EINVAL);
    CHECK_INT(tlshs__capture_close(cap), ==, 0);
}

/* A write that fails midway (the file size limit) is reported by that call
   and every later one, with the first errno, and close says so too. */
TEST(test_capture_write_error_is_sticky) {
    static char big[40000];
    struct rlimit old, lim;
    void (*old_handler)(int);
    struct tlshs_capture *cap = tlshs__capture_open(cert_path("capture-full.pcapng"), NULL, 0);
    int rc[6], e[6];
    CHECK(cap);
    CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    lim = old;
    lim.rlim_cur = 8192;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
    rc[0] = tlshs__capture_data(cap, 1, big, sizeof big), e[0] = errno;
    rc[1] = tlshs__capture_flush(cap), e[1] = errno;
    rc[2] = tlshs__capture_data(cap, 0, "x", 1), e[2] = errno;
    rc[3] = tlshs__capture_secret(cap, "CLIENT_RANDOM 00 00"), e[3] = errno;
    rc[4] = tlshs__capture_flush(cap), e[4] = errno;
    rc[5] = tlshs__capture_close(cap), e[5] = errno;
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    for (int i = 0; i < 6; i++) {
        CHECK_INT(rc[i], ==, -1);
        CHECK_INT(e[i], ==, EFBIG);
    }
    /* what was written before the failure is still a readable file */
    CHECK_INT(tshark(cert_path("capture-full.pcapng"), "-T fields -e frame.number", out,
                     sizeof out), ==, 2); /* a cut-off packet: tshark reads, then complains */
    CHECK_CONTAINS(out, "1\n2\n3\n");
}

/* tlshs_set_capture refuses what it cannot do, with a code, and changes nothing. */
TEST(test_set_capture_refusals) {
    tlshs_config *cc = client_config();
    tlshs *hs = cc ? tlshs_new(cc, "localhost") : NULL;
    CHECK(hs);
    CHECK_INT(tlshs_set_capture(NULL, "x"), ==, -1);
    CHECK_INT(tlshs_set_capture(hs, NULL), ==, -1);
    CHECK_INT(tlshs_usage_code(hs), ==, TLSHS_E_ARGUMENT);
    CHECK_INT(tlshs_set_capture(hs, ""), ==, -1);
    CHECK_INT(tlshs_usage_code(hs), ==, TLSHS_E_ARGUMENT);
    CHECK_INT(tlshs_set_capture(hs, "/nonexistent/dir/x.pcapng"), ==, -1);
    CHECK_INT(tlshs_usage_code(hs), ==, TLSHS_E_ARGUMENT);
    CHECK_CONTAINS(tlshs_usage_error(hs), "No such file or directory");
    CHECK_INT(tlshs_set_capture(hs, cert_path("capture-twice.pcapng")), ==, 0);
    CHECK_INT(tlshs_set_capture(hs, cert_path("capture-twice.pcapng")), ==, -1);
    CHECK_INT(tlshs_usage_code(hs), ==, TLSHS_E_STATE);
    tlshs_free(hs);
    hs = tlshs_new(cc, "localhost");
    CHECK(hs);
    CHECK_RESULT(tlshs_step(hs), TLSHS_WANT_WRITE);
    CHECK_INT(tlshs_set_capture(hs, cert_path("capture-late.pcapng")), ==, -1);
    CHECK_INT(tlshs_usage_code(hs), ==, TLSHS_E_STATE);
    tlshs_free(hs);
    tlshs_config_free(cc);
}
