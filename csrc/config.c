/* config.c - tlshs_config: one SSL_CTX, its keys, the checks made when the
   first handshake freezes it, and its reference count. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tlshs_internal.h"

void tlshs__format(char *buf, const char *fmt, va_list ap) {
    vsnprintf(buf, TLSHS_MSGLEN, fmt, ap);
}

const char *tlshs__openssl_reason(const char *fallback) {
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

/* ---- the config's error: written under its lock, read as a copy ----
   Each thread also keeps its own last failure on each config it used last
   (as errno does), so a thread reads why its own call failed even while
   other threads' calls fail on the same shared config.  Configs are told
   apart by a serial number, never by address (an address can be reused). */

static atomic_ulong config_serials;

static _Thread_local struct {
    unsigned long serial; /* the config this thread's last call failed or succeeded on; 0 none */
    tlshs_code code;
    char error[TLSHS_MSGLEN];
} mine;

static void vfail_locked(tlshs_config *cfg, tlshs_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vfail_locked(tlshs_config *cfg, tlshs_code code, const char *fmt, va_list ap) {
    cfg->error_code = code;
    tlshs__format(cfg->error, fmt, ap);
    mine.serial = cfg->serial;
    mine.code = code;
    memcpy(mine.error, cfg->error, sizeof mine.error);
    ERR_clear_error();
}

/* A call that succeeded clears the config's error (the caller holds its lock). */
static void succeeded_locked(tlshs_config *cfg) {
    cfg->error[0] = '\0';
    cfg->error_code = TLSHS_OK;
    mine.serial = cfg->serial;
    mine.code = TLSHS_OK;
    mine.error[0] = '\0';
}

/* Records why a call failed; the caller holds cfg->lock for writing (every
   setter, the freeze). */
static void fail(tlshs_config *cfg, tlshs_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(tlshs_config *cfg, tlshs_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail_locked(cfg, code, fmt, ap);
    va_end(ap);
}

/* The same from a caller that does not hold the lock (tlshs_new refusing a
   config other threads may be using). */
void tlshs__config_fail(tlshs_config *cfg, tlshs_code code, const char *fmt, ...) {
    va_list ap;
    int locked = CRYPTO_THREAD_write_lock(cfg->lock);
    va_start(ap, fmt);
    if (locked) vfail_locked(cfg, code, fmt, ap);
    va_end(ap);
    if (locked) CRYPTO_THREAD_unlock(cfg->lock);
    ERR_clear_error();
}

/* A password callback that never prompts: an encrypted key fails to load
   instead of blocking on the terminal. */
static int no_password(char *buf, int size, int rwflag, void *userdata) {
    (void)buf, (void)size, (void)rwflag, (void)userdata;
    return 0;
}

/* Each secret OpenSSL derives: to the keylog_file, and to the handshake's
   capture (a Decryption Secrets Block). */
static void keylog_line(const SSL *ssl, const char *line) {
    tlshs_config *cfg = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const tlshs *hs = SSL_get_app_data(ssl);
    if (cfg && cfg->keylog) {
        fprintf(cfg->keylog, "%s\n", line);
        fflush(cfg->keylog);
    }
    if (hs && hs->capture) tlshs__capture_secret(hs->capture, line);
}

void tlshs__config_hook_keylog(tlshs_config *cfg) {
    if (atomic_load(&cfg->keylog_hooked)) return;
    if (!CRYPTO_THREAD_write_lock(cfg->lock)) return;
    if (!atomic_load(&cfg->keylog_hooked)) {
        SSL_CTX_set_keylog_callback(cfg->ctx, keylog_line);
        atomic_store(&cfg->keylog_hooked, 1);
    }
    CRYPTO_THREAD_unlock(cfg->lock);
}

/* Server ALPN: the first protocol of ours, in our order, that the client offers. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg) {
    const tlshs_config *cfg = arg;
    (void)ssl;
    for (size_t i = 0; i < cfg->alpn_len; i += 1 + cfg->alpn[i]) {
        const unsigned char *ours = cfg->alpn + i;
        for (unsigned j = 0; j < inlen; j += 1u + in[j]) {
            if (j + 1u + in[j] > inlen) break;
            if (in[j] == ours[0] && memcmp(in + j + 1, ours + 1, ours[0]) == 0) {
                *out = in + j + 1;
                *outlen = in[j];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol, RFC 7301 */
}

tlshs_config *tlshs_config_new(tlshs_role role) { /* see tlshs.h */
    tlshs_config *cfg;
    if (role != TLSHS_CLIENT && role != TLSHS_SERVER) return NULL;
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) return NULL;
    cfg->ctx = SSL_CTX_new(role == TLSHS_CLIENT ? TLS_client_method() : TLS_server_method());
    cfg->lock = CRYPTO_THREAD_lock_new();
    if (!cfg->ctx || !cfg->lock) {
        SSL_CTX_free(cfg->ctx);
        CRYPTO_THREAD_lock_free(cfg->lock);
        ERR_clear_error();
        free(cfg);
        return NULL;
    }
    atomic_init(&cfg->refs, 1);
    atomic_init(&cfg->in_use, 0);
    atomic_init(&cfg->keylog_hooked, 0);
    cfg->serial = atomic_fetch_add(&config_serials, 1) + 1;
    cfg->role = role;
    cfg->verify = role == TLSHS_CLIENT ? TLSHS_VERIFY_PEER : TLSHS_VERIFY_NONE;
    SSL_CTX_set_app_data(cfg->ctx, cfg);
    SSL_CTX_set_min_proto_version(cfg->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(cfg->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(cfg->ctx, no_password);
    if (role == TLSHS_SERVER) {
        static const unsigned char sid_ctx[] = "tlshs";
        SSL_CTX_set_session_id_context(cfg->ctx, sid_ctx, sizeof sid_ctx - 1);
        SSL_CTX_set_dh_auto(cfg->ctx, 1); /* DHE suites can be chosen, as with openssl s_server */
        SSL_CTX_set_client_hello_cb(cfg->ctx, tlshs__on_client_hello, NULL);
    }
    cfg->security_level = -1;
    cfg->num_tickets = -1;
    return cfg;
}

/* ---- roles ---- */

_Static_assert(TLSHS_CLIENT == 0 && TLSHS_SERVER == 1, "role_names is indexed by tlshs_role");
static const char *const role_names[] = {"client", "server"};

const char *tlshs_role_name(tlshs_role role) { /* see tlshs.h */
    return (unsigned)role < sizeof role_names / sizeof role_names[0] ? role_names[role] : "unknown";
}

int tlshs_role_from_name(const char *name, tlshs_role *out) { /* see tlshs.h */
    for (size_t i = 0; name && out && i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (tlshs_role)i;
            return 0;
        }
    }
    return -1;
}

/* ---- the keys ---- */

/* A key's setter: checks value alone and applies it to cfg (the caller
   holds cfg->lock for writing), or fails cfg with the reason. */
typedef int (*key_setter)(tlshs_config *cfg, const tlshs_key_info *k, const char *value);

static int fail_openssl(tlshs_config *cfg, const char *key, const char *what) {
    fail(cfg, TLSHS_E_BAD_VALUE, "%s: %s: %s", key, what, tlshs__openssl_reason("unknown error"));
    return -1;
}

/* ---- files: opened without blocking, and only regular files read ---- */

#define FILE_MAX (64u << 20) /* far above any PEM bundle; a bigger file is a mistake */

static const char *file_kind(mode_t mode) {
    return S_ISDIR(mode)    ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
           : S_ISREG(mode)  ? "a regular file"
                            : "a special file";
}

/* Opens path with flags, never blocking (O_NONBLOCK: a FIFO without a
   writer, a device), and checks it is a regular file, or a directory when
   dir.  Returns the fd, or -1 after failing cfg with TLSHS_E_FILE. */
static int open_checked(tlshs_config *cfg, const char *key, const char *path, int flags, int dir,
                        const char *verb) {
    const char *want = dir ? "a directory" : "a regular file";
    struct stat st;
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666), e = errno;
    if (fd < 0 && (e == ENXIO || e == EISDIR || e == ENOTDIR) && stat(path, &st) == 0 &&
        !(dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
        fail(cfg, TLSHS_E_FILE, "%s: %s is %s, not %s", key, path, file_kind(st.st_mode), want);
        return -1;
    }
    if (fd < 0) {
        fail(cfg, TLSHS_E_FILE, "%s: cannot %s %s: %s", key, verb, path, strerror(e));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        fail(cfg, TLSHS_E_FILE, "%s: cannot %s %s: %s", key, verb, path, strerror(e));
        return -1;
    }
    if (!(dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
        close(fd);
        fail(cfg, TLSHS_E_FILE, "%s: %s is %s, not %s", key, path, file_kind(st.st_mode), want);
        return -1;
    }
    return fd;
}

/* A whole file in memory, NUL-terminated (for PEM); wiped when freed. */
struct file_data {
    char *data;
    size_t len, cap;
};

static void file_free(struct file_data *f) {
    if (f->data) OPENSSL_cleanse(f->data, f->cap);
    free(f->data);
}

/* Reads the regular file path whole into f; -1 after failing cfg. */
static int file_read(tlshs_config *cfg, const char *key, const char *path, struct file_data *f) {
    int fd = open_checked(cfg, key, path, O_RDONLY, 0, "read");
    *f = (struct file_data){NULL, 0, 0};
    if (fd < 0) return -1;
    for (;;) {
        ssize_t n;
        if (f->len + 1 >= f->cap) {
            size_t cap = f->cap ? 2 * f->cap : 16384;
            char *grown = cap <= FILE_MAX ? malloc(cap) : NULL;
            if (!grown) {
                fail(cfg, cap <= FILE_MAX ? TLSHS_E_NOMEM : TLSHS_E_FILE, "%s: %s: %s", key, path,
                     cap <= FILE_MAX ? "out of memory" : "larger than 64 MiB");
                break;
            }
            if (f->data) memcpy(grown, f->data, f->len);
            file_free(f);
            f->data = grown;
            f->cap = cap;
        }
        n = read(fd, f->data + f->len, f->cap - 1 - f->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            fail(cfg, TLSHS_E_FILE, "%s: cannot read %s: %s", key, path, strerror(errno));
            break;
        }
        if (n == 0) {
            close(fd);
            f->data[f->len] = '\0';
            return 0;
        }
        f->len += (size_t)n;
    }
    close(fd);
    file_free(f);
    *f = (struct file_data){NULL, 0, 0};
    return -1;
}

/* ---- trust anchors ---- */

static int set_ca_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    X509_STORE *store = SSL_CTX_get_cert_store(cfg->ctx);
    STACK_OF(X509_INFO) *infos = NULL;
    struct file_data f;
    BIO *bio;
    int ok = 1, count = 0;
    if (file_read(cfg, k->name, value, &f)) return -1;
    bio = BIO_new_mem_buf(f.data, (int)f.len);
    if (bio) infos = PEM_X509_INFO_read_bio(bio, NULL, no_password, NULL);
    BIO_free(bio);
    file_free(&f);
    if (!infos) return fail_openssl(cfg, k->name, value);
    /* what X509_STORE_load_file does: every certificate and CRL */
    for (int i = 0; ok && i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *info = sk_X509_INFO_value(infos, i);
        if (info->x509) ok = X509_STORE_add_cert(store, info->x509), count++;
        if (ok && info->crl) ok = X509_STORE_add_crl(store, info->crl), count++;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (!ok) return fail_openssl(cfg, k->name, value);
    if (count == 0) {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: %s: no PEM certificate or CRL found", k->name, value);
        return -1;
    }
    ERR_clear_error();
    cfg->has_ca = 1;
    return 0;
}

static int set_ca_path(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int fd = open_checked(cfg, k->name, value, O_RDONLY | O_DIRECTORY, 1, "open directory");
    if (fd < 0) return -1;
    close(fd);
    if (!SSL_CTX_load_verify_dir(cfg->ctx, value)) return fail_openssl(cfg, k->name, value);
    cfg->has_ca = 1;
    return 0;
}

static int set_ca_pem(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    X509_STORE *store = SSL_CTX_get_cert_store(cfg->ctx);
    X509 *x;
    int count = 0;
    if (!bio) return fail_openssl(cfg, k->name, "out of memory");
    while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL) {
        int ok = X509_STORE_add_cert(store, x);
        X509_free(x);
        if (!ok) {
            BIO_free(bio);
            return fail_openssl(cfg, k->name, "cannot add certificate");
        }
        count++;
    }
    BIO_free(bio);
    if (count == 0) {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: no PEM certificate found", k->name);
        return -1;
    }
    ERR_clear_error(); /* the end of input left PEM's "no start line" */
    cfg->has_ca = 1;
    return 0;
}

/* ---- the own certificate and key ---- */

static int note_own_cert(tlshs_config *cfg, X509 *leaf);

/* The certificate, then the chain sent with it, from PEM in bio (as
   SSL_CTX_use_certificate_chain_file reads a file).  label names the file
   in messages, NULL for PEM text.  Loaded at security level 0: the freeze
   checks them against the config's final level, whatever the keys' order. */
static int use_cert_chain(tlshs_config *cfg, const tlshs_key_info *k, BIO *bio, const char *label) {
    int level = SSL_CTX_get_security_level(cfg->ctx), ok;
    X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, no_password, NULL), *x;
    unsigned long err;
    if (!leaf) {
        if (label) fail(cfg, TLSHS_E_BAD_VALUE, "%s: %s: no PEM certificate found", k->name, label);
        else fail(cfg, TLSHS_E_BAD_VALUE, "%s: no PEM certificate found", k->name);
        return -1;
    }
    SSL_CTX_set_security_level(cfg->ctx, 0);
    ok = SSL_CTX_use_certificate(cfg->ctx, leaf) && SSL_CTX_clear_chain_certs(cfg->ctx) &&
         note_own_cert(cfg, leaf) == 0;
    X509_free(leaf);
    while (ok && (x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL)
        if (!(ok = SSL_CTX_add0_chain_cert(cfg->ctx, x))) X509_free(x);
    err = ERR_peek_last_error(); /* the end of the PEM, or a broken certificate */
    if (ok && !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) ok = 0;
    SSL_CTX_set_security_level(cfg->ctx, level);
    if (!ok) return fail_openssl(cfg, k->name, label ? label : "cannot use the certificate");
    ERR_clear_error();
    cfg->has_cert = 1;
    cfg->given_cert = 1;
    cfg->cert_key = k->name;
    return 0;
}

static int use_key(tlshs_config *cfg, const tlshs_key_info *k, BIO *bio, const char *label) {
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    int ok;
    if (!key) return fail_openssl(cfg, k->name, label ? label : "no usable PEM private key");
    ok = SSL_CTX_use_PrivateKey(cfg->ctx, key);
    EVP_PKEY_free(key);
    if (!ok) return fail_openssl(cfg, k->name, label ? label : "cannot use the key");
    cfg->has_key = 1;
    cfg->given_cert = 1;
    cfg->key_key = k->name;
    return 0;
}

/* Reads a file and hands it to use as PEM in memory. */
static int use_file(tlshs_config *cfg, const tlshs_key_info *k, const char *path,
                    int (*use)(tlshs_config *, const tlshs_key_info *, BIO *, const char *)) {
    struct file_data f;
    BIO *bio;
    int r;
    if (file_read(cfg, k->name, path, &f)) return -1;
    bio = BIO_new_mem_buf(f.data, (int)f.len);
    r = bio ? use(cfg, k, bio, path) : fail_openssl(cfg, k->name, "out of memory");
    BIO_free(bio);
    file_free(&f);
    return r;
}

static int set_cert_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return use_file(cfg, k, value, use_cert_chain);
}

