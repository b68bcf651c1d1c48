/*
 * tlshs.i - SWIG interface for the private C layer of the Python package,
 * tlshs._tlshs.  It wraps csrc/tlshs.h and nothing else (never OpenSSL's
 * headers).  The public, Pythonic layer is the package python/tlshs/;
 * nothing here is meant to be called by users.
 *
 * Build: swig -python -interface _tlshs -Icsrc -o tlshs_wrap.c bindings/tlshs.i
 * ("-interface _tlshs" names the C extension tlshs._tlshs; the proxy module
 * SWIG also writes is not used: the package imports the C module directly).
 *
 * Two handle types, written here by hand, hold the C objects:
 *   ConfigHandle     a tlshs_config *, the base of tlshs.Config
 *   HandshakeHandle  a tlshs *, the base of tlshs.Handshake; the calls that
 *                    drive a handshake (step, feed, take, read, write,
 *                    shutdown...) are its methods, written here in C
 * Every other function of tlshs.h is wrapped by SWIG and takes a handle
 * where the C function takes the pointer.
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
 * argument is converted by a typemap here that says what it wanted.
 *
 * Bytes in (feed, write, set_session): any bytes-like object; its Py_buffer
 * is held until the C call returns.  Bytes out (take, read, session): the
 * wrapper allocates a bytes object of the size asked for, the C function
 * writes into it, and it is shrunk to what was written: one copy.
 *
 * The GIL is released around tlshs_step, tlshs_read, tlshs_write,
 * tlshs_shutdown, the moves (tlshs_key_update, tlshs_renegotiate,
 * tlshs_request_client_cert), tlshs_write_early / tlshs_read_early (all
 * methods of HandshakeHandle) and tlshs_pair (cryptographic work and
 * socket I/O), and held everywhere else.
 *
 * on_client_hello (tlshs_set_hello_cb, the method _set_hello_cb): the C
 * callback tlshs_py_on_hello runs inside one of those calls, with the GIL
 * released and the guard held by the calling thread; it takes the GIL back
 * (PyGILState_Ensure), builds a tlshs.ClientHello (tlshs_py_hello, also
 * the typemap of tlshs_client_hello) and calls the function.  While it
 * runs, guard.in_callback is set: the reading calls (the const tlshs *
 * functions, pending, result) from that thread go in without taking the
 * guard (tlshs_py_enter_read); any other call finds the guard taken by its
 * own thread and raises StateError.  An exception refuses with
 * internal_error; its type and text go to tlshs_set_hello_reason, the
 * object to hello_exc.  The function and the exception are held by the
 * handle, visited by the collector and dropped by close().
 *
 * Refusals of the core (a call that does not fit the state answers the
 * last result, changing nothing): see tlshs_py_mark below; step, read,
 * write, the moves and the early-data calls raise them.
 *
 * Records and pair (section "records and pair"): _records, _record_write,
 * _refragment and _pair are written here by hand over tlshs_records,
 * tlshs_record_write, tlshs_refragment and tlshs_pair; _pair holds both
 * handshakes' guards (taken in address order) for the whole call and calls
 * the Python tamper through a C trampoline that takes the GIL back.
 */
%module(package="tlshs") _tlshs

%begin %{
#define PY_SSIZE_T_CLEAN
%}

%{
#include <limits.h>
#include <string.h>
#include <pythread.h>
#include "tlshs.h"

/* ---- what the package hands over at import (_setup) ---- */

static PyObject *py_results; /* tuple: tlshs_result value -> tlshs.Result member */
static PyObject *py_errors;  /* tuple: tlshs_code value -> exception class */
static PyObject *py_error;   /* tlshs.Error, for a code beyond py_errors */
static PyObject *py_hello;   /* tlshs.ClientHello, the class of a parsed ClientHello */

static PyObject *tlshs_py_result(tlshs_result r) {
    PyObject *o;
    if (py_results && (size_t)r < (size_t)PyTuple_GET_SIZE(py_results)) {
        o = PyTuple_GET_ITEM(py_results, r);
        Py_INCREF(o);
        return o;
    }
    return PyLong_FromLong((long)r);
}

/* A C message as a str; bytes that are not UTF-8 (a path's) read \xNN. */
static PyObject *tlshs_py_text(const char *message) {
    return PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "backslashreplace");
}

/* Raises the class of code (tlshs.Error or its subclass) with text; steals text. */
static void tlshs_py_raise_text(int code, PyObject *text) {
    PyObject *cls = py_error ? py_error : PyExc_RuntimeError, *exc;
    if (!text) return;
    if (py_errors && code >= 0 && code < PyTuple_GET_SIZE(py_errors))
        cls = PyTuple_GET_ITEM(py_errors, code);
    exc = PyObject_CallFunction(cls, "Oi", text, code);
    Py_DECREF(text);
    if (!exc) return;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}

static void tlshs_py_raise(int code, const char *message) {
    tlshs_py_raise_text(code, tlshs_py_text(message));
}

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
   to this thread, and answers with it taken.  The guard passes from the
   thread that leaves straight to a waiter, so a thread that keeps calling
   cannot starve the others.  Refuses a wait for itself (a finalizer run by
   the garbage collector inside a call, calling the same object), which
   would never end. */
static int tlshs_py_wait(tlshs_py_guard *g) {
    unsigned long me = PyThread_get_thread_ident();
    if (g->owner == me) {
        tlshs_py_raise(TLSHS_E_STATE, g->in_callback
                                          ? "on_client_hello may only read the handshake (client_hello, "
                                            "server_name, trace...), not drive or change it"
                                          : "the object is in use by this thread (a call on it from a finalizer?)");
        return -1;
    }
    if (!g->gate) {
        g->gate = PyThread_allocate_lock();
        if (!g->gate) {
            PyErr_NoMemory();
            return -1;
        }
        PyThread_acquire_lock(g->gate, WAIT_LOCK); /* starts shut: a leave opens it */
    }
    g->waits++;
    g->waiters++;
    do {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(g->gate, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    } while (!g->handoff); /* each opening comes with a handoff; never loops in practice */
    g->handoff = 0;
    g->waiters--;
    g->owner = me;
    return 0;
}

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

/* ---- arguments ---- */

/* A str (UTF-8) or bytes, without NUL, for a const char * parameter. */
static int tlshs_py_cstr(PyObject *o, const char *name, const char **out) {
    const char *s;
    Py_ssize_t n;
    if (PyUnicode_Check(o)) {
        s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s)
            return -1;
    } else if (PyBytes_Check(o)) {
        s = PyBytes_AS_STRING(o);
        n = PyBytes_GET_SIZE(o);
    } else {
        PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", name, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (strlen(s) != (size_t)n) {
        PyErr_Format(PyExc_ValueError, "%s: embedded null character", name);
        return -1;
    }
    *out = s;
    return 0;
}

/* An int (not a bool) within [lo, hi]. */
static int tlshs_py_long(PyObject *o, const char *name, long long lo, long long hi, long long *out) {
    long long v;
    if (!PyLong_Check(o) || PyBool_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", name, Py_TYPE(o)->tp_name);
        return -1;
    }
    v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
    } else if (v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    PyErr_Format(PyExc_OverflowError, "%s out of range", name);
    return -1;
}

/* An optional size (n=-1 style): absent gives dflt. */
static int tlshs_py_size_arg(PyObject *const *args, Py_ssize_t nargs, const char *func, Py_ssize_t dflt,
                             Py_ssize_t *out) {
    Py_ssize_t v;
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most 1 argument (%zd given)", func, nargs);
        return -1;
    }
    if (nargs == 0) {
        *out = dflt;
        return 0;
    }
    if (!PyLong_Check(args[0]) || PyBool_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "n must be an int, not %.100s", Py_TYPE(args[0])->tp_name);
        return -1;
    }
    v = PyLong_AsSsize_t(args[0]);
    if (v == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
        v = _PyLong_Sign(args[0]) < 0 ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX;
    }
    *out = v;
    return 0;
}

/* ---- ConfigHandle: the base of tlshs.Config ---- */

typedef struct {
    PyObject_HEAD
    tlshs_config *cfg; /* owned (one reference); NULL once closed */
    PyObject *weakrefs;
    int role;
    tlshs_py_guard guard;
} tlshs_py_config;

static PyTypeObject tlshs_py_config_type;

static int tlshs_py_config_enter(tlshs_py_config *self) {
    if (tlshs_py_take(&self->guard) < 0)
        return -1;
    if (!self->cfg) {
        tlshs_py_leave(&self->guard);
        tlshs_py_raise(TLSHS_E_STATE, "the config is closed");
        return -1;
    }
    return 0;
}

