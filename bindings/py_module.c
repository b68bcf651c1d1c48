/*
 * py_module.c - the module's own parts of tlshs._tlshs: what the package
 * hands over at import (_setup, _setup_hello), raising tlshs.Error's
 * classes, the guard's wait and argument conversion.  See tlshs_py.h.
 */
#include "tlshs_py.h"

PyObject *tlshs_py_results;
PyObject *tlshs_py_errors;
PyObject *tlshs_py_error;
PyObject *tlshs_py_hello_class;

/* A C message as a str; bytes that are not UTF-8 (a path's) read \xNN. */
PyObject *tlshs_py_text(const char *message) {
    return PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "backslashreplace");
}

/* Raises the class of code (tlshs.Error or its subclass) with text; steals text. */
void tlshs_py_raise_text(int code, PyObject *text) {
    PyObject *cls = tlshs_py_error ? tlshs_py_error : PyExc_RuntimeError, *exc;
    if (!text) return;
    if (tlshs_py_errors && code >= 0 && code < PyTuple_GET_SIZE(tlshs_py_errors))
        cls = PyTuple_GET_ITEM(tlshs_py_errors, code);
    exc = PyObject_CallFunction(cls, "Oi", text, code);
    Py_DECREF(text);
    if (!exc) return;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}

void tlshs_py_raise(int code, const char *message) {
    tlshs_py_raise_text(code, tlshs_py_text(message));
}

/* ---- the guard ---- */

/* Called with busy set: waits, without the GIL, until the guard is handed
   to this thread, and answers with it taken.  The guard passes from the
   thread that leaves straight to a waiter, so a thread that keeps calling
   cannot starve the others.  Refuses a wait for itself (a finalizer run by
   the garbage collector inside a call, calling the same object), which
   would never end. */
int tlshs_py_wait(tlshs_py_guard *g) {
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

/* ---- arguments ---- */

/* The exception raised, normalized (a new reference), and cleared. */
PyObject *tlshs_py_fetch(void) {
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

/* A str that UTF-8 cannot encode (a lone surrogate): ArgumentError naming
   the parameter, with the UnicodeEncodeError as its __cause__. */
static void tlshs_py_raise_unencodable(const char *name) {
    PyObject *cause = tlshs_py_fetch(), *exc;
    tlshs_py_raise_text(TLSHS_E_ARGUMENT, PyUnicode_FromFormat("%s: %S", name, cause));
    exc = tlshs_py_fetch(); /* the ArgumentError, or what stopped making it */
    PyException_SetCause(exc, cause); /* steals cause */
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}

/* A str (UTF-8) or bytes, without NUL, for a const char * parameter: a
   str UTF-8 cannot encode or a NUL inside raises ArgumentError naming it. */
int tlshs_py_cstr(PyObject *o, const char *name, const char **out) {
    const char *s;
    Py_ssize_t n;
    if (PyUnicode_Check(o)) {
        s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s) {
            if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
                tlshs_py_raise_unencodable(name);
            return -1;
        }
    } else if (PyBytes_Check(o)) {
        s = PyBytes_AS_STRING(o);
        n = PyBytes_GET_SIZE(o);
    } else {
        PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", name, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (strlen(s) != (size_t)n) {
        PyObject *text = PyUnicode_FromFormat("%s: embedded null character", name);
        tlshs_py_raise_text(TLSHS_E_ARGUMENT, text);
        return -1;
    }
    *out = s;
    return 0;
}

/* An int (not a bool) within [lo, hi]. */
int tlshs_py_long(PyObject *o, const char *name, long long lo, long long hi, long long *out) {
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
int tlshs_py_size_arg(PyObject *const *args, Py_ssize_t nargs, const char *func, Py_ssize_t dflt,
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

PyObject *tlshs_py_self(PyObject *self, PyObject *unused) {
    Py_INCREF(self);
    return self;
}

/* _setup(results, errors, error): the package's Result members by value,
   its exception classes by code, and tlshs.Error. */
PyObject *tlshs_py_setup(PyObject *self, PyObject *args) {
    PyObject *results, *errors, *error;
    if (!PyArg_ParseTuple(args, "O!O!O:_setup", &PyTuple_Type, &results, &PyTuple_Type, &errors, &error))
        return NULL;
    Py_INCREF(results);
    Py_XSETREF(tlshs_py_results, results);
    Py_INCREF(errors);
    Py_XSETREF(tlshs_py_errors, errors);
    Py_INCREF(error);
    Py_XSETREF(tlshs_py_error, error);
    Py_RETURN_NONE;
}

/* _setup_hello(ClientHello): the class a parsed ClientHello is built as. */
PyObject *tlshs_py_setup_hello(PyObject *self, PyObject *args) {
    PyObject *cls;
    if (!PyArg_ParseTuple(args, "O:_setup_hello", &cls))
        return NULL;
    Py_INCREF(cls);
    Py_XSETREF(tlshs_py_hello_class, cls);
    Py_RETURN_NONE;
}