static int set_key_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return use_file(cfg, k, value, use_key);
}

static int set_cert_pem(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    int r = bio ? use_cert_chain(cfg, k, bio, NULL) : fail_openssl(cfg, k->name, "out of memory");
    BIO_free(bio);
    return r;
}

static int set_key_pem(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    BIO *bio = BIO_new_mem_buf(value, -1);
    int r = bio ? use_key(cfg, k, bio, NULL) : fail_openssl(cfg, k->name, "out of memory");
    BIO_free(bio);
    return r;
}

/* ---- the other keys ---- */

static int set_verify(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    static const char *const levels[] = {"none", "peer", "require"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(value, levels[i]) == 0) {
            cfg->verify = (enum tlshs_verify)i;
            return 0;
        }
    }
    fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of none, peer, require", k->name, value);
    return -1;
}

/* Keys whose values OpenSSL's SSL_CONF_cmd parses. */
static int set_conf(tlshs_config *cfg, const tlshs_key_info *k, const char *cmd, const char *value) {
    SSL_CONF_CTX *cctx = SSL_CONF_CTX_new();
    int r;
    if (!cctx) return fail_openssl(cfg, k->name, "out of memory");
    SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE |
                                     (cfg->role == TLSHS_CLIENT ? SSL_CONF_FLAG_CLIENT
                                                                : SSL_CONF_FLAG_SERVER));
    SSL_CONF_CTX_set_ssl_ctx(cctx, cfg->ctx);
    r = SSL_CONF_cmd(cctx, cmd, value);
    SSL_CONF_CTX_free(cctx);
    if (r != 2) {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: OpenSSL rejected '%s': %s", k->name, value,
             tlshs__openssl_reason("bad value"));
        return -1;
    }
    ERR_clear_error();
    return 0;
}

