/*
 * tlshs_py.h - private header of the C layer of the Python package,
 * tlshs._tlshs: what the files beside it share.  Nothing here is public.
 *
 *   py_module.c     what the package hands over at import (_setup,
 *                   _setup_hello), raising tlshs.Error's classes, the
 *                   guard's wait, argument conversion
 *   py_config.c     ConfigHandle, the base of tlshs.Config
 *   py_handshake.c  HandshakeHandle, the base of tlshs.Handshake: its
 *                   driving calls (step, feed, take, read, write, shutdown,
 *                   on_timeout, the moves, 0-RTT), refusals
 *   py_hello.c      the parsed ClientHello and on_client_hello
 *   py_records.c    _records, _record_write, _refragment, _pair,
 *                   _content_types
 *   tlshs.i         the SWIG interface: typemaps and declarations for every
 *                   other function of tlshs.h, which take a handle where the
 *                   C function takes the pointer
 *
 * The guard: each handle has one.  Every call on a handle, method or SWIG
 * function, enters it first (one inline check of a flag under the GIL) and
 * leaves it when the C call returns.  A thread that finds another thread
 * inside (only possible while that one has released the GIL, in step,
 * read, write or shutdown) waits, without the GIL, until it leaves: calls on
 * one object from several threads run one at a time, as the core requires.
 * A closed handle (pointer NULL) raises tlshs.StateError; the check is the
 * same compare that reads the pointer.
 *
 * Failures raise tlshs.Error's subclass for the C code (tlshs_usage_code,
 * tlshs_config_error_code) with the C message: the package hands the
 * classes over at import (_setup).  No SWIG message reaches a user: every
 * argument is converted by a typemap or a function here that says what it
 * wanted.
 *
 * Bytes in (feed, write, set_session): any bytes-like object; its Py_buffer
 * is held until the C call returns.  Bytes out (take, read, session): the
 * wrapper allocates a bytes object of the size asked for, the C function
 * writes into it, and it is shrunk to what was written: one copy.
 *
 * The GIL is released around tlshs_step, tlshs_read, tlshs_write,
 * tlshs_shutdown, tlshs_on_timeout (which may wait out a timer), the moves (tlshs_key_update, tlshs_renegotiate,
 * tlshs_request_client_cert), tlshs_write_early / tlshs_read_early (all
 * methods of HandshakeHandle) and tlshs_pair (cryptographic work and
 * socket I/O), and held everywhere else.
 *
 * The small helpers every call passes through (tlshs_py_result, the guard's
 * take and leave, tlshs_py_enter) are static inline here, so that a call
 * costs what it did when all of this was one file.
 */
#ifndef TLSHS_PY_H
#define TLSHS_PY_H

#ifndef PY_SSIZE_T_CLEAN
#define PY_SSIZE_T_CLEAN
#endif
#include <Python.h>
#include <limits.h>
#include <pythread.h>
#include <string.h>

#include "tlshs.h"

/* ---- what the package hands over at import (_setup), py_module.c ---- */

extern PyObject *tlshs_py_results;     /* tuple: tlshs_result value -> tlshs.Result member */
extern PyObject *tlshs_py_errors;      /* tuple: tlshs_code value -> exception class */
extern PyObject *tlshs_py_error;       /* tlshs.Error, for a code beyond tlshs_py_errors */
extern PyObject *tlshs_py_hello_class; /* tlshs.ClientHello, the class of a parsed ClientHello */

/* The tlshs.Result member of r (a new reference). */
static inline PyObject *tlshs_py_result(tlshs_result r) {
    PyObject *o;
    if (tlshs_py_results && (size_t)r < (size_t)PyTuple_GET_SIZE(tlshs_py_results)) {
        o = PyTuple_GET_ITEM(tlshs_py_results, r);
        Py_INCREF(o);
        return o;
    }
    return PyLong_FromLong((long)r);
}

/* A C message as a str; bytes that are not UTF-8 (a path's) read \xNN. */
PyObject *tlshs_py_text(const char *message);
/* Raises the class of code (tlshs.Error or its subclass) with text; steals text. */
void tlshs_py_raise_text(int code, PyObject *text);
/* The same with a C message. */
void tlshs_py_raise(int code, const char *message);

PyObject *tlshs_py_setup(PyObject *self, PyObject *args);
PyObject *tlshs_py_setup_hello(PyObject *self, PyObject *args);
/* __enter__ of both handles: answers self. */
PyObject *tlshs_py_self(PyObject *self, PyObject *unused);

/* ---- the guard ---- */

typedef struct {
    PyThread_type_lock gate; /* made at the first wait; waiting threads block on it */
    unsigned long owner;     /* the thread inside, while busy (0 while handed over) */
    unsigned long waits;     /* how many calls have waited so far (for the tests) */
    int waiters;             /* threads blocked on gate */
    int busy;                /* a thread is inside a call on the object, or it is
                                being handed to a waiter */
    int handoff;             /* the guard is handed to the next waiter to wake */
    int in_callback;         /* the owner runs a callback of the object (on_client_hello):
                                its reading calls re-enter, the others are refused */
} tlshs_py_guard;

/* Called with busy set: waits, without the GIL, until the guard is handed
   to this thread, and answers with it taken (py_module.c). */
int tlshs_py_wait(tlshs_py_guard *g);

