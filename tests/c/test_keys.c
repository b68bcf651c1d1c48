/*
 * test_keys.c - the key table (TLSHS_CONFIG_KEYS) and what is made from it:
 * tlshs_config_key, the setters of tlshs_config_set, the roles each key
 * is refused for, and the key table of tlshs(3); and the usage code, which
 * speaks of the last call that can be refused.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define TEST_ENTRY(name) void name(void);
#include "list_keys.h"
#undef TEST_ENTRY

/* A key's roles as the documents' tables write them: "both", "client", "server". */
static const char *roles_word(const tlshs_key_info *k) {
    return k->roles == 3 ? "both" : tlshs_role_name(k->roles == 1 ? TLSHS_CLIENT : TLSHS_SERVER);
}

/* Every row is whole, names are unique, and the look-ups agree. */
TEST(test_key_table_rows) {
    size_t n = tlshs_config_key_count();
    CHECK_INT(n, ==, 34);
    CHECK(tlshs_config_key(n) == NULL);
    CHECK(tlshs_config_key((size_t)-1) == NULL);
    CHECK(tlshs_config_key_find(NULL) == NULL);
    CHECK(tlshs_config_key_find("no_such_key") == NULL);
    CHECK(tlshs_config_key_find("CA_FILE") == NULL);
    for (size_t i = 0; i < n; i++) {
        const tlshs_key_info *k = tlshs_config_key(i);
        CHECK(k && k->name && k->metavar && k->help);
        CHECK(*k->name && *k->metavar && *k->help);
        CHECK(k->roles >= 1 && k->roles <= 3);
        CHECK(strcmp(tlshs_key_kind_name(k->kind), "unknown") != 0);
        CHECK(tlshs_config_key_find(k->name) == k);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(tlshs_config_key(j)->name, k->name) != 0);
    }
    CHECK_STR(tlshs_key_kind_name(TLSHS_KEY_TEXT), "text");
    CHECK_STR(tlshs_key_kind_name(TLSHS_KEY_PATH), "path");
    CHECK_STR(tlshs_key_kind_name(TLSHS_KEY_PEM), "pem");
    CHECK_STR(tlshs_key_kind_name(TLSHS_KEY_SWITCH), "switch");
    CHECK_STR(tlshs_key_kind_name(TLSHS_KEY_NUMBER), "number");
    CHECK_STR(tlshs_key_kind_name(TLSHS_KEY_LIST), "list");
    CHECK_STR(tlshs_key_kind_name((tlshs_key_kind)99), "unknown");
    /* a few rows pinned, so a row edited by mistake shows */
    CHECK_INT(tlshs_config_key_find("ca_file")->kind, ==, TLSHS_KEY_PATH);
    CHECK_INT(tlshs_config_key_find("tickets")->kind, ==, TLSHS_KEY_SWITCH);
    CHECK_INT(tlshs_config_key_find("num_tickets")->roles, ==, 2);
    CHECK_INT(tlshs_config_key_find("status_request")->roles, ==, 1);
    CHECK_INT(tlshs_config_key_find("alpn")->kind, ==, TLSHS_KEY_LIST);
    CHECK_STR(tlshs_config_key_find("tickets")->def, "on");
}

/* Every key of the table reaches its own setter (the message names it, and
   is never "unknown key"), and a key of one role is refused on the other's
   config before its value is looked at. */
TEST(test_key_table_setters_and_roles) {
    for (size_t i = 0; i < tlshs_config_key_count(); i++) {
        const tlshs_key_info *k = tlshs_config_key(i);
        for (int role = TLSHS_CLIENT; role <= TLSHS_SERVER; role++) {
            tlshs_config *cfg = tlshs_config_new((tlshs_role)role);
            char want[96];
            int r;
            CHECK(cfg);
            /* a value no key takes: a directory for the files, an identity
               longer than PSK_MAX_IDENTITY_LEN (256), else empty items */
            char long_id[300];
            memset(long_id, 'x', sizeof long_id - 1);
            long_id[sizeof long_id - 1] = '\0';
            r = tlshs_config_set(cfg, k->name, k->kind == TLSHS_KEY_PATH             ? "/"
                                               : strcmp(k->name, "psk_identity") == 0 ? long_id
                                                                                      : ",,");
            snprintf(want, sizeof want, "%s: ", k->name);
            if (!(k->roles & (1u << role))) {
                CHECK_INT(r, ==, -1);
                CHECK_INT(tlshs_config_error_code(cfg), ==, TLSHS_E_BAD_VALUE);
                snprintf(want, sizeof want, "%s: only a %s uses this key", k->name,
                         tlshs_role_name(role == TLSHS_CLIENT ? TLSHS_SERVER : TLSHS_CLIENT));
                CHECK_STR(tlshs_config_error(cfg), want);
            } else if (k->kind == TLSHS_KEY_PATH && strcmp(k->name, "ca_path") == 0) {
                CHECK_INT(r, ==, 0); /* "/" is a directory: ca_path takes it */
            } else {
                CHECK_INT(r, ==, -1);
                CHECK(tlshs_config_error_code(cfg) != TLSHS_E_UNKNOWN_KEY);
                CHECK(strncmp(tlshs_config_error(cfg), want, strlen(want)) == 0);
            }
            tlshs_config_free(cfg);
        }
    }
}