/* The version keys' spellings: ours, then OpenSSL's, by protocol number. */
static const struct {
    const char *ours, *openssl;
    long number;
} versions[] = {{"1.0", "TLSv1", TLS1_VERSION},
                {"1.1", "TLSv1.1", TLS1_1_VERSION},
                {"1.2", "TLSv1.2", TLS1_2_VERSION},
                {"1.3", "TLSv1.3", TLS1_3_VERSION}};

static const char *version_name(long number) {
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (versions[i].number == number) return versions[i].ours;
    return "?";
}

/* "1.2" -> "TLSv1.2" (OpenSSL's spelling is accepted too), then SSL_CONF_cmd.
   Whether min_version and max_version leave a version is checked at the
   freeze (tlshs_config_check), so the order of the keys does not matter. */
static int set_version(tlshs_config *cfg, const tlshs_key_info *k, const char *cmd, const char *value) {
    const char *v = value;
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (strcmp(value, versions[i].ours) == 0) v = versions[i].openssl;
    if (strncmp(v, "TLSv", 4) != 0) { /* keep out SSLv3, DTLS and "None" */
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of 1.0, 1.1, 1.2, 1.3", k->name, value);
        return -1;
    }
    return set_conf(cfg, k, cmd, v);
}

static int set_min_version(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    if (set_version(cfg, k, "MinProtocol", value)) return -1;
    cfg->has_min = 1;
    return 0;
}