static PyObject *tlshs_py_config_open(tlshs_py_config *self, PyObject *arg) {
    long long role;
    if (tlshs_py_long(arg, "role", 0, 1, &role) < 0)
        return NULL;
    if (self->cfg) {
        tlshs_py_raise(TLSHS_E_STATE, "the config is already open");
        return NULL;
    }
    self->cfg = tlshs_config_new((tlshs_role)role);
    if (!self->cfg)
        return PyErr_NoMemory();
    self->role = (int)role;
    Py_RETURN_NONE;
}

static PyObject *tlshs_py_config_close(tlshs_py_config *self, PyObject *unused) {
    tlshs_config *cfg;
    if (tlshs_py_take(&self->guard) < 0)
        return NULL;
    cfg = self->cfg;
    self->cfg = NULL;
    tlshs_config_free(cfg);
    tlshs_py_leave(&self->guard);
    Py_RETURN_NONE;
}

static PyObject *tlshs_py_self(PyObject *self, PyObject *unused) {
    Py_INCREF(self);
    return self;
}

static PyObject *tlshs_py_config_exit(tlshs_py_config *self, PyObject *args) {
    return tlshs_py_config_close(self, NULL);
}

static PyObject *tlshs_py_config_get_closed(tlshs_py_config *self, void *unused) {
    return PyBool_FromLong(self->cfg == NULL);
}

static PyObject *tlshs_py_config_get_role_code(tlshs_py_config *self, void *unused) {
    if (!self->cfg) {
        tlshs_py_raise(TLSHS_E_STATE, "the config is closed");
        return NULL;
    }
    return PyLong_FromLong(self->role);
}