/* The key table of tlshs(3) lists every key, in the table's order, with its
   kind, roles and value form: ".It Cm NAME Ta KIND Ta ROLES Ta METAVAR". */
TEST(test_key_table_man_page) {
    FILE *f = fopen("man/tlshs.3", "r");
    char line[512];
    size_t i = 0;
    CHECK(f);
    while (fgets(line, sizeof line, f)) {
        const tlshs_key_info *k = tlshs_config_key(i);
        char want[512];
        const char *roles;
        if (strncmp(line, ".It Cm ", 7) != 0 || !strstr(line, " Ta ")) continue;
        line[strcspn(line, "\n")] = '\0';
        if (!k) break;
        roles = roles_word(k);
        snprintf(want, sizeof want, ".It Cm %s Ta %s Ta %s Ta Li %s", k->name, tlshs_key_kind_name(k->kind),
                 roles, k->metavar);
        if (strcmp(line, want) != 0) fclose(f);
        CHECK_STR(line, want);
        i++;
    }
    fclose(f);
    CHECK_INT(i, ==, tlshs_config_key_count());
}

/* The README's key table: every key, in the table's order, each row
   "| `NAME` | KIND | ROLES | `METAVAR` | DEFAULT | HELP |" (a | in the
   metavar written \|, as Markdown tables need). */
TEST(test_key_table_readme) {
    FILE *f = fopen("README.md", "r");
    char line[1024];
    size_t i = 0;
    CHECK(f);
    while (fgets(line, sizeof line, f)) {
        const tlshs_key_info *k = tlshs_config_key(i);
        char want[1024], meta[128];
        size_t m = 0;
        if (strncmp(line, "| `", 3) != 0 || !k || strncmp(line + 3, k->name, strlen(k->name)) != 0 ||
            line[3 + strlen(k->name)] != '`')
            continue;
        line[strcspn(line, "\n")] = '\0';
        for (const char *p = k->metavar; *p && m + 2 < sizeof meta; p++) {
            if (*p == '|') meta[m++] = '\\';
            meta[m++] = *p;
        }
        meta[m] = '\0';
        snprintf(want, sizeof want, "| `%s` | %s | %s | `%s` | %s | %s |", k->name, tlshs_key_kind_name(k->kind),
                 roles_word(k), meta,
                 k->def ? k->def : "none", k->help);
        if (strcmp(line, want) != 0) fclose(f);
        CHECK_STR(line, want);
        i++;
    }
    fclose(f);
    CHECK_INT(i, ==, tlshs_config_key_count());
}

/* The code table of tlshs(3) ("Error codes") has a row for every code but
   TLSHS_OK: ".It Dv TLSHS_E_X Ta name Ta ...". */
TEST(test_code_table_man_page) {
#define CODE_ROW(value, NAME, name, description) {value, "TLSHS_" #NAME, #name},
    static const struct {
        int value;
        const char *constant, *name;
    } codes[] = {TLSHS_CODES(CODE_ROW)};
#undef CODE_ROW
    static char page[300000];
    FILE *f = fopen("man/tlshs.3", "r");
    size_t n;
    CHECK(f);
    n = fread(page, 1, sizeof page - 1, f);
    fclose(f);
    page[n] = '\0';
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char row[160];
        if (codes[i].value == TLSHS_OK) continue;
        snprintf(row, sizeof row, ".It Dv %s Ta %s Ta ", codes[i].constant, codes[i].name);
        if (!strstr(page, row)) check_fail(__FILE__, __LINE__, "tlshs(3) has no row \"%s\"", row);
        CHECK(strstr(page, row));
    }
}

/* The usage code speaks of the last call that can be refused: a refusal
   sets it, the next call clears it, whatever kind of call it is. */