static int set_max_version(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_version(cfg, k, "MaxProtocol", value);
}

static int set_ciphers(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_conf(cfg, k, "CipherString", value);
}

static int set_ciphersuites(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_conf(cfg, k, "Ciphersuites", value);
}

static int set_groups(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_conf(cfg, k, "Groups", value);
}

static int set_sigalgs(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    return set_conf(cfg, k, "SignatureAlgorithms", value);
}

static int set_alpn(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    size_t n = strlen(value), out = 0;
    unsigned char *wire;
    const char *p = value;
    if (n == 0) {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: the list is empty", k->name);
        return -1;
    }
    if (n + 1 > 65535) { /* the wire form: a length byte for each protocol */
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: the list takes %zu bytes on the wire, above the 65535 "
             "that TLS allows (RFC 7301)", k->name, n + 1);
        return -1;
    }
    wire = malloc(n + 1);
    if (!wire) return fail_openssl(cfg, k->name, "out of memory");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len > 255) {
            free(wire);
            fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s': each protocol must be 1 to 255 bytes", k->name, value);
            return -1;
        }
        wire[out++] = (unsigned char)len;
        memcpy(wire + out, p, len);
        out += len;
        if (!comma) break;
        p = comma + 1;
    }
    if (cfg->role == TLSHS_CLIENT) {
        if (SSL_CTX_set_alpn_protos(cfg->ctx, wire, (unsigned)out) != 0) {
            free(wire);
            return fail_openssl(cfg, k->name, value);
        }
    } else {
        SSL_CTX_set_alpn_select_cb(cfg->ctx, alpn_select, cfg);
    }
    free(cfg->alpn);
    cfg->alpn = wire;
    cfg->alpn_len = out;
    return 0;
}

static int set_tickets(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    if (strcmp(value, "on") == 0) {
        SSL_CTX_clear_options(cfg->ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(cfg->ctx, 2);
    } else if (strcmp(value, "off") == 0) {
        SSL_CTX_set_options(cfg->ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(cfg->ctx, 0);
    } else {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of on, off", k->name, value);
        return -1;
    }
    return 0;
}

static int set_keylog_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int fd = open_checked(cfg, k->name, value, O_WRONLY | O_APPEND | O_CREAT, 0, "open");
    FILE *f;
    if (fd < 0) return -1;
    f = fcntl(fd, F_SETFL, O_APPEND) == 0 ? fdopen(fd, "a") : NULL; /* blocking writes again */
    if (!f) {
        fail(cfg, TLSHS_E_FILE, "%s: cannot open %s: %s", k->name, value, strerror(errno));
        close(fd);
        return -1;
    }
    if (cfg->keylog) fclose(cfg->keylog);
    cfg->keylog = f;
    SSL_CTX_set_keylog_callback(cfg->ctx, keylog_line);
    atomic_store(&cfg->keylog_hooked, 1);
    return 0;
}

/* Server DH parameters for TLS 1.2 DHE suites, instead of the automatic ones
   (chosen by the certificate's strength).  Applied at the freeze, where the
   security level is final. */
static int set_dh_params_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    struct file_data f;
    EVP_PKEY *dh = NULL;
    BIO *bio;
    if (file_read(cfg, k->name, value, &f)) return -1;
    bio = BIO_new_mem_buf(f.data, (int)f.len);
    if (bio) dh = PEM_read_bio_Parameters(bio, NULL);
    BIO_free(bio);
    file_free(&f);
    if (!dh || !(EVP_PKEY_is_a(dh, "DH") || EVP_PKEY_is_a(dh, "DHX"))) {
        EVP_PKEY_free(dh);
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: %s: no PEM DH parameters found", k->name, value);
        return -1;
    }
    ERR_clear_error();
    EVP_PKEY_free(cfg->dh_params);
    cfg->dh_params = dh;
    SSL_CTX_set_dh_auto(cfg->ctx, 0);
    return 0;
}

/* OpenSSL's security level, applied at the freeze (so it also wins over an
   @SECLEVEL in ciphers, whatever the order). */
static int set_security_level(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    if (value[0] < '0' || value[0] > '5' || value[1] != '\0') {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of 0, 1, 2, 3, 4, 5", k->name, value);
        return -1;
    }
    cfg->security_level = value[0] - '0';
    return 0;
}

/* ---- the keys of the moves and options (moves.c drives them) ---- */


