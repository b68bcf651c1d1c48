/*
 * py_hello.c - the parsed ClientHello (tlshs.ClientHello, built from
 * tlshs_hello) and on_client_hello, the server's look at it.  See
 * tlshs_py.h.
 *
 * on_client_hello (tlshs_set_hello_cb, the method _set_hello_cb): the C
 * callback tlshs_py_on_hello runs inside one of the driving calls, with the
 * GIL released and the guard held by the calling thread; it takes the GIL
 * back (PyGILState_Ensure), builds a tlshs.ClientHello (tlshs_py_hello, also
 * the typemap of tlshs_client_hello) and calls the function.  While it
 * runs, guard.in_callback is set: the reading calls (the const tlshs *
 * functions, pending, result) from that thread go in without taking the
 * guard (tlshs_py_enter_read); any other call finds the guard taken by its
 * own thread and raises StateError.  An exception refuses with
 * internal_error; its type and text go to tlshs_set_hello_reason, the
 * object to hello_exc.  The function and the exception are held by the
 * handle, visited by the collector and dropped by close().
 */
#include "tlshs_py.h"

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
PyObject *tlshs_py_hello(const tlshs_hello *h) {
    PyObject *fields, *alpn, *out;
    Py_ssize_t i = 0;
    if (!tlshs_py_hello_class) {
        tlshs_py_raise(TLSHS_E_STATE, "tlshs._tlshs is not set up: import tlshs");
        return NULL;
    }
    fields = PyTuple_New(14);
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
    if (h->cookie) { /* DTLS: the cookie (b"" in a first ClientHello); TLS: None */
        TLSHS_PY_FIELD(PyBytes_FromStringAndSize((const char *)h->cookie, (Py_ssize_t)h->cookie_len));
    } else {
        Py_INCREF(Py_None);
        TLSHS_PY_FIELD(Py_None);
    }
#undef TLSHS_PY_FIELD
    out = PyObject_Call(tlshs_py_hello_class, fields, NULL);
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
        value = tlshs_py_fetch(); /* normalized, with its traceback */
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
PyObject *tlshs_py_set_hello_cb(tlshs_py_handshake *self, PyObject *fn) {
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

PyObject *tlshs_py_get_hello_exception(tlshs_py_handshake *self, void *unused) {
    PyObject *exc;
    if (!self->hs) {
        tlshs_py_raise(TLSHS_E_STATE, "the handshake is closed");
        return NULL;
    }
    exc = self->hello_exc ? self->hello_exc : Py_None;
    Py_INCREF(exc);
    return exc;
}

