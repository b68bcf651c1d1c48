/* files.c - the files keys name: opened without ever blocking (a FIFO
 * without a writer, a device), and read only when they are what the key
 * wants (a regular file, a directory); the key log, which may also be a
 * terminal, /dev/null or a FIFO someone reads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tlshs_internal.h"

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
int tlshs__file_open(tlshs_config *cfg, const char *key, const char *path, int flags, int dir,
                        const char *verb) {
    const char *want = dir ? "a directory" : "a regular file";
    struct stat st;
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666), e = errno;
    if (fd < 0 && (e == ENXIO || e == EISDIR || e == ENOTDIR) && stat(path, &st) == 0 &&
        !(dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
        tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: %s is %s, not %s", key, path, file_kind(st.st_mode), want);
        return -1;
    }
    if (fd < 0) {
        tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: cannot %s %s: %s", key, verb, path, strerror(e));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: cannot %s %s: %s", key, verb, path, strerror(e));
        return -1;
    }
    if (!(dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
        close(fd);
        tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: %s is %s, not %s", key, path, file_kind(st.st_mode), want);
        return -1;
    }
    return fd;
}

void tlshs__file_free(struct tlshs_file *f) {
    if (f->data) OPENSSL_cleanse(f->data, f->cap);
    free(f->data);
}

/* Reads the regular file path whole into f; -1 after failing cfg. */
int tlshs__file_read(tlshs_config *cfg, const char *key, const char *path, struct tlshs_file *f) {
    int fd = tlshs__file_open(cfg, key, path, O_RDONLY, 0, "read");
    *f = (struct tlshs_file){NULL, 0, 0};
    if (fd < 0) return -1;
    for (;;) {
        ssize_t n;
        if (f->len + 1 >= f->cap) {
            size_t cap = f->cap ? 2 * f->cap : 16384;
            char *grown = cap <= FILE_MAX ? malloc(cap) : NULL;
            if (!grown) {
                tlshs__config_fail_locked(cfg, cap <= FILE_MAX ? TLSHS_E_NOMEM : TLSHS_E_FILE, "%s: %s: %s", key, path,
                     cap <= FILE_MAX ? "out of memory" : "larger than 64 MiB");
                break;
            }
            if (f->data) memcpy(grown, f->data, f->len);
            tlshs__file_free(f);
            f->data = grown;
            f->cap = cap;
        }
        n = read(fd, f->data + f->len, f->cap - 1 - f->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: cannot read %s: %s", key, path, strerror(errno));
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
    tlshs__file_free(f);
    *f = (struct tlshs_file){NULL, 0, 0};
    return -1;
}

/* ---- the key log: a file, a terminal, /dev/null or a FIFO with a reader ---- */

/* see tlshs_internal.h */
int tlshs__file_open_log(tlshs_config *cfg, const char *key, const char *path) {
    struct stat st;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666), e = errno;
    if (fd < 0 && e == ENXIO && stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
        tlshs__config_fail_locked(cfg, TLSHS_E_FILE,
                                  "%s: %s is a FIFO no one reads (start its reader first)", key, path);
        return -1;
    }
    if (fd < 0 && e == EISDIR) {
        tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: %s is a directory", key, path);
        return -1;
    }
    if (fd < 0) {
        tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: cannot open %s: %s", key, path, strerror(e));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
        e = errno;
        close(fd);
        if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
            tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: cannot open %s: %s", key, path, strerror(e));
        else
            tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: %s is %s, not a file, a character device "
                                      "or a FIFO", key, path, file_kind(st.st_mode));
        return -1;
    }
    if (fcntl(fd, F_SETFL, O_APPEND) != 0) { /* blocking writes again */
        e = errno;
        close(fd);
        tlshs__config_fail_locked(cfg, TLSHS_E_FILE, "%s: cannot open %s: %s", key, path, strerror(e));
        return -1;
    }
    return fd;
}

/* see tlshs_internal.h */
void tlshs__log_line(int fd, const char *line) {
    char buf[512];
    size_t len = strlen(line);
    if (len < sizeof buf) { /* one write: lines from two threads never mix */
        memcpy(buf, line, len);
        buf[len] = '\n';
        tlshs__write_nosigpipe(fd, buf, len + 1);
    } else {
        tlshs__write_nosigpipe(fd, line, len);
        tlshs__write_nosigpipe(fd, "\n", 1);
    }
}

/* write() on an fd that is not a socket, without raising SIGPIPE: a SIGPIPE
   already pending (so blocked) stays pending, one this write raises is
   consumed.  SIGPIPE for a write is sent to the writing thread, so blocking
   it in this thread is enough. */
ssize_t tlshs__write_nosigpipe(int fd, const void *data, size_t len) {
    sigset_t pipe_set, pending, old;
    int was_pending, saved;
    ssize_t n;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;
    if (!was_pending && pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0) {
        errno = EPIPE; /* cannot block it: do not risk the write */
        return -1;
    }
    n = write(fd, data, len);
    saved = errno;
    if (!was_pending) {
        if (n < 0 && saved == EPIPE) {
            static const struct timespec no_wait = {0, 0};
            while (sigtimedwait(&pipe_set, NULL, &no_wait) < 0 && errno == EINTR) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    errno = saved;
    return n;
}