/* A decimal count from 0 to max, digits only. */
static int parse_count(tlshs_config *cfg, const tlshs_key_info *k, const char *value,
                       unsigned long max, unsigned long *out) {
    unsigned long v = 0;
    const char *p = value;
    for (; *p >= '0' && *p <= '9' && v <= max; p++)
        v = v * 10 + (unsigned long)(*p - '0');
    if (p == value || *p != '\0' || v > max) {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not a count from 0 to %lu", k->name, value, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* on or off */
static int parse_switch(tlshs_config *cfg, const tlshs_key_info *k, const char *value, int *on) {
    if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0) {
        *on = value[1] == 'n';
        return 0;
    }
    fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of on, off", k->name, value);
    return -1;
}

#define MAX_TICKETS 100 /* far more than anyone tests; each is a message */

/* Applied at the freeze, where the tickets key is known whatever the order. */
static int set_num_tickets(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    unsigned long n;
    if (parse_count(cfg, k, value, MAX_TICKETS, &n)) return -1;
    cfg->num_tickets = (int)n;
    return 0;
}

/* A server accepts up to n bytes of 0-RTT data (0: none), with OpenSSL's
   anti-replay protection: a ticket allows early data once. */
static int set_max_early_data(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    unsigned long n;
    if (parse_count(cfg, k, value, 0xFFFFFFFFul, &n)) return -1;
    /* what the server may receive: what it accepts, and at least one full
       record of early data it rejects and skips */
    if (!SSL_CTX_set_max_early_data(cfg->ctx, (uint32_t)n) ||
        !SSL_CTX_set_recv_max_early_data(cfg->ctx, n > SSL3_RT_MAX_PLAIN_LENGTH ? (uint32_t)n
                                                                               : SSL3_RT_MAX_PLAIN_LENGTH))
        return fail_openssl(cfg, k->name, value);
    SSL_CTX_clear_options(cfg->ctx, SSL_OP_NO_ANTI_REPLAY);
    return 0;
}

static int set_post_handshake_auth(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int on;
    if (parse_switch(cfg, k, value, &on)) return -1;
    SSL_CTX_set_post_handshake_auth(cfg->ctx, on);
    return 0;
}

static int set_status_request(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    int on;
    if (parse_switch(cfg, k, value, &on)) return -1;
    if (!SSL_CTX_set_tlsext_status_type(cfg->ctx, on ? TLSEXT_STATUSTYPE_ocsp : -1))
        return fail_openssl(cfg, k->name, value);
    return 0;
}

/* The server's status callback, called when a client asks: staples a copy
   of the response (OpenSSL frees it with the connection). */
static int staple_ocsp(SSL *ssl, void *arg) {
    const tlshs_config *cfg = arg;
    unsigned char *copy = OPENSSL_memdup(cfg->ocsp, cfg->ocsp_len);
    if (!copy) return SSL_TLSEXT_ERR_NOACK;
    if (!SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)cfg->ocsp_len)) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
}

static int set_ocsp_response_file(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    struct file_data f;
    const unsigned char *p;
    OCSP_RESPONSE *resp;
    unsigned char *copy;
    if (file_read(cfg, k->name, value, &f)) return -1;
    p = (const unsigned char *)f.data;
    resp = f.len > 0 && f.len <= LONG_MAX ? d2i_OCSP_RESPONSE(NULL, &p, (long)f.len) : NULL;
    if (!resp || p != (const unsigned char *)f.data + f.len) {
        OCSP_RESPONSE_free(resp);
        file_free(&f);
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: %s: not a DER OCSP response", k->name, value);
        return -1;
    }
    OCSP_RESPONSE_free(resp);
    copy = malloc(f.len);
    if (!copy) {
        file_free(&f);
        return fail_openssl(cfg, k->name, "out of memory");
    }
    memcpy(copy, f.data, f.len);
    free(cfg->ocsp);
    cfg->ocsp = copy;
    cfg->ocsp_len = f.len;
    file_free(&f);
    SSL_CTX_set_tlsext_status_cb(cfg->ctx, staple_ocsp);
    SSL_CTX_set_tlsext_status_arg(cfg->ctx, cfg);
    return 0;
}

static int set_max_fragment_length(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    static const struct {
        const char *name;
        uint8_t mode;
    } lengths[] = {{"512", TLSEXT_max_fragment_length_512},
                   {"1024", TLSEXT_max_fragment_length_1024},
                   {"2048", TLSEXT_max_fragment_length_2048},
                   {"4096", TLSEXT_max_fragment_length_4096}};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
        if (strcmp(value, lengths[i].name) == 0) {
            if (!SSL_CTX_set_tlsext_max_fragment_length(cfg->ctx, lengths[i].mode))
                return fail_openssl(cfg, k->name, value);
            return 0;
        }
    fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%s' is not one of 512, 1024, 2048, 4096", k->name, value);
    return -1;
}

static void free_exts(struct custom_ext *exts, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(exts[i].data);
    free(exts);
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One "TYPE:HEX" item of len bytes at p into *ext; NULL, or why not. */
static const char *parse_ext(const char *p, size_t len, struct custom_ext *ext) {
    const char *colon = memchr(p, ':', len);
    unsigned long type = 0;
    size_t hex;
    if (!colon || colon == p) return "each item is TYPE:HEX (a decimal type, then its data in hex)";
    for (const char *q = p; q < colon; q++) {
        if (*q < '0' || *q > '9' || (type = type * 10 + (unsigned long)(*q - '0')) > 65535)
            return "the type must be a decimal number from 0 to 65535";
    }
    hex = len - (size_t)(colon + 1 - p);
    if (hex % 2) return "the data must be an even number of hex digits";
    if (hex / 2 > 65535) return "the data is longer than an extension may be (65535 bytes)";
    if (SSL_extension_supported((unsigned)type))
        return "OpenSSL handles that type itself: a custom extension cannot use it";
    ext->type = (unsigned)type;
    ext->len = hex / 2;
    ext->data = ext->len ? malloc(ext->len) : NULL;
    if (ext->len && !ext->data) return "out of memory";
    for (size_t i = 0; i < ext->len; i++) {
        int hi = hex_digit(colon[1 + 2 * i]), lo = hex_digit(colon[2 + 2 * i]);
        if (hi < 0 || lo < 0) {
            free(ext->data);
            ext->data = NULL;
            return "the data must be hex digits";
        }
        ext->data[i] = (unsigned char)(hi << 4 | lo);
    }
    return NULL;
}

/* Custom extensions this side sends (registered with OpenSSL at the freeze,
   moves.c): TYPE:HEX items, comma-separated. */
static int set_extensions(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    struct custom_ext *exts = NULL;
    size_t n = 0;
    const char *p = value, *why = NULL;
    if (*value == '\0') {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: the list is empty", k->name);
        return -1;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        struct custom_ext *grown = realloc(exts, (n + 1) * sizeof *exts);
        if (!grown) {
            why = "out of memory";
            break;
        }
        exts = grown;
        if ((why = parse_ext(p, len, &exts[n])) != NULL) break;
        for (size_t i = 0; i < n && !why; i++)
            if (exts[i].type == exts[n].type) why = "a type is named twice";
        n++;
        if (why || !comma) break;
        p = comma + 1;
    }
    if (why) {
        free_exts(exts, n);
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%.*s': %s", k->name, 64, p, why);
        return -1;
    }
    free_exts(cfg->exts, cfg->nexts);
    cfg->exts = exts;
    cfg->nexts = n;
    return 0;
}

/* The own certificate's PEM and SHA-256 fingerprint, for the getters. */
static int note_own_cert(tlshs_config *cfg, X509 *leaf) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL, *data;
    long len;
    if (!bio || !PEM_write_bio_X509(bio, leaf) || !X509_digest(leaf, EVP_sha256(), md, &mdlen) ||
        (len = BIO_get_mem_data(bio, &data)) <= 0 || !(pem = malloc((size_t)len + 1))) {
        BIO_free(bio);
        return -1;
    }
    memcpy(pem, data, (size_t)len);
    pem[len] = '\0';
    BIO_free(bio);
    free(cfg->cert_pem);
    cfg->cert_pem = pem;
    for (unsigned i = 0; i < mdlen && 3 * i + 3 <= sizeof cfg->fingerprint; i++)
        snprintf(cfg->fingerprint + 3 * i, 4, i + 1 < mdlen ? "%02X:" : "%02X", md[i]);
    return 0;
}