static void tlshs_py_config_dealloc(tlshs_py_config *self) {
    if (self->weakrefs)
        PyObject_ClearWeakRefs((PyObject *)self);
    tlshs_config_free(self->cfg);
    if (self->guard.gate)
        PyThread_free_lock(self->guard.gate);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef tlshs_py_config_methods[] = {
    {"_open", (PyCFunction)tlshs_py_config_open, METH_O,
     "_open($self, role, /)\n--\n\nMakes the C config for role (TLSHS_CLIENT or TLSHS_SERVER)."},
    {"close", (PyCFunction)tlshs_py_config_close, METH_NOARGS,
     "close($self, /)\n--\n\nDrops this object's reference to the C config.  Handshakes made\n"
     "from it keep working.  Safe to call more than once."},
    {"__enter__", tlshs_py_self, METH_NOARGS, "__enter__($self, /)\n--\n\nAnswers self."},
    {"__exit__", (PyCFunction)tlshs_py_config_exit, METH_VARARGS,
     "__exit__($self, *exc)\n--\n\nCalls close(); exceptions go on."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef tlshs_py_config_getset[] = {
    {"closed", (getter)tlshs_py_config_get_closed, NULL, "Whether close() was called.", NULL},
    {"_role", (getter)tlshs_py_config_get_role_code, NULL, "TLSHS_CLIENT or TLSHS_SERVER.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject tlshs_py_config_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tlshs._tlshs.ConfigHandle",
    .tp_basicsize = sizeof(tlshs_py_config),
    .tp_dealloc = (destructor)tlshs_py_config_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The C config under a tlshs.Config, with its guard.",
    .tp_weaklistoffset = offsetof(tlshs_py_config, weakrefs),
    .tp_methods = tlshs_py_config_methods,
    .tp_getset = tlshs_py_config_getset,
    .tp_new = PyType_GenericNew,
};

/* ---- HandshakeHandle: the base of tlshs.Handshake ---- */

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

static PyTypeObject tlshs_py_handshake_type;

/*
 * Refusals.  The core answers a refused call (step while read_early drives
 * the handshake, a move that does not fit, early data without a session
 * that allows it) with the last result, changing nothing, and keeps the
 * reason and its code (tlshs_usage_code) until another call is refused.  So
 * that the binding sees a refusal, it keeps that code at TLSHS_OK (as made:
 * nothing refused yet) or TLSHS_E_ARGUMENT between calls: after every
 * refusal it raises, tlshs_py_mark (a read without a buffer, which changes
 * nothing else) sets TLSHS_E_ARGUMENT; a call that leaves a higher code was
 * refused.  The binding checks its arguments before the core can refuse
 * them, so no refusal of the core's has the code TLSHS_E_ARGUMENT (the Lua
 * module's convention, without its mark at the making: that one formats a
 * message, about 5000 instructions per handshake).
 */
static void tlshs_py_mark(tlshs *hs) {
    tlshs_read(hs, NULL, 0, NULL);
}

static inline int tlshs_py_refused(const tlshs *hs) {
    return tlshs_usage_code(hs) > TLSHS_E_ARGUMENT; /* TLSHS_OK: nothing was ever refused */
}

/* Raises the core's reason for the refused call on hs, and marks hs again. */
static void tlshs_py_raise_refusal(tlshs *hs) {
    int code = (int)tlshs_usage_code(hs);
    PyObject *text = tlshs_py_text(tlshs_usage_error(hs));
    tlshs_py_mark(hs);
    tlshs_py_raise_text(code, text);
}

static int tlshs_py_enter(tlshs_py_handshake *self) {
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
static int tlshs_py_enter_read(tlshs_py_handshake *self) {
    if (self->guard.in_callback && self->guard.owner == PyThread_get_thread_ident())
        return 0;
    return tlshs_py_enter(self) < 0 ? -1 : 1;
}

/* Leaves the guard, then raises the usage error read while inside it. */
static PyObject *tlshs_py_leave_refused(tlshs_py_handshake *self) {
    int code = (int)tlshs_usage_code(self->hs);
    PyObject *text = tlshs_py_text(tlshs_usage_error(self->hs));
    tlshs_py_mark(self->hs);
    tlshs_py_leave(&self->guard);
    tlshs_py_raise_text(code, text);
    return NULL;
}

/* What a driving call answers: r, or, when on_client_hello ran in it and
   raised a KeyboardInterrupt or SystemExit (which refused the client like
   any exception), that exception. */
static PyObject *tlshs_py_reraise(tlshs_py_handshake *self) {
    self->hello_reraise = 0;
    if (self->hello_exc)
        PyErr_SetObject((PyObject *)Py_TYPE(self->hello_exc), self->hello_exc);
    return NULL;
}

/* ---- the parsed ClientHello, and on_client_hello ---- */

/* A list of 16-bit numbers as a tuple of ints. */
static PyObject *tlshs_py_u16s(const uint16_t *v, size_t n) {
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; t && i < n; i++) {
        PyObject *o = PyLong_FromLong((long)v[i]);
        if (!o) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, (Py_ssize_t)i, o);
    }
    return t;
}

/* A name from the wire (SNI, ALPN) as a str: bytes that are not UTF-8 read
   as surrogate escapes (os.fsencode-style), so nothing is lost. */
static PyObject *tlshs_py_wire_name(const char *s) {
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "surrogateescape");
}

/* A tlshs.ClientHello built from the C struct: one copy of each field. */
static PyObject *tlshs_py_hello(const tlshs_hello *h) {
    PyObject *fields, *alpn, *out;
    Py_ssize_t i = 0;
    if (!py_hello) {
        tlshs_py_raise(TLSHS_E_STATE, "tlshs._tlshs is not set up: import tlshs");
        return NULL;
    }
    fields = PyTuple_New(13);
    if (!fields)
        return NULL;
#define TLSHS_PY_FIELD(expr)                                                                       \
    do {                                                                                           \
        PyObject *o_ = (expr);                                                                     \
        if (!o_) {                                                                                 \
            Py_DECREF(fields);                                                                     \
            return NULL;                                                                           \
        }                                                                                          \
        PyTuple_SET_ITEM(fields, i++, o_);                                                         \
    } while (0)
    TLSHS_PY_FIELD(PyLong_FromUnsignedLong(h->legacy_version));
    TLSHS_PY_FIELD(tlshs_py_u16s(h->versions, h->n_versions));
    TLSHS_PY_FIELD(tlshs_py_u16s(h->ciphers, h->n_ciphers));
    TLSHS_PY_FIELD(tlshs_py_u16s(h->extensions, h->n_extensions));
    TLSHS_PY_FIELD(tlshs_py_u16s(h->groups, h->n_groups));
    TLSHS_PY_FIELD(tlshs_py_u16s(h->key_shares, h->n_key_shares));
    TLSHS_PY_FIELD(tlshs_py_u16s(h->sigalgs, h->n_sigalgs));
    if (h->server_name) {
        TLSHS_PY_FIELD(tlshs_py_wire_name(h->server_name));
    } else {
        Py_INCREF(Py_None);
        TLSHS_PY_FIELD(Py_None);
    }
    TLSHS_PY_FIELD(alpn = PyTuple_New((Py_ssize_t)h->n_alpn));
    for (size_t k = 0; k < h->n_alpn; k++) {
        PyObject *name = tlshs_py_wire_name(h->alpn[k]);
        if (!name) {
            Py_DECREF(fields);
            return NULL;
        }
        PyTuple_SET_ITEM(alpn, (Py_ssize_t)k, name);
    }
    TLSHS_PY_FIELD(PyUnicode_FromString(h->ja3 ? h->ja3 : ""));
    TLSHS_PY_FIELD(PyUnicode_FromString(h->ja3_hash ? h->ja3_hash : ""));
    TLSHS_PY_FIELD(PyUnicode_FromString(h->ja4 ? h->ja4 : ""));
    TLSHS_PY_FIELD(PyBytes_FromStringAndSize(h->raw ? (const char *)h->raw : "", (Py_ssize_t)h->raw_len));
#undef TLSHS_PY_FIELD
    out = PyObject_Call(py_hello, fields, NULL);
    Py_DECREF(fields);
    return out;
}

/* What on_client_hello answered, as the C callback's answer: 0 to go on
   (None, or a server Config switched to), an alert code to refuse with;
   -1 with an exception set when the answer is none of those or the switch
   failed. */
static int tlshs_py_hello_answer(tlshs_py_handshake *self, PyObject *ans) {
    if (ans == Py_None)
        return 0;
    if (PyObject_TypeCheck(ans, &tlshs_py_config_type)) {
        tlshs_py_config *cfg = (tlshs_py_config *)ans;
        int rc;
        if (tlshs_py_config_enter(cfg) < 0)
            return -1;
        rc = tlshs_use_config(self->hs, cfg->cfg);
        tlshs_py_leave(&cfg->guard);
        if (rc != 0) {
            tlshs_py_raise_refusal(self->hs);
            return -1;
        }
        return 0;
    }
    if (PyUnicode_Check(ans)) {
        const char *name = PyUnicode_AsUTF8(ans);
        int code = name ? tlshs_alert_from_name(name) : -1;
        if (!name)
            return -1;
        if (code < 1) {
            PyErr_Format(PyExc_ValueError, "on_client_hello answered %R: %s", ans,
                         code < 0 ? "no TLS alert has that name" : "close_notify refuses nothing");
            return -1;
        }
        return code;
    }
    if (PyLong_Check(ans) && !PyBool_Check(ans)) {
        long code = PyLong_AsLong(ans);
        if (code == -1 && PyErr_Occurred())
            PyErr_Clear();
        if (code < 1 || code > 255) {
            PyErr_Format(PyExc_ValueError, "on_client_hello answered %R: an alert code is 1 to 255", ans);
            return -1;
        }
        return (int)code;
    }
    PyErr_Format(PyExc_TypeError,
                 "on_client_hello must answer None, a server tlshs.Config, or an alert name or code, "
                 "not %.100s",
                 Py_TYPE(ans)->tp_name);
    return -1;
}

/* The C hello callback: runs inside tlshs_step (read, write, read_early),
   which released the GIL and holds the handshake's guard.  Takes the GIL
   back, calls on_client_hello with the parsed hello, and answers its
   verdict.  An exception refuses with internal_error: its type and text
   become the handshake's error (tlshs_set_hello_reason), the exception
   object is kept in hello_exc. */
static int tlshs_py_on_hello(tlshs *hs, const tlshs_hello *hello, void *arg) {
    tlshs_py_handshake *self = arg;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *fn = self->hello_cb, *obj, *ans = NULL, *old;
    int verdict = 0;
    if (!fn) {
        PyGILState_Release(gil);
        return 0;
    }
    Py_INCREF(fn);
    old = self->hello_exc;
    self->hello_exc = NULL;
    obj = tlshs_py_hello(hello);
    if (obj) {
        self->guard.in_callback = 1;
        ans = PyObject_CallOneArg(fn, obj);
        self->guard.in_callback = 0;
        Py_DECREF(obj);
    }
    if (ans) {
        verdict = tlshs_py_hello_answer(self, ans);
        Py_DECREF(ans);
    }
    if (PyErr_Occurred()) {
        PyObject *value, *why;
        const char *type_name;
#if PY_VERSION_HEX >= 0x030C0000
        value = PyErr_GetRaisedException(); /* normalized, with its traceback */
#else
        PyObject *type, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb && value)
            PyException_SetTraceback(value, tb);
        Py_XDECREF(type);
        Py_XDECREF(tb);
#endif
        type_name = value ? Py_TYPE(value)->tp_name : "an exception";
        why = value ? PyUnicode_FromFormat("on_client_hello raised %s: %S", type_name, value) : NULL;
        if (!why) {
            PyErr_Clear();
            why = PyUnicode_FromFormat("on_client_hello raised %s", type_name);
        }
        if (why) {
            const char *text = PyUnicode_AsUTF8(why);
            if (text)
                tlshs_set_hello_reason(hs, text);
            Py_DECREF(why);
        }
        PyErr_Clear();
        self->hello_reraise = value && !PyErr_GivenExceptionMatches(value, PyExc_Exception);
        self->hello_exc = value;
        verdict = 80; /* internal_error */
    }
    Py_DECREF(fn);
    Py_XDECREF(old); /* may run Python code: last */
    PyGILState_Release(gil);
    return verdict;
}

/* _set_hello_cb(fn): on_client_hello (None removes it); before the first step. */
static PyObject *tlshs_py_set_hello_cb(tlshs_py_handshake *self, PyObject *fn) {
    PyObject *old;
    if (fn != Py_None && !PyCallable_Check(fn)) {
        PyErr_Format(PyExc_TypeError, "on_client_hello must be callable, not %.100s", Py_TYPE(fn)->tp_name);
        return NULL;
    }
    if (tlshs_py_enter(self) < 0)
        return NULL;
    if (tlshs_set_hello_cb(self->hs, fn == Py_None ? NULL : tlshs_py_on_hello, self) != 0)
        return tlshs_py_leave_refused(self);
    old = self->hello_cb;
    self->hello_cb = fn == Py_None ? NULL : fn;
    Py_XINCREF(self->hello_cb);
    tlshs_py_leave(&self->guard);
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

static PyObject *tlshs_py_get_hello_exception(tlshs_py_handshake *self, void *unused) {
    PyObject *exc;
    if (!self->hs) {
        tlshs_py_raise(TLSHS_E_STATE, "the handshake is closed");
        return NULL;
    }
    exc = self->hello_exc ? self->hello_exc : Py_None;
    Py_INCREF(exc);
    return exc;
}

/* _open(config, server_name, sock, fd): makes the C handshake; with sock not
   None, fd mode on fd. */
static PyObject *tlshs_py_open(tlshs_py_handshake *self, PyObject *args) {
    PyObject *config, *name, *sock;
    const char *server_name = NULL;
    int fd;
    tlshs_py_config *cfg;
    tlshs *hs;
    if (!PyArg_ParseTuple(args, "OOOi:_open", &config, &name, &sock, &fd))
        return NULL;
    if (!PyObject_TypeCheck(config, &tlshs_py_config_type)) {
        PyErr_Format(PyExc_TypeError, "cfg must be a tlshs.Config, not %.100s", Py_TYPE(config)->tp_name);
        return NULL;
    }
    if (name != Py_None) {
        if (!PyUnicode_Check(name)) {
            PyErr_Format(PyExc_TypeError, "server_name must be a str, not %.100s", Py_TYPE(name)->tp_name);
            return NULL;
        }
        if (tlshs_py_cstr(name, "server_name", &server_name) < 0)
            return NULL;
    }
    if (self->hs) {
        tlshs_py_raise(TLSHS_E_STATE, "the handshake is already open");
        return NULL;
    }
    cfg = (tlshs_py_config *)config;
    if (tlshs_py_config_enter(cfg) < 0)
        return NULL;
    hs = tlshs_new(cfg->cfg, server_name);
    if (!hs) {
        int code = (int)tlshs_config_error_code(cfg->cfg);
        const char *why = tlshs_config_error(cfg->cfg);
        PyObject *text = tlshs_py_text(*why ? why : "cannot make a handshake");
        tlshs_py_leave(&cfg->guard);
        tlshs_py_raise_text(code == TLSHS_OK ? TLSHS_E_INCOMPLETE : code, text);
        return NULL;
    }
    tlshs_py_leave(&cfg->guard);
    if (sock != Py_None && tlshs_set_fd(hs, fd) != 0) {
        int code = (int)tlshs_usage_code(hs);
        PyObject *text = tlshs_py_text(tlshs_usage_error(hs));
        tlshs_free(hs);
        tlshs_py_raise_text(code, text);
        return NULL;
    }
    self->hs = hs;
    Py_INCREF(config);
    Py_XSETREF(self->config, config);
    if (sock != Py_None) {
        Py_INCREF(sock);
        Py_XSETREF(self->sock, sock);
    }
    Py_RETURN_NONE;
}

static PyObject *tlshs_py_step(tlshs_py_handshake *self, PyObject *unused) {
    tlshs_result r;
    if (tlshs_py_enter(self) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    r = tlshs_step(self->hs);
    Py_END_ALLOW_THREADS
    if (tlshs_py_refused(self->hs))
        return tlshs_py_leave_refused(self);
    tlshs_py_leave(&self->guard);
    if (self->hello_reraise)
        return tlshs_py_reraise(self);
    return tlshs_py_result(r);
}

static PyObject *tlshs_py_feed(tlshs_py_handshake *self, PyObject *data) {
    Py_buffer view;
    int rc;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) != 0)
        return NULL; /* TypeError: a bytes-like object is required */
    if (tlshs_py_enter(self) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    rc = tlshs_feed(self->hs, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    if (rc != 0)
        return tlshs_py_leave_refused(self);
    tlshs_py_leave(&self->guard);
    Py_RETURN_NONE;
}

static PyObject *tlshs_py_feed_eof(tlshs_py_handshake *self, PyObject *unused) {
    if (tlshs_py_enter(self) < 0)
        return NULL;
    if (tlshs_feed_eof(self->hs) != 0)
        return tlshs_py_leave_refused(self);
    tlshs_py_leave(&self->guard);
    Py_RETURN_NONE;
}

static PyObject *tlshs_py_take_bytes(tlshs_py_handshake *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t n;
    size_t avail;
    PyObject *out;
    if (tlshs_py_size_arg(args, nargs, "take", -1, &n) < 0)
        return NULL;
    if (tlshs_py_enter(self) < 0)
        return NULL;
    avail = tlshs_pending(self->hs);
    if (n < 0 || (size_t)n > avail)
        n = (Py_ssize_t)avail;
    out = PyBytes_FromStringAndSize(NULL, n); /* not a container: no collection runs here */
    if (out && n)
        tlshs_take(self->hs, PyBytes_AS_STRING(out), (size_t)n);
    tlshs_py_leave(&self->guard);
    return out;
}

/* One read answers at most one record (16 KiB of plaintext): a bigger n only
   costs a bigger allocation, so it is capped (with room to spare). */
#define TLSHS_PY_READ_MAX 65536

static PyObject *tlshs_py_read(tlshs_py_handshake *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t n;
    size_t count = 0;
    tlshs_result r;
    PyObject *out;
    if (tlshs_py_size_arg(args, nargs, "read", 16384, &n) < 0)
        return NULL;
    if (n < 1) {
        PyErr_SetString(PyExc_ValueError, "n must be at least 1");
        return NULL;
    }
    if (n > TLSHS_PY_READ_MAX)
        n = TLSHS_PY_READ_MAX;
    out = PyBytes_FromStringAndSize(NULL, n);
    if (!out)
        return NULL;
    if (tlshs_py_enter(self) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    r = tlshs_read(self->hs, PyBytes_AS_STRING(out), (size_t)n, &count);
    Py_END_ALLOW_THREADS
    if (tlshs_py_refused(self->hs)) {
        Py_DECREF(out);
        return tlshs_py_leave_refused(self);
    }
    tlshs_py_leave(&self->guard);
    if (self->hello_reraise) {
        Py_DECREF(out);
        return tlshs_py_reraise(self);
    }
    if (count > (size_t)n)
        count = 0; /* never trust a count beyond the buffer */
    if (count < (size_t)n && _PyBytes_Resize(&out, (Py_ssize_t)count) != 0)
        return NULL; /* out was freed */
    return Py_BuildValue("(NN)", tlshs_py_result(r), out);
}

static PyObject *tlshs_py_write(tlshs_py_handshake *self, PyObject *data) {
    Py_buffer view;
    size_t count = 0;
    tlshs_result r;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) != 0)
        return NULL;
    if (tlshs_py_enter(self) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    r = tlshs_write(self->hs, view.buf, (size_t)view.len, &count);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (tlshs_py_refused(self->hs))
        return tlshs_py_leave_refused(self);
    tlshs_py_leave(&self->guard);
    if (self->hello_reraise)
        return tlshs_py_reraise(self);
    return Py_BuildValue("(Nn)", tlshs_py_result(r), (Py_ssize_t)count);
}

static PyObject *tlshs_py_shutdown(tlshs_py_handshake *self, PyObject *unused) {
    tlshs_result r;
    if (tlshs_py_enter(self) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    r = tlshs_shutdown(self->hs);
    Py_END_ALLOW_THREADS
    tlshs_py_leave(&self->guard);
    return tlshs_py_result(r);
}

static PyObject *tlshs_py_close(tlshs_py_handshake *self, PyObject *unused) {
    tlshs *hs;
    PyObject *config, *sock, *cb, *exc;
    if (tlshs_py_take(&self->guard) < 0)
        return NULL;
    hs = self->hs;
    config = self->config;
    sock = self->sock;
    cb = self->hello_cb;
    exc = self->hello_exc;
    self->hs = NULL;
    self->config = self->sock = self->hello_cb = self->hello_exc = NULL;
    self->hello_reraise = 0;
    tlshs_free(hs);
    tlshs_py_leave(&self->guard);
    Py_XDECREF(config); /* may run Python code: outside the guard */
    Py_XDECREF(sock);
    Py_XDECREF(cb); /* a cycle through on_client_hello ends here */
    Py_XDECREF(exc);
    Py_RETURN_NONE;
}

/* ---- moves after the handshake, and 0-RTT (issue 11) ---- */

/* A move: the GIL released around the call (it makes and encrypts a
   message), a refusal raised with the core's code. */
static PyObject *tlshs_py_move(tlshs_py_handshake *self, tlshs_result (*move)(tlshs *hs, int arg), int arg) {
    tlshs_result r;
    if (tlshs_py_enter(self) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    r = move(self->hs, arg);
    Py_END_ALLOW_THREADS
    if (tlshs_py_refused(self->hs))
        return tlshs_py_leave_refused(self);
    tlshs_py_leave(&self->guard);
    if (self->hello_reraise) /* a renegotiating client's ClientHello can arrive in a move */
        return tlshs_py_reraise(self);
    return tlshs_py_result(r);
}

static tlshs_result tlshs_py_key_update_move(tlshs *hs, int request_peer) {
    return tlshs_key_update(hs, request_peer);
}

static tlshs_result tlshs_py_renegotiate_move(tlshs *hs, int unused) {
    return tlshs_renegotiate(hs);
}

static tlshs_result tlshs_py_request_cert_move(tlshs *hs, int unused) {
    return tlshs_request_client_cert(hs);
}

static PyObject *tlshs_py_key_update(tlshs_py_handshake *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"request_peer", NULL};
    int request_peer = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|p:key_update", kwlist, &request_peer))
        return NULL;
    return tlshs_py_move(self, tlshs_py_key_update_move, request_peer);
}

static PyObject *tlshs_py_renegotiate(tlshs_py_handshake *self, PyObject *unused) {
    return tlshs_py_move(self, tlshs_py_renegotiate_move, 0);
}

static PyObject *tlshs_py_request_client_cert(tlshs_py_handshake *self, PyObject *unused) {
    return tlshs_py_move(self, tlshs_py_request_cert_move, 0);
}

static PyObject *tlshs_py_write_early(tlshs_py_handshake *self, PyObject *data) {
    Py_buffer view;
    size_t count = 0;
    tlshs_result r;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) != 0)
        return NULL;
    if (view.len == 0) {
        PyBuffer_Release(&view);
        tlshs_py_raise(TLSHS_E_ARGUMENT, "write_early: no data: early data cannot be empty");
        return NULL;
    }
    if (tlshs_py_enter(self) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    r = tlshs_write_early(self->hs, view.buf, (size_t)view.len, &count);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (tlshs_py_refused(self->hs))
        return tlshs_py_leave_refused(self);
    tlshs_py_leave(&self->guard);
    return Py_BuildValue("(Nn)", tlshs_py_result(r), (Py_ssize_t)count);
}

static PyObject *tlshs_py_read_early(tlshs_py_handshake *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t n;
    size_t count = 0;
    tlshs_result r;
    PyObject *out;
    if (tlshs_py_size_arg(args, nargs, "read_early", 16384, &n) < 0)
        return NULL;
    if (n < 1) {
        PyErr_SetString(PyExc_ValueError, "n must be at least 1");
        return NULL;
    }
    if (n > TLSHS_PY_READ_MAX)
        n = TLSHS_PY_READ_MAX;
    out = PyBytes_FromStringAndSize(NULL, n);
    if (!out)
        return NULL;
    if (tlshs_py_enter(self) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    r = tlshs_read_early(self->hs, PyBytes_AS_STRING(out), (size_t)n, &count);
    Py_END_ALLOW_THREADS
    if (tlshs_py_refused(self->hs)) {
        Py_DECREF(out);
        return tlshs_py_leave_refused(self);
    }
    tlshs_py_leave(&self->guard);
    if (self->hello_reraise) {
        Py_DECREF(out);
        return tlshs_py_reraise(self);
    }
    if (count > (size_t)n)
        count = 0;
    if (count < (size_t)n && _PyBytes_Resize(&out, (Py_ssize_t)count) != 0)
        return NULL;
    return Py_BuildValue("(NN)", tlshs_py_result(r), out);
}

static PyObject *tlshs_py_exit(tlshs_py_handshake *self, PyObject *args) {
    return tlshs_py_close(self, NULL);
}

static PyObject *tlshs_py_get_pending(tlshs_py_handshake *self, void *unused) {
    size_t n;
    int took = tlshs_py_enter_read(self);
    if (took < 0)
        return NULL;
    n = tlshs_pending(self->hs);
    if (took)
        tlshs_py_leave(&self->guard);
    return PyLong_FromSize_t(n);
}

static PyObject *tlshs_py_get_result(tlshs_py_handshake *self, void *unused) {
    tlshs_result r;
    int took = tlshs_py_enter_read(self);
    if (took < 0)
        return NULL;
    r = tlshs_last_result(self->hs);
    if (took)
        tlshs_py_leave(&self->guard);
    return tlshs_py_result(r);
}

static PyObject *tlshs_py_get_closed(tlshs_py_handshake *self, void *unused) {
    return PyBool_FromLong(self->hs == NULL);
}

static PyObject *tlshs_py_get_config(tlshs_py_handshake *self, void *unused) {
    if (!self->hs || !self->config) {
        tlshs_py_raise(TLSHS_E_STATE, "the handshake is closed");
        return NULL;
    }
    Py_INCREF(self->config);
    return self->config;
}

static PyObject *tlshs_py_get_sock(tlshs_py_handshake *self, void *unused) {
    PyObject *sock;
    if (!self->hs) {
        tlshs_py_raise(TLSHS_E_STATE, "the handshake is closed");
        return NULL;
    }
    sock = self->sock ? self->sock : Py_None;
    Py_INCREF(sock);
    return sock;
}

/* How many threads wait for this object now, and how many calls have
   waited so far (for the tests of the guard). */
static PyObject *tlshs_py_get_waiting(tlshs_py_handshake *self, void *unused) {
    return PyLong_FromLong(self->guard.waiters);
}

static PyObject *tlshs_py_get_waits(tlshs_py_handshake *self, void *unused) {
    return PyLong_FromUnsignedLong(self->guard.waits);
}

static int tlshs_py_traverse(tlshs_py_handshake *self, visitproc visit, void *arg) {
    Py_VISIT(self->config);
    Py_VISIT(self->sock);
    Py_VISIT(self->hello_cb);
    Py_VISIT(self->hello_exc);
    return 0;
}

static int tlshs_py_clear(tlshs_py_handshake *self) {
    Py_CLEAR(self->config);
    Py_CLEAR(self->sock);
    Py_CLEAR(self->hello_cb);
    Py_CLEAR(self->hello_exc);
    return 0;
}

static void tlshs_py_dealloc(tlshs_py_handshake *self) {
    PyObject_GC_UnTrack(self);
    if (self->weakrefs)
        PyObject_ClearWeakRefs((PyObject *)self);
    tlshs_free(self->hs);
    self->hs = NULL;
    tlshs_py_clear(self);
    if (self->guard.gate)
        PyThread_free_lock(self->guard.gate);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef tlshs_py_handshake_methods[] = {
    {"_open", (PyCFunction)tlshs_py_open, METH_VARARGS,
     "_open($self, cfg, server_name, sock, fd, /)\n--\n\nMakes the C handshake (fd mode when sock is not None)."},
    {"step", (PyCFunction)tlshs_py_step, METH_NOARGS,
     "step($self, /)\n--\n\n"
     "Drives the handshake as far as it can go and answers the Result.\n"
     "Once DONE or CLOSED it answers the same again."},
    {"feed", (PyCFunction)tlshs_py_feed, METH_O,
     "feed($self, data, /)\n--\n\n"
     "Memory mode: hands bytes received from the peer (any bytes-like\n"
     "object; they are copied).  Raises StateError in fd mode, after\n"
     "feed_eof(), or once the connection is closed."},
    {"feed_eof", (PyCFunction)tlshs_py_feed_eof, METH_NOARGS,
     "feed_eof($self, /)\n--\n\n"
     "Memory mode: says the peer's byte stream has ended.  A handshake\n"
     "not yet done then closes (\"peer closed the connection during the\n"
     "handshake\").  Harmless twice; raises StateError in fd mode."},
    {"take", (PyCFunction)(void (*)(void))tlshs_py_take_bytes, METH_FASTCALL,
     "take($self, n=-1, /)\n--\n\n"
     "Memory mode: removes and answers up to n pending bytes for the\n"
     "peer (all of them when n is negative, the default); b\"\" if none."},
    {"read", (PyCFunction)(void (*)(void))tlshs_py_read, METH_FASTCALL,
     "read($self, n=16384, /)\n--\n\n"
     "Reads up to n bytes of application data; answers (result, data).\n\n"
     "Before the handshake is done it continues it first.  (DONE, data)\n"
     "when data was read; (WANT_READ, b\"\") when none is there yet;\n"
     "(WANT_WRITE, b\"\") when reading made bytes for the peer; (CLOSED,\n"
     "b\"\") when the peer closed or sent an alert.  One call answers at\n"
     "most one TLS record's worth (16 KiB), so n beyond that changes\n"
     "nothing.  In TLS 1.3 a client reads until WANT_READ after the\n"
     "handshake to receive the server's session tickets before asking\n"
     "for session."},
    {"write", (PyCFunction)tlshs_py_write, METH_O,
     "write($self, data, /)\n--\n\n"
     "Writes application data (any bytes-like object); answers (result,\n"
     "accepted).  (DONE, len(data)) when all was accepted (in memory mode\n"
     "the record then waits in pending); WANT_WRITE or WANT_READ (fd\n"
     "mode): call again with the same data; CLOSED when the connection is\n"
     "over.  Continues an unfinished handshake first."},
    {"shutdown", (PyCFunction)tlshs_py_shutdown, METH_NOARGS,
     "shutdown($self, /)\n--\n\n"
     "Sends close_notify and waits for the peer's: WANT_WRITE while ours\n"
     "waits to be sent (memory: take it), WANT_READ once it went and the\n"
     "peer's has not come (a caller that does not care may stop there),\n"
     "CLOSED when both were exchanged or the connection was over.  On a\n"
     "handshake that is not done it closes at once, sending nothing."},
    {"close", (PyCFunction)tlshs_py_close, METH_NOARGS,
     "close($self, /)\n--\n\n"
     "Frees the connection's state.  Does not close sock.  Safe to call\n"
     "more than once; any other use afterwards raises StateError.  A call\n"
     "in progress in another thread finishes first."},
    {"_set_hello_cb", (PyCFunction)tlshs_py_set_hello_cb, METH_O,
     "_set_hello_cb($self, fn, /)\n--\n\nSets on_client_hello (None removes it); before the first step."},
    {"key_update", (PyCFunction)(void (*)(void))tlshs_py_key_update, METH_VARARGS | METH_KEYWORDS,
     "key_update($self, /, request_peer=False)\n--\n\n"
     "TLS 1.3: sends a KeyUpdate; request_peer=True asks the peer to\n"
     "answer with its own (it arrives through read()).  Answers a Result\n"
     "and is driven on like step: WANT_WRITE while the message waits to\n"
     "be taken (memory mode), DONE once it left.  StateError unless the\n"
     "handshake is DONE and TLS 1.3, or while another move is under way."},
    {"renegotiate", (PyCFunction)tlshs_py_renegotiate, METH_NOARGS,
     "renegotiate($self, /)\n--\n\n"
     "TLS 1.2: starts a renegotiation (a client sends a ClientHello, a\n"
     "server a HelloRequest).  DONE once that message left; the rest of\n"
     "the new handshake runs inside read().  A peer that refuses ends the\n"
     "connection: read() answers CLOSED (alert_received 100,\n"
     "no_renegotiation).  StateError unless DONE and TLS 1.2."},
    {"request_client_cert", (PyCFunction)tlshs_py_request_client_cert, METH_NOARGS,
     "request_client_cert($self, /)\n--\n\n"
     "A TLS 1.3 server asks for the client's certificate after the\n"
     "handshake (post-handshake authentication); the answer arrives\n"
     "through read(), then peer_cert and verify_result tell.  StateError\n"
     "on a client, before DONE, on TLS 1.2, or when the client did not\n"
     "offer it (its post_handshake_auth key)."},
    {"write_early", (PyCFunction)tlshs_py_write_early, METH_O,
     "write_early($self, data, /)\n--\n\n"
     "A client writes 0-RTT data (any non-empty bytes-like object) before\n"
     "its first step, with a session whose server allows early data;\n"
     "answers (result, accepted): (WANT_WRITE, len(data)) in memory mode,\n"
     "the ClientHello and the data waiting to be taken.  Then step() as\n"
     "usual; early_data tells whether the server took it (rejected data\n"
     "must be written again with write()).  StateError on a server, after\n"
     "the first step, or without such a session; ArgumentError for no data."},
    {"read_early", (PyCFunction)(void (*)(void))tlshs_py_read_early, METH_FASTCALL,
     "read_early($self, n=16384, /)\n--\n\n"
     "A server reads 0-RTT data: call it instead of step() from the first\n"
     "call on; answers (result, data).  (DONE, data) with data: early data\n"
     "was read, call again; (DONE, b\"\"): the early data ended and the\n"
     "handshake is complete; WANT_READ, WANT_WRITE, CLOSED as step.  While\n"
     "early data may still come, step/read/write raise StateError.\n"
     "StateError on a client or once the handshake was started by step."},
    {"__enter__", tlshs_py_self, METH_NOARGS, "__enter__($self, /)\n--\n\nAnswers self."},
    {"__exit__", (PyCFunction)tlshs_py_exit, METH_VARARGS,
     "__exit__($self, *exc)\n--\n\nCalls close(); exceptions go on."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef tlshs_py_handshake_getset[] = {
    {"hello_exception", (getter)tlshs_py_get_hello_exception, NULL,
     "The exception on_client_hello raised, which refused the client with\n"
     "internal_error (its type and text are in error), or None.  It keeps\n"
     "its traceback; close() drops it.",
     NULL},
    {"pending", (getter)tlshs_py_get_pending, NULL,
     "Memory mode: how many bytes wait to be taken for the peer (always 0\nin fd mode).", NULL},
    {"result", (getter)tlshs_py_get_result, NULL,
     "The last result of step, read, write or shutdown (WANT_READ before\nthe first call).", NULL},
    {"closed", (getter)tlshs_py_get_closed, NULL,
     "Whether close() was called (not whether the connection is over:\nthat is result == CLOSED).", NULL},
    {"config", (getter)tlshs_py_get_config, NULL, "The Config this handshake was made from.", NULL},
    {"sock", (getter)tlshs_py_get_sock, NULL, "The socket given as sock (fd mode), or None (memory mode).",
     NULL},
    {"_waiting", (getter)tlshs_py_get_waiting, NULL, "Threads waiting for this object now.", NULL},
    {"_waits", (getter)tlshs_py_get_waits, NULL, "Calls that have waited for this object so far.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject tlshs_py_handshake_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tlshs._tlshs.HandshakeHandle",
    .tp_basicsize = sizeof(tlshs_py_handshake),
    .tp_dealloc = (destructor)tlshs_py_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C handshake under a tlshs.Handshake, with its guard and the driving calls.",
    .tp_traverse = (traverseproc)tlshs_py_traverse,
    .tp_clear = (inquiry)tlshs_py_clear,
    .tp_weaklistoffset = offsetof(tlshs_py_handshake, weakrefs),
    .tp_methods = tlshs_py_handshake_methods,
    .tp_getset = tlshs_py_handshake_getset,
    .tp_new = PyType_GenericNew,
};

/* ---- records and pair (issue 10): tlshs._records, tlshs.pair ----
 *
 * _records(data) -> ([(type, version, body), ...], rest)
 * _record_write(type, version, body) -> bytes
 * _refragment(flight, max_body) -> bytes
 * _pair(client, server, tamper, rounds) -> (rc, rs, status)
 * _content_types() -> ((value, NAME, name), ...) from TLSHS_CONTENT_TYPES
 * The record rules are the C core's; these only move bytes in and out. */

/* A bytes-like argument as a held Py_buffer (released by the caller). */
static int tlshs_py_view(PyObject *o, Py_buffer *view) {
    return PyObject_GetBuffer(o, view, PyBUF_SIMPLE);
}

static PyObject *tlshs_py_records(PyObject *self, PyObject *args) {
    PyObject *data;
    Py_buffer view;
    tlshs_record *recs = NULL;
    size_t n, used = 0;
    PyObject *list = NULL, *answer = NULL;
    if (!PyArg_UnpackTuple(args, "_records", 1, 1, &data))
        return NULL;
    if (tlshs_py_view(data, &view) != 0)
        return NULL;
    n = tlshs_records(view.buf, (size_t)view.len, NULL, 0, NULL);
    if (n) {
        recs = PyMem_New(tlshs_record, n);
        if (!recs) {
            PyErr_NoMemory();
            goto done;
        }
        n = tlshs_records(view.buf, (size_t)view.len, recs, n, &used);
    }
    list = PyList_New((Py_ssize_t)n);
    if (!list)
        goto done;
    for (size_t i = 0; i < n; i++) {
        PyObject *item = Py_BuildValue("(iIy#)", recs[i].type, recs[i].version, (const char *)recs[i].body,
                                       (Py_ssize_t)recs[i].len);
        if (!item)
            goto done;
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    /* y# makes None of a NULL pointer: an empty rest is "" */
    answer = Py_BuildValue("(Oy#)", list, (size_t)view.len > used ? (const char *)view.buf + used : "",
                           (Py_ssize_t)((size_t)view.len - used));
done:
    Py_XDECREF(list);
    PyMem_Free(recs);
    PyBuffer_Release(&view);
    return answer;
}

static PyObject *tlshs_py_record_write(PyObject *self, PyObject *args) {
    PyObject *type, *version, *body, *out = NULL;
    long long t, v;
    Py_buffer view;
    size_t size;
    if (!PyArg_UnpackTuple(args, "_record_write", 3, 3, &type, &version, &body))
        return NULL;
    if (tlshs_py_long(type, "type", 0, 255, &t) < 0 || tlshs_py_long(version, "version", 0, 0xffff, &v) < 0)
        return NULL;
    if (tlshs_py_view(body, &view) != 0)
        return NULL;
    if ((size_t)view.len > 0xffff) {
        tlshs_py_raise(TLSHS_E_ARGUMENT, "record: a body holds at most 65535 bytes (what the header can say)");
        goto done;
    }
    size = tlshs_record_write((int)t, (unsigned)v, view.buf, (size_t)view.len, NULL, 0);
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (out)
        tlshs_record_write((int)t, (unsigned)v, view.buf, (size_t)view.len, PyBytes_AS_STRING(out), size);
done:
    PyBuffer_Release(&view);
    return out;
}

static PyObject *tlshs_py_refragment(PyObject *self, PyObject *args) {
    PyObject *flight, *max_body, *out = NULL;
    long long m;
    Py_buffer view;
    size_t size;
    if (!PyArg_UnpackTuple(args, "_refragment", 2, 2, &flight, &max_body))
        return NULL;
    if (tlshs_py_long(max_body, "max_body", LLONG_MIN, LLONG_MAX, &m) < 0)
        return NULL;
    if (m < 1) {
        tlshs_py_raise(TLSHS_E_ARGUMENT, "refragment: max_body must be at least 1");
        return NULL;
    }
    if (tlshs_py_view(flight, &view) != 0)
        return NULL;
    size = tlshs_refragment(view.buf ? view.buf : "", (size_t)view.len, (size_t)m, NULL, 0);
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (out && size)
        tlshs_refragment(view.buf, (size_t)view.len, (size_t)m, PyBytes_AS_STRING(out), size);
    PyBuffer_Release(&view);
    return out;
}

/* What the tamper trampoline carries through tlshs_pair's arg. */
typedef struct {
    PyObject *tamper;    /* the callable */
    PyObject *names[2];  /* "c2s", "s2c", by tlshs_direction */
    Py_buffer answer;    /* the bytes tamper answered last, held until the next call */
    int have_answer;
    PyObject *exc[3];    /* the exception tamper raised, fetched (then every flight is dropped) */
} tlshs_py_tamper;

static void tlshs_py_tamper_release(tlshs_py_tamper *t) {
    if (t->have_answer) {
        PyBuffer_Release(&t->answer);
        t->have_answer = 0;
    }
}

/* The tlshs_tamper_cb under tlshs.pair: runs in the thread that called pair,
   with the GIL released around it, so it takes the GIL back to call tamper.
   After an exception it answers "drop" for every flight and records it: pair
   then stops as soon as nothing moves, and the exception is raised when
   tlshs_pair has returned. */
static size_t tlshs_py_tamper_cb(tlshs_direction direction, unsigned char *flight, size_t len,
                                 const unsigned char **out, void *arg) {
    tlshs_py_tamper *t = arg;
    PyGILState_STATE gil;
    PyObject *got;
    size_t n = 0;
    if (t->exc[0])
        return 0;
    gil = PyGILState_Ensure();
    tlshs_py_tamper_release(t);
    got = PyObject_CallFunction(t->tamper, "Oy#", t->names[direction == TLSHS_S2C], (const char *)flight,
                                (Py_ssize_t)len);
    if (got && got != Py_None) {
        if (PyObject_GetBuffer(got, &t->answer, PyBUF_SIMPLE) == 0) {
            t->have_answer = 1;
            *out = t->answer.buf;
            n = (size_t)t->answer.len;
        } else {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "tamper must answer bytes or None, not %.100s", Py_TYPE(got)->tp_name);
        }
    }
    Py_XDECREF(got); /* the held view keeps the object alive */
    if (PyErr_Occurred())
        PyErr_Fetch(&t->exc[0], &t->exc[1], &t->exc[2]);
    PyGILState_Release(gil);
    return n;
}

/* The guards of two handshakes, taken in one order (by address) so that two
   threads pairing the same objects the other way round cannot deadlock. */
static int tlshs_py_enter_two(tlshs_py_handshake *a, tlshs_py_handshake *b) {
    tlshs_py_handshake *first = a < b ? a : b, *second = a < b ? b : a;
    if (tlshs_py_enter(first) < 0)
        return -1;
    if (tlshs_py_enter(second) < 0) {
        tlshs_py_leave(&first->guard);
        return -1;
    }
    return 0;
}

static PyObject *tlshs_py_pair(PyObject *self, PyObject *args) {
    PyObject *client, *server, *tamper, *rounds_arg;
    tlshs_py_handshake *c, *s;
    tlshs_py_tamper t = {NULL, {NULL, NULL}};
    tlshs_result rc = TLSHS_WANT_READ, rs = TLSHS_WANT_READ;
    long long rounds;
    int status, code = TLSHS_OK;
    PyObject *text = NULL;
    if (!PyArg_UnpackTuple(args, "_pair", 4, 4, &client, &server, &tamper, &rounds_arg))
        return NULL;
    if (!PyObject_TypeCheck(client, &tlshs_py_handshake_type) || !PyObject_TypeCheck(server, &tlshs_py_handshake_type)) {
        PyErr_Format(PyExc_TypeError, "pair: client and server must be tlshs.Handshake objects, not %.100s and %.100s",
                     Py_TYPE(client)->tp_name, Py_TYPE(server)->tp_name);
        return NULL;
    }
    if (tamper != Py_None && !PyCallable_Check(tamper)) {
        PyErr_Format(PyExc_TypeError, "tamper must be callable or None, not %.100s", Py_TYPE(tamper)->tp_name);
        return NULL;
    }
    if (tlshs_py_long(rounds_arg, "rounds", LLONG_MIN, LLONG_MAX, &rounds) < 0)
        return NULL;
    if (rounds < 1 || rounds > INT_MAX) {
        tlshs_py_raise(TLSHS_E_ARGUMENT, "pair: rounds must be at least 1");
        return NULL;
    }
    if (client == server) {
        /* one object: its guard cannot be taken twice, and the core refuses it */
        tlshs_py_raise(TLSHS_E_ARGUMENT, "pair: client and server are one object");
        return NULL;
    }
    c = (tlshs_py_handshake *)client;
    s = (tlshs_py_handshake *)server;
    if (c->sock || s->sock) {
        tlshs_py_raise(TLSHS_E_STATE, "pair: the handshake uses a socket (fd mode)");
        return NULL;
    }
    if (tamper != Py_None) {
        t.tamper = tamper;
        t.names[0] = PyUnicode_InternFromString("c2s");
        t.names[1] = PyUnicode_InternFromString("s2c");
        if (!t.names[0] || !t.names[1])
            goto fail;
    }
    if (tlshs_py_enter_two(c, s) < 0)
        goto fail;
    Py_BEGIN_ALLOW_THREADS
    status = tlshs_pair(c->hs, s->hs, t.tamper ? tlshs_py_tamper_cb : NULL, &t, (int)rounds, &rc, &rs);
    Py_END_ALLOW_THREADS
    if (status < 0) {
        tlshs *named = tlshs_usage_code(s->hs) != TLSHS_OK && tlshs_usage_code(c->hs) == TLSHS_OK ? s->hs : c->hs;
        code = (int)tlshs_usage_code(named);
        text = tlshs_py_text(tlshs_usage_error(named));
    }
    tlshs_py_leave(&c->guard);
    tlshs_py_leave(&s->guard);
    tlshs_py_tamper_release(&t);
    Py_XDECREF(t.names[0]);
    Py_XDECREF(t.names[1]);
    if (t.exc[0]) {
        Py_XDECREF(text);
        PyErr_Restore(t.exc[0], t.exc[1], t.exc[2]);
        return NULL;
    }
    if (status < 0) {
        tlshs_py_raise_text(code == TLSHS_OK ? TLSHS_E_STATE : code, text);
        return NULL;
    }
    return Py_BuildValue("(NNi)", tlshs_py_result(rc), tlshs_py_result(rs), status);
fail:
    Py_XDECREF(t.names[0]);
    Py_XDECREF(t.names[1]);
    return NULL;
}

static PyObject *tlshs_py_content_types(PyObject *self, PyObject *unused) {
#define TLSHS_PY_CONTENT_TYPE_(value, NAME, name) "(iss)"
#define TLSHS_PY_CONTENT_TYPE_ARGS_(value, NAME, name) , value, #NAME, #name
    return Py_BuildValue("(" TLSHS_CONTENT_TYPES(TLSHS_PY_CONTENT_TYPE_) ")"
                         TLSHS_CONTENT_TYPES(TLSHS_PY_CONTENT_TYPE_ARGS_));
#undef TLSHS_PY_CONTENT_TYPE_
#undef TLSHS_PY_CONTENT_TYPE_ARGS_
}

/* _setup(results, errors, error): the package's Result members by value,
   its exception classes by code, and tlshs.Error. */
static PyObject *tlshs_py_setup(PyObject *self, PyObject *args) {
    PyObject *results, *errors, *error;
    if (!PyArg_ParseTuple(args, "O!O!O:_setup", &PyTuple_Type, &results, &PyTuple_Type, &errors, &error))
        return NULL;
    Py_INCREF(results);
    Py_XSETREF(py_results, results);
    Py_INCREF(errors);
    Py_XSETREF(py_errors, errors);
    Py_INCREF(error);
    Py_XSETREF(py_error, error);
    Py_RETURN_NONE;
}

/* _setup_hello(ClientHello): the class a parsed ClientHello is built as. */
static PyObject *tlshs_py_setup_hello(PyObject *self, PyObject *args) {
    PyObject *cls;
    if (!PyArg_ParseTuple(args, "O:_setup_hello", &cls))
        return NULL;
    Py_INCREF(cls);
    Py_XSETREF(py_hello, cls);
    Py_RETURN_NONE;
}
%}

%native(_setup) tlshs_py_setup;
%native(_records) tlshs_py_records;
%native(_record_write) tlshs_py_record_write;
%native(_refragment) tlshs_py_refragment;
%native(_pair) tlshs_py_pair;
%native(_content_types) tlshs_py_content_types;
%native(_setup_hello) tlshs_py_setup_hello;

%init %{
    if (PyType_Ready(&tlshs_py_config_type) < 0 || PyType_Ready(&tlshs_py_handshake_type) < 0)
        return NULL;
    Py_INCREF(&tlshs_py_config_type);
    Py_INCREF(&tlshs_py_handshake_type);
    if (PyModule_AddObject(m, "ConfigHandle", (PyObject *)&tlshs_py_config_type) < 0 ||
        PyModule_AddObject(m, "HandshakeHandle", (PyObject *)&tlshs_py_handshake_type) < 0)
        return NULL;
%}

/* ---- handles in: the guard around every wrapped call ---- */
%typemap(in) tlshs *hs (tlshs_py_handshake *handle = NULL) {
    if (!PyObject_TypeCheck($input, &tlshs_py_handshake_type)) {
        PyErr_Format(PyExc_TypeError, "expected a tlshs.Handshake, not %.100s", Py_TYPE($input)->tp_name);
        SWIG_fail;
    }
    if (tlshs_py_enter((tlshs_py_handshake *)$input) < 0)
        SWIG_fail;
    handle = (tlshs_py_handshake *)$input;
    $1 = handle->hs;
}
%typemap(freearg) tlshs *hs {
    if (handle$argnum)
        tlshs_py_leave(&handle$argnum->guard);
}
/* The reading functions (const tlshs *) also run from inside this thread's
   on_client_hello, whose step holds the guard: tlshs_py_enter_read. */
%typemap(in) const tlshs *hs (tlshs_py_handshake *handle = NULL, int took = 0) {
    if (!PyObject_TypeCheck($input, &tlshs_py_handshake_type)) {
        PyErr_Format(PyExc_TypeError, "expected a tlshs.Handshake, not %.100s", Py_TYPE($input)->tp_name);
        SWIG_fail;
    }
    took = tlshs_py_enter_read((tlshs_py_handshake *)$input);
    if (took < 0)
        SWIG_fail;
    if (took)
        handle = (tlshs_py_handshake *)$input;
    $1 = ((tlshs_py_handshake *)$input)->hs;
}
%typemap(freearg) const tlshs *hs {
    if (handle$argnum)
        tlshs_py_leave(&handle$argnum->guard);
}

%typemap(in) tlshs_config *cfg (tlshs_py_config *handle = NULL) {
    if (!PyObject_TypeCheck($input, &tlshs_py_config_type)) {
        PyErr_Format(PyExc_TypeError, "expected a tlshs.Config, not %.100s", Py_TYPE($input)->tp_name);
        SWIG_fail;
    }
    if (tlshs_py_config_enter((tlshs_py_config *)$input) < 0)
        SWIG_fail;
    handle = (tlshs_py_config *)$input;
    $1 = handle->cfg;
}
%typemap(freearg) tlshs_config *cfg {
    if (handle$argnum)
        tlshs_py_leave(&handle$argnum->guard);
}
%apply tlshs_config *cfg { const tlshs_config *cfg };

/* ---- failures raise, with the code, read inside the guard ---- */
%typemap(out) int tlshs_set_session, int tlshs_set_trace, int tlshs_set_capture {
    if ($1 != 0) {
        tlshs_py_raise_refusal(arg1);
        SWIG_fail;
    }
    $result = Py_None;
    Py_INCREF(Py_None);
}
/* tlshs_config_check (once the core has it): refuses with the config's error. */
%typemap(out) int tlshs_config_set, int tlshs_config_check {
    if ($1 != 0) {
        tlshs_py_raise((int)tlshs_config_error_code(arg1), tlshs_config_error(arg1));
        SWIG_fail;
    }
    $result = Py_None;
    Py_INCREF(Py_None);
}

/* ---- strings and numbers in, with our own messages ---- */
%typemap(in) const char * {
    if (tlshs_py_cstr($input, "$1_name", (const char **)&$1) < 0)
        SWIG_fail;
}
%typemap(freearg) const char * ""
%typemap(in) int (long long v) {
    if (tlshs_py_long($input, "$1_name", INT_MIN, INT_MAX, &v) < 0)
        SWIG_fail;
    $1 = ($1_ltype)v;
}
%apply int { tlshs_code, tlshs_result, tlshs_role };
%typemap(in) unsigned (long long v) {
    if (tlshs_py_long($input, "$1_name", 0, UINT_MAX, &v) < 0)
        SWIG_fail;
    $1 = (unsigned)v;
}
%typemap(in) size_t (long long v) {
    if (tlshs_py_long($input, "$1_name", 0, PY_SSIZE_T_MAX, &v) < 0)
        SWIG_fail;
    $1 = (size_t)v;
}

/* ---- bytes in: tlshs_set_session, from any bytes-like object ---- */
%typemap(in) (const void *der, size_t len) (Py_buffer view, int have_view = 0) {
    if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) != 0)
        SWIG_fail; /* TypeError: a bytes-like object is required */
    have_view = 1;
    $1 = view.buf;
    $2 = (size_t)view.len;
}
%typemap(freearg) (const void *der, size_t len) {
    if (have_view$argnum)
        PyBuffer_Release(&view$argnum);
}

/* ---- bytes out: tlshs_session ---- */
/* (buf, cap) from an int; the function's size_t answer is how much it
   wrote.  Answers the bytes, shrunk to that count; when the count exceeds
   cap (a bigger buffer is needed; nothing was written) answers the count as
   an int instead. */
%typemap(in) (void *buf, size_t cap) (PyObject *out = NULL, long long v) {
    if (tlshs_py_long($input, "cap", 0, PY_SSIZE_T_MAX, &v) < 0)
        SWIG_fail;
    $2 = (size_t)v;
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)$2);
    if (!out)
        SWIG_fail;
    $1 = PyBytes_AS_STRING(out);
}
%typemap(argout) (void *buf, size_t cap) {
    Py_XDECREF($result);
    if ((size_t)result > $2) {
        $result = PyLong_FromSize_t((size_t)result);
    } else {
        if ((size_t)result < $2 && _PyBytes_Resize(&out$argnum, (Py_ssize_t)result) != 0) {
            $result = NULL; /* out was freed by _PyBytes_Resize */
            SWIG_fail;
        }
        $result = out$argnum;
        out$argnum = NULL;
    }
    if (!$result)
        SWIG_fail;
}
%typemap(freearg) (void *buf, size_t cap) {
    Py_XDECREF(out$argnum);
}

/* tlshs_role_from_name (once the core has it): answers the role, or raises
   ConfigError for a name that is none. */
%typemap(in, numinputs=0) tlshs_role *out (tlshs_role role = TLSHS_CLIENT) {
    $1 = &role;
}
%typemap(out) int tlshs_role_from_name {
    if ($1 != 0) {
        PyObject *text = PyUnicode_FromFormat("role: must be 'client' or 'server', not '%s'", arg1);
        tlshs_py_raise_text(TLSHS_E_BAD_VALUE, text);
        SWIG_fail;
    }
}
%typemap(argout) tlshs_role *out {
    $result = PyLong_FromLong((long)role$argnum);
    if (!$result)
        SWIG_fail;
}

/* tlshs_peer_cert: answers the DER bytes or None. */
%typemap(in, numinputs=0) size_t *len (size_t length = 0) {
    $1 = &length;
}
%typemap(argout) size_t *len {
    Py_XDECREF($result);
    if (result) {
        $result = PyBytes_FromStringAndSize((const char *)result, (Py_ssize_t)length$argnum);
        if (!$result)
            SWIG_fail;
    } else {
        $result = Py_None;
        Py_INCREF(Py_None);
    }
}
%typemap(out) const unsigned char *tlshs_peer_cert {
    $result = NULL; /* built by the argout typemap of len */
}

/* tlshs_trace_event: answers (sent, kind, name, length) or None. */
%typemap(out) const tlshs_event * {
    if ($1) {
        $result = Py_BuildValue("(Ossny#)", $1->sent ? Py_True : Py_False, $1->kind, $1->name,
                                (Py_ssize_t)$1->length, $1->data ? (const char *)$1->data : "",
                                (Py_ssize_t)($1->data ? $1->length : 0));
        if (!$result)
            SWIG_fail;
    } else {
        $result = Py_None;
        Py_INCREF(Py_None);
    }
}
%ignore tlshs_event;
/* tlshs_client_hello: a tlshs.ClientHello (tlshs_py_hello), or None.  The
   struct itself is not wrapped. */
%typemap(out) const tlshs_hello * {
    if ($1) {
        $result = tlshs_py_hello($1);
        if (!$result)
            SWIG_fail;
    } else {
        $result = Py_None;
        Py_INCREF(Py_None);
    }
}
%ignore tlshs_hello;

/* tlshs_ocsp_response, tlshs_peer_extension: bytes or None, as
   tlshs_peer_cert. */
%typemap(out) const unsigned char *tlshs_ocsp_response, const unsigned char *tlshs_peer_extension {
    $result = NULL; /* built by the argout typemap of len */
}

/* Records and tlshs_pair: wrapped by hand above (_records, _record_write,
   _refragment, _pair, _content_types), not by SWIG; the TLSHS_PAIR_* bits
   are SWIG constants. */
%ignore tlshs_record;
%ignore tlshs_records;
%ignore tlshs_record_write;
%ignore tlshs_refragment;
%ignore tlshs_pair;
%ignore TLSHS_CHANGE_CIPHER_SPEC;
%ignore TLSHS_ALERT;
%ignore TLSHS_HANDSHAKE;
%ignore TLSHS_APPLICATION_DATA;
%ignore TLSHS_C2S;
%ignore TLSHS_S2C;

/* The toolkit calls that take a callback or work like read and write are
   wrapped by the Python layer's own typemaps (0-RTT, the hello callback);
   until then they stay out, as the stubs describe. */
/* The hello callback and the moves are the handle's methods (on_client_hello:
   _set_hello_cb; key_update, renegotiate, request_client_cert, write_early,
   read_early), which release the GIL and see refusals; tlshs_use_config and
   tlshs_set_hello_reason only make sense inside the callback, where the
   binding calls them itself. */
%ignore tlshs_write_early;
%ignore tlshs_read_early;
%ignore tlshs_set_hello_cb;
%ignore tlshs_use_config;
%ignore tlshs_set_hello_reason;
%ignore tlshs_key_update;
%ignore tlshs_renegotiate;
%ignore tlshs_request_client_cert;

/* The handles' own methods, not SWIG functions. */
%ignore tlshs_config_new;
%ignore tlshs_config_free;
%ignore tlshs_new;
%ignore tlshs_free;
%ignore tlshs_set_fd;
%ignore tlshs_step;
%ignore tlshs_feed;
%ignore tlshs_feed_eof;
%ignore tlshs_pending;
%ignore tlshs_take;
%ignore tlshs_read;
%ignore tlshs_write;
%ignore tlshs_shutdown;
%ignore tlshs_last_result;

/* The header's export macro means nothing to SWIG. */
#define TLSHS_API
%include "tlshs.h"