/* Takes the guard: at once if free (one flag under the GIL), else waits. */
static inline int tlshs_py_take(tlshs_py_guard *g) {
    if (g->busy)
        return tlshs_py_wait(g);
    g->busy = 1;
    g->owner = PyThread_get_thread_ident();
    return 0;
}

/* Leaves the guard, or hands it to a waiting thread. */
static inline void tlshs_py_leave(tlshs_py_guard *g) {
    if (g->waiters) {
        g->owner = 0;
        g->handoff = 1;
        PyThread_release_lock(g->gate);
    } else {
        g->busy = 0;
    }
}

/* ---- arguments (py_module.c) ---- */

/* A str (UTF-8) or bytes, without NUL, for a const char * parameter. */
int tlshs_py_cstr(PyObject *o, const char *name, const char **out);
/* An int (not a bool) within [lo, hi]. */
int tlshs_py_long(PyObject *o, const char *name, long long lo, long long hi, long long *out);
/* An optional size (n=-1 style): absent gives dflt. */
int tlshs_py_size_arg(PyObject *const *args, Py_ssize_t nargs, const char *func, Py_ssize_t dflt,
                      Py_ssize_t *out);

/* ---- ConfigHandle (py_config.c) ---- */

typedef struct {
    PyObject_HEAD
    tlshs_config *cfg; /* owned (one reference); NULL once closed */
    PyObject *weakrefs;
    int role;
    tlshs_py_guard guard;
} tlshs_py_config;

extern PyTypeObject tlshs_py_config_type;

/* Takes the config's guard; raises StateError for a closed config. */
int tlshs_py_config_enter(tlshs_py_config *self);

/* ---- HandshakeHandle (py_handshake.c) ---- */

typedef struct {
    PyObject_HEAD
    tlshs *hs;           /* owned; NULL before _open and once closed */
    PyObject *config;    /* the Config it was made from, kept alive; NULL once closed */
    PyObject *sock;      /* fd mode: the socket object, kept alive; else NULL */
    PyObject *hello_cb;  /* on_client_hello, or NULL; dropped by close */
    PyObject *hello_exc; /* the exception that made on_client_hello refuse, or NULL */
    PyObject *weakrefs;
    int hello_reraise;   /* hello_exc is no Exception (KeyboardInterrupt, SystemExit):
                            the call that ran the callback raises it too */
    tlshs_py_guard guard;
} tlshs_py_handshake;

extern PyTypeObject tlshs_py_handshake_type;

/* Takes the handshake's guard; raises StateError for a closed handshake. */
static inline int tlshs_py_enter(tlshs_py_handshake *self) {
    if (tlshs_py_take(&self->guard) < 0)
        return -1;
    if (!self->hs) {
        tlshs_py_leave(&self->guard);
        tlshs_py_raise(TLSHS_E_STATE, "the handshake is closed");
        return -1;
    }
    return 0;
}

/* For the calls that only read (the const tlshs * functions, pending,
   result): as tlshs_py_enter, except inside this thread's on_client_hello,
   where the guard is this thread's already and the call goes in without
   taking it.  Answers 1 when it took the guard (leave it after), 0 when it
   went in without, -1 when it raised. */
static inline int tlshs_py_enter_read(tlshs_py_handshake *self) {
    if (self->guard.in_callback && self->guard.owner == PyThread_get_thread_ident())
        return 0;
    return tlshs_py_enter(self) < 0 ? -1 : 1;
}

/* Refusals (see py_handshake.c): whether the call just made on the
   handshake was refused (each call that can be refused clears the code
   when it starts). */
static inline int tlshs_py_refused(const tlshs_py_handshake *self) {
    return tlshs_usage_code(self->hs) != TLSHS_OK;
}

/* Raises the core's reason for the refused call on hs. */
void tlshs_py_raise_refusal(tlshs *hs);
/* Leaves the guard, then raises the usage error read while inside it. */
PyObject *tlshs_py_leave_refused(tlshs_py_handshake *self);

/* Takes the exception being raised, normalized, with its traceback (a new
   reference; NULL if none), and clears it. */
PyObject *tlshs_py_fetch(void);

/* ---- the parsed ClientHello and on_client_hello (py_hello.c) ---- */

/* A tlshs.ClientHello built from the C struct. */
PyObject *tlshs_py_hello(const tlshs_hello *h);
/* _set_hello_cb(fn) and hello_exception, of HandshakeHandle. */
PyObject *tlshs_py_set_hello_cb(tlshs_py_handshake *self, PyObject *fn);
PyObject *tlshs_py_get_hello_exception(tlshs_py_handshake *self, void *unused);

/* ---- records and pair (py_records.c) ---- */

PyObject *tlshs_py_records(PyObject *self, PyObject *args);
PyObject *tlshs_py_record_write(PyObject *self, PyObject *args);
PyObject *tlshs_py_refragment(PyObject *self, PyObject *args);
PyObject *tlshs_py_dtls_records(PyObject *self, PyObject *args);
PyObject *tlshs_py_dtls_record_write(PyObject *self, PyObject *args);
PyObject *tlshs_py_dtls_refragment(PyObject *self, PyObject *args);
PyObject *tlshs_py_pair(PyObject *self, PyObject *args);
PyObject *tlshs_py_content_types(PyObject *self, PyObject *unused);

#endif