/* A throwaway P-256 key and a self-signed certificate for the name: CN and
   subjectAltName (DNS, or IP for an address), valid from an hour ago for 30
   days, a random serial, signed with SHA-256. */
static X509 *make_self_signed(EVP_PKEY *key, const char *name) {
    unsigned char addr[16], serial[16];
    int ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
    char san[300];
    X509 *x = X509_new();
    X509_NAME *subject = X509_NAME_new();
    BIGNUM *bn = NULL;
    X509_EXTENSION *ext = NULL;
    X509V3_CTX v3;
    int ok = x && subject && RAND_bytes(serial, sizeof serial) == 1;
    serial[0] &= 0x7F; /* positive */
    snprintf(san, sizeof san, "%s:%s", ip ? "IP" : "DNS", name);
    ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && X509_set_version(x, X509_VERSION_3) &&
         X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)name, -1, -1, 0) &&
         X509_set_subject_name(x, subject) && X509_set_issuer_name(x, subject) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) && X509_set_pubkey(x, key);
    if (ok) {
        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        ok = (ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san)) != NULL &&
             X509_add_ext(x, ext, -1) && X509_sign(x, key, EVP_sha256()) > 0;
    }
    X509_EXTENSION_free(ext);
    BN_free(bn);
    X509_NAME_free(subject);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int set_self_signed(tlshs_config *cfg, const tlshs_key_info *k, const char *value) {
    EVP_PKEY *key;
    X509 *x;
    int ok;
    if (*value == '\0' || strlen(value) > 255 || strpbrk(value, ",/\\\"'= \t\r\n")) {
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%.64s' is not a host name or an IP address", k->name, value);
        return -1;
    }
    if (!(key = EVP_EC_gen("P-256"))) return fail_openssl(cfg, k->name, "cannot make a P-256 key");
    if (!(x = make_self_signed(key, value))) {
        EVP_PKEY_free(key);
        fail(cfg, TLSHS_E_BAD_VALUE, "%s: '%.64s': cannot make the certificate: %s", k->name, value,
             tlshs__openssl_reason("refused by OpenSSL"));
        return -1;
    }
    ok = SSL_CTX_use_certificate(cfg->ctx, x) && SSL_CTX_clear_chain_certs(cfg->ctx) &&
         SSL_CTX_use_PrivateKey(cfg->ctx, key) && note_own_cert(cfg, x) == 0;
    X509_free(x);
    EVP_PKEY_free(key);
    if (!ok) return fail_openssl(cfg, k->name, "cannot use the certificate");
    cfg->has_cert = cfg->has_key = cfg->self_signed = 1;
    cfg->cert_key = cfg->key_key = k->name;
    return 0;
}

const char *tlshs_config_fingerprint(const tlshs_config *cfg) { /* see tlshs.h */
    return cfg ? cfg->fingerprint : "";
}

const char *tlshs_config_cert_pem(const tlshs_config *cfg) { /* see tlshs.h */
    return cfg ? cfg->cert_pem : NULL;
}

/* The table of tlshs.h, with each key's setter set_NAME beside it. */
static const tlshs_key_info key_infos[] = {
#define KEY_INFO(name, kind, roles, metavar, def, help) {#name, TLSHS_KEY_##kind, roles, metavar, def, help},
    TLSHS_CONFIG_KEYS(KEY_INFO)
#undef KEY_INFO
};

static const key_setter key_setters[] = {
#define KEY_SETTER(name, kind, roles, metavar, def, help) set_##name,
    TLSHS_CONFIG_KEYS(KEY_SETTER)
#undef KEY_SETTER
};

#define KEY_COUNT (sizeof key_infos / sizeof key_infos[0])

size_t tlshs_config_key_count(void) { /* see tlshs.h */
    return KEY_COUNT;
}

const tlshs_key_info *tlshs_config_key(size_t i) { /* see tlshs.h */
    return i < KEY_COUNT ? &key_infos[i] : NULL;
}

const tlshs_key_info *tlshs_config_key_find(const char *name) { /* see tlshs.h */
    for (size_t i = 0; name && i < KEY_COUNT; i++)
        if (strcmp(key_infos[i].name, name) == 0) return &key_infos[i];
    return NULL;
}

static const char *const kind_names[] = {"text", "path", "pem", "switch", "number", "list"};

const char *tlshs_key_kind_name(tlshs_key_kind kind) { /* see tlshs.h */
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "unknown";
}