TEST(test_usage_code_cleared_by_each_call) {
    tlshs_config *cc = client_config(), *sc = server_config();
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    unsigned char buf[64];
    size_t n;
    CHECK(c && s);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_OK);
    CHECK_STR(tlshs_usage_error(c), "");
    CHECK_RESULT(tlshs_read(c, NULL, 0, &n), TLSHS_WANT_READ); /* refused: no buffer */
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_ARGUMENT);
    CHECK_CONTAINS(tlshs_usage_error(c), "read:");
    CHECK_RESULT(tlshs_step(c), TLSHS_WANT_WRITE);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_OK);
    CHECK_STR(tlshs_usage_error(c), "");
    CHECK_INT(tlshs_set_hello_cb(c, NULL, NULL), ==, -1); /* a client: refused */
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_STATE);
    CHECK(tlshs_take(c, buf, sizeof buf) > 0);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_OK);
    CHECK_INT(tlshs_set_fd(c, -1), ==, -1);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_STATE);
    CHECK_INT(tlshs_feed(c, "", 0), ==, 0);
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_OK);
    CHECK_RESULT(tlshs_key_update(c, 0), TLSHS_WANT_WRITE); /* refused: not open */
    CHECK_INT(tlshs_usage_code(c), ==, TLSHS_E_STATE);
    CHECK_INT(tlshs_feed_eof(s), ==, 0);
    CHECK_INT(tlshs_feed(s, "x", 1), ==, -1);
    CHECK_INT(tlshs_usage_code(s), ==, TLSHS_E_STATE);
    CHECK_RESULT(tlshs_shutdown(s), TLSHS_CLOSED);
    CHECK_INT(tlshs_usage_code(s), ==, TLSHS_OK);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(cc);
    tlshs_config_free(sc);
}

/* ---- the key log: a file, a terminal, /dev/null, or a FIFO with a reader ---- */

static void keylog_alarm(int sig) {
    static const char msg[] = "test_keylog_file_kinds: blocked opening a FIFO\n";
    (void)sig;
    write(2, msg, sizeof msg - 1);
    _exit(2);
}

/* One handshake pair with the client config cc; 1 if both ended DONE. */
static int one_handshake(tlshs_config *cc) {
    tlshs_config *sc = server_config();
    tlshs *c = tlshs_new(cc, "localhost"), *s = tlshs_new(sc, NULL);
    int ok = c && s && pump(c, s, 20);
    tlshs_free(c);
    tlshs_free(s);
    tlshs_config_free(sc);
    return ok;
}

/* /dev/null and a FIFO someone reads are taken (the lines reach the
   reader); a FIFO no one reads and a directory are refused with TLSHS_E_FILE
   at once, without blocking. */
TEST(test_keylog_file_kinds) {
    char fifo[512], dir[512], got[4096];
    tlshs_config *cfg;
    int reader;
    ssize_t n;
    snprintf(fifo, sizeof fifo, "%s", cert_path("keylog.fifo"));
    snprintf(dir, sizeof dir, "%s", cert_path("."));
    unlink(fifo);
    CHECK_INT(mkfifo(fifo, 0600), ==, 0);
    signal(SIGALRM, keylog_alarm);
    alarm(10);
    cfg = client_config();
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(cfg, "keylog_file", fifo), ==, -1);
    CHECK_INT(tlshs_config_error_code(cfg), ==, TLSHS_E_FILE);
    CHECK_CONTAINS(tlshs_config_error(cfg), "keylog_file: ");
    CHECK_CONTAINS(tlshs_config_error(cfg), "a FIFO no one reads");
    CHECK_INT(tlshs_config_set(cfg, "keylog_file", dir), ==, -1);
    CHECK_INT(tlshs_config_error_code(cfg), ==, TLSHS_E_FILE);
    CHECK_CONTAINS(tlshs_config_error(cfg), "is a directory");
    CHECK_INT(tlshs_config_set(cfg, "keylog_file", "/dev/null"), ==, 0);
    CHECK(one_handshake(cfg));
    tlshs_config_free(cfg);
    /* a FIFO with a reader: the secrets arrive there, one line each */
    reader = open(fifo, O_RDONLY | O_NONBLOCK);
    CHECK(reader >= 0);
    cfg = client_config();
    CHECK(cfg);
    CHECK_INT(tlshs_config_set(cfg, "keylog_file", fifo), ==, 0);
    CHECK(one_handshake(cfg));
    n = read(reader, got, sizeof got - 1);
    got[n > 0 ? n : 0] = '\0';
    CHECK_CONTAINS(got, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ");
    CHECK_CONTAINS(got, "\nSERVER_TRAFFIC_SECRET_0 ");
    /* the reader leaves: the next lines are lost, and no SIGPIPE ends us */
    close(reader);
    CHECK(one_handshake(cfg));
    tlshs_config_free(cfg);
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    unlink(fifo);
}