int tlshs_config_set(tlshs_config *cfg, const char *key, const char *value) { /* see tlshs.h */
    if (!cfg) return -1;
    if (!key || !value) {
        tlshs__config_fail(cfg, TLSHS_E_ARGUMENT, "%s: %s is NULL", key ? key : "(null)",
                           key ? "value" : "key");
        return -1;
    }
    for (size_t i = 0; i < KEY_COUNT; i++) {
        const tlshs_key_info *k = &key_infos[i];
        int r = -1;
        if (strcmp(k->name, key) != 0) continue;
        if (!CRYPTO_THREAD_write_lock(cfg->lock)) return -1;
        if (atomic_load(&cfg->in_use)) {
            fail(cfg, TLSHS_E_IN_USE, "%s: config is in use by a handshake", key);
        } else if (!(k->roles & (1u << cfg->role))) {
            fail(cfg, TLSHS_E_BAD_VALUE, "%s: only a %s uses this key", key,
                 tlshs_role_name(cfg->role == TLSHS_CLIENT ? TLSHS_SERVER : TLSHS_CLIENT));
        } else {
            ERR_clear_error();
            r = key_setters[i](cfg, k, value);
            if (r == 0) succeeded_locked(cfg);
        }
        CRYPTO_THREAD_unlock(cfg->lock);
        return r;
    }
    tlshs__config_fail(cfg, TLSHS_E_UNKNOWN_KEY, "%s: unknown key", key);
    return -1;
}

/* Each thread reads a copy, made under the lock: another thread's failure
   can never change the string a caller holds. */
static _Thread_local char error_copy[TLSHS_MSGLEN];

const char *tlshs_config_error(const tlshs_config *cfg) { /* see tlshs.h */
    if (!cfg) return "";
    if (mine.serial == cfg->serial) return mine.error;
    if (!CRYPTO_THREAD_read_lock(cfg->lock)) return "";
    memcpy(error_copy, cfg->error, sizeof error_copy);
    CRYPTO_THREAD_unlock(cfg->lock);
    return error_copy;
}

tlshs_code tlshs_config_error_code(const tlshs_config *cfg) { /* see tlshs.h */
    tlshs_code code;
    if (!cfg) return TLSHS_E_ARGUMENT;
    if (mine.serial == cfg->serial) return mine.code;
    if (!CRYPTO_THREAD_read_lock(cfg->lock)) return TLSHS_E_NOMEM;
    code = cfg->error_code;
    CRYPTO_THREAD_unlock(cfg->lock);
    return code;
}

void tlshs_config_free(tlshs_config *cfg) { /* see tlshs.h */
    if (!cfg || atomic_fetch_sub(&cfg->refs, 1) != 1) return;
    SSL_CTX_free(cfg->ctx);
    CRYPTO_THREAD_lock_free(cfg->lock);
    if (cfg->keylog) fclose(cfg->keylog);
    EVP_PKEY_free(cfg->dh_params);
    free(cfg->alpn);
    free(cfg->ocsp);
    free_exts(cfg->exts, cfg->nexts);
    free(cfg->cert_pem);
    free(cfg);
}

/* ---- the checks of keys together, and the freeze ---- */

/* The bits of security each level asks of keys and signatures
   (SSL_CTX_set_security_level(3)). */
static const int level_bits[] = {0, 80, 112, 128, 192, 256};

/* The own certificates and their chains against the security level, as
   OpenSSL checks them when one is set (they were loaded at level 0): the
   key's bits, and the signature's unless the certificate is self-signed. */
static int check_certs_level(tlshs_config *cfg, int level) {
    int min = level_bits[level];
    if (level == 0) return 0;
    for (int more = SSL_CTX_set_current_cert(cfg->ctx, SSL_CERT_SET_FIRST); more;
         more = SSL_CTX_set_current_cert(cfg->ctx, SSL_CERT_SET_NEXT)) {
        X509 *leaf = SSL_CTX_get0_certificate(cfg->ctx);
        STACK_OF(X509) *chain = NULL;
        int n;
        SSL_CTX_get0_chain_certs(cfg->ctx, &chain);
        n = chain ? sk_X509_num(chain) : 0; /* sk_X509_num(NULL) is -1 */
        for (int i = -1; leaf && i < n; i++) {
            X509 *x = i < 0 ? leaf : sk_X509_value(chain, i);
            EVP_PKEY *pub = X509_get0_pubkey(x);
            int bits = pub ? EVP_PKEY_get_security_bits(pub) : -1;
            const char *what = "key";
            if (bits >= min && !(X509_get_extension_flags(x) & EXFLAG_SS)) {
                if (!X509_get_signature_info(x, NULL, NULL, &bits, NULL)) bits = -1;
                what = "signature";
            }
            if (bits < min) {
                fail(cfg, TLSHS_E_INCOMPLETE,
                     "%s: the %s certificate's %s gives %d bits of security, below the %d of "
                     "security_level %d",
                     cfg->cert_key, i < 0 ? "own" : "chain", what, bits, min, level);
                return -1;
            }
        }
    }
    return 0;
}

/* What tlshs_config_check checks; the caller holds the lock for writing. */
static int check_locked(tlshs_config *cfg) {
    long min = SSL_CTX_get_min_proto_version(cfg->ctx);
    long max = SSL_CTX_get_max_proto_version(cfg->ctx);
    int level;
    if (min && max && min > max) {
        fail(cfg, TLSHS_E_INCOMPLETE, "max_version: %s is below min_version %s%s: no version is left",
             version_name(max), version_name(min), cfg->has_min ? "" : " (the default)");
        return -1;
    }
    if (cfg->security_level >= 0) SSL_CTX_set_security_level(cfg->ctx, cfg->security_level);
    level = SSL_CTX_get_security_level(cfg->ctx);
    if (level > 5) level = 5;
    if (cfg->has_cert && cfg->has_key && !SSL_CTX_check_private_key(cfg->ctx)) {
        fail(cfg, TLSHS_E_INCOMPLETE, "%s: the key does not match the certificate (%s)", cfg->key_key,
             cfg->cert_key);
        return -1;
    }
    if (check_certs_level(cfg, level)) return -1;
    if (cfg->self_signed && cfg->given_cert) {
        /* OpenSSL keeps a certificate per key type: both would be served */
        fail(cfg, TLSHS_E_INCOMPLETE, "self_signed: the config also has a certificate or key "
             "from cert_file, cert_pem, key_file or key_pem: use one or the other");
        return -1;
    }
    if (cfg->num_tickets > 0 && (SSL_CTX_get_options(cfg->ctx) & SSL_OP_NO_TICKET)) {
        fail(cfg, TLSHS_E_INCOMPLETE, "num_tickets: %d tickets, but tickets is off", cfg->num_tickets);
        return -1;
    }
    if (cfg->dh_params) {
        EVP_PKEY *dh = cfg->dh_params;
        if (!EVP_PKEY_up_ref(dh)) return fail_openssl(cfg, "dh_params_file", "out of memory");
        if (!SSL_CTX_set0_tmp_dh_pkey(cfg->ctx, dh)) { /* takes the reference only on success */
            EVP_PKEY_free(dh);
            fail(cfg, TLSHS_E_INCOMPLETE, "dh_params_file: %d-bit parameters are below security_level %d",
                 EVP_PKEY_get_bits(dh), level);
            return -1;
        }
    }
    ERR_clear_error();
    return 0;
}

int tlshs_config_check(tlshs_config *cfg) { /* see tlshs.h */
    int r;
    if (!cfg) return -1;
    if (atomic_load(&cfg->in_use)) return 0;
    if (!CRYPTO_THREAD_write_lock(cfg->lock)) return -1;
    r = atomic_load(&cfg->in_use) ? 0 : check_locked(cfg);
    if (r == 0) succeeded_locked(cfg);
    CRYPTO_THREAD_unlock(cfg->lock);
    return r;
}

/* The system trust store: loaded once per process (OpenSSL reads the bundle
   and notes the hashed directory, honouring SSL_CERT_FILE and SSL_CERT_DIR),
   then shared by every client config with no ca_* key.  OpenSSL counts its
   references; nothing of ours ever adds to it. */
static CRYPTO_ONCE system_store_once = CRYPTO_ONCE_STATIC_INIT;
static X509_STORE *system_store;

static void load_system_store(void) {
    X509_STORE *store = X509_STORE_new();
    if (store && !X509_STORE_set_default_paths(store)) {
        X509_STORE_free(store);
        store = NULL;
    }
    system_store = store;
}

static int freeze_locked(tlshs_config *cfg);

/* The chain each own certificate goes out with.  Unless told otherwise
   OpenSSL builds it from the trust store, and verifies it, on every
   handshake: 2.5 million instructions each time when the store holds the
   issuer (a server that verifies clients, a client with a certificate).
   The config is read-only from here, so the chain is built once: the same
   chain auto-chaining would send, errors ignored as there.  A chain given
   with the certificate (cert_file, cert_pem) is kept as given. */
static void build_chains(tlshs_config *cfg) {
    int more = SSL_CTX_set_current_cert(cfg->ctx, SSL_CERT_SET_FIRST);
    while (more) {
        STACK_OF(X509) *chain = NULL;
        SSL_CTX_get0_chain_certs(cfg->ctx, &chain);
        if (sk_X509_num(chain) <= 0)
            SSL_CTX_build_cert_chain(cfg->ctx, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR |
                                                   SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR);
        more = SSL_CTX_set_current_cert(cfg->ctx, SSL_CERT_SET_NEXT);
    }
    SSL_CTX_set_mode(cfg->ctx, SSL_MODE_NO_AUTO_CHAIN);
}

/* Checks that cfg can make handshakes and applies what waits for the first
   one (the checks of keys together, the verify mode, the system store);
   from then on cfg is read-only.  Once, under the config's lock, whichever
   thread comes first.  Returns 0, or -1 with the reason in cfg->error. */
int tlshs__config_freeze(tlshs_config *cfg) {
    int r;
    if (atomic_load(&cfg->in_use)) return 0; /* the fast path of every later handshake */
    if (!CRYPTO_THREAD_write_lock(cfg->lock)) return -1;
    r = atomic_load(&cfg->in_use) ? 0 : freeze_locked(cfg);
    CRYPTO_THREAD_unlock(cfg->lock);
    return r;
}

static int freeze_locked(tlshs_config *cfg) {
    static const int modes[] = {SSL_VERIFY_NONE, SSL_VERIFY_PEER,
                                SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT};
    if (cfg->role == TLSHS_SERVER && !cfg->has_cert) {
        fail(cfg, TLSHS_E_INCOMPLETE, "cert_file: a server needs a certificate (cert_file or cert_pem)");
        return -1;
    }
    if (cfg->has_cert != cfg->has_key) {
        fail(cfg, TLSHS_E_INCOMPLETE, cfg->has_cert ? "key_file: the certificate has no key (key_file or key_pem)"
                                                    : "cert_file: the key has no certificate (cert_file or cert_pem)");
        return -1;
    }
    if (check_locked(cfg)) return -1;
    if (cfg->role == TLSHS_CLIENT && !cfg->has_ca && cfg->verify != TLSHS_VERIFY_NONE) {
        if (!CRYPTO_THREAD_run_once(&system_store_once, load_system_store) || !system_store) {
            fail(cfg, TLSHS_E_FILE, "ca_file: cannot load the system trust store: %s",
                 tlshs__openssl_reason("unknown error"));
            return -1;
        }
        SSL_CTX_set1_cert_store(cfg->ctx, system_store); /* one more reference */
    }
    SSL_CTX_set_verify(cfg->ctx, modes[cfg->verify], tlshs__on_verify);
    build_chains(cfg);
    if (tlshs__bind_sessions(cfg)) return -1;
    if (cfg->num_tickets >= 0) SSL_CTX_set_num_tickets(cfg->ctx, (size_t)cfg->num_tickets);
    if (!cfg->exts_added && tlshs__add_custom_exts(cfg)) {
        fail(cfg, TLSHS_E_INCOMPLETE, "extensions: OpenSSL refused a type: %s",
             tlshs__openssl_reason("unknown reason"));
        return -1;
    }
    cfg->exts_added = 1;
    ERR_clear_error();
    atomic_store(&cfg->in_use, 1);
    return 0;
}
