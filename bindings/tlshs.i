/*
 * tlshs.i - SWIG interface for the private C layer of the Python package,
 * tlshs._tlshs.  It wraps csrc/tlshs.h and nothing else (never OpenSSL's
 * headers).  The public, Pythonic layer is python/tlshs/__init__.py; nothing
 * here is meant to be called by users.
 *
 * Build: swig -python -interface _tlshs -Icsrc -o tlshs_wrap.c bindings/tlshs.i
 * ("-interface _tlshs" names the C extension tlshs._tlshs; the proxy module
 * SWIG also writes is not used: the package imports the C module directly).
 *
 * What the typemaps do:
 *   bytes in   any bytes-like object (bytes, bytearray, memoryview, array...);
 *              its Py_buffer is held until the C call returns and released
 *              in freearg.  Anything else raises TypeError.
 *   bytes out  the wrapper allocates a bytes object of the size the caller
 *              asked for, the C function writes into it, and the wrapper
 *              shrinks it to what was written: one copy, out of the core.
 *   events     tlshs_trace_event answers a tuple (sent, kind, name, length)
 *              or None.
 * The GIL is released around tlshs_step, tlshs_read, tlshs_write and
 * tlshs_shutdown (the calls that do cryptographic work or socket I/O) and
 * held everywhere else.  The Python layer serialises calls on one object
 * with a lock, as the core requires.
 */
%module(package="tlshs") _tlshs

%{
#define PY_SSIZE_T_CLEAN
#include "tlshs.h"
%}

/* ---- the GIL: released only around the four working calls ---- */
%define TLSHS_NOGIL(func)
%exception func {
    Py_BEGIN_ALLOW_THREADS
    $action
    Py_END_ALLOW_THREADS
}
%enddef
TLSHS_NOGIL(tlshs_step)
TLSHS_NOGIL(tlshs_read)
TLSHS_NOGIL(tlshs_write)
TLSHS_NOGIL(tlshs_shutdown)

/* ---- bytes in: (pointer, length) from any bytes-like object ---- */
%typemap(in) (const void *data, size_t len) (Py_buffer view, int have_view = 0) {
    if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) != 0)
        SWIG_fail; /* TypeError: a bytes-like object is required */
    have_view = 1;
    $1 = view.buf;
    $2 = (size_t)view.len;
}
%typemap(freearg) (const void *data, size_t len) {
    if (have_view$argnum)
        PyBuffer_Release(&view$argnum);
}
%typemap(typecheck) (const void *data, size_t len) {
    $1 = PyObject_CheckBuffer($input) ? 1 : 0;
}
%apply (const void *data, size_t len) { (const void *der, size_t len) };

/* tlshs_write: the data in, the accepted count out.
   Answers (result, accepted). */
%typemap(in) (const void *buf, size_t len, size_t *n) (Py_buffer view, int have_view = 0, size_t count = 0) {
    if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) != 0)
        SWIG_fail;
    have_view = 1;
    $1 = view.buf;
    $2 = (size_t)view.len;
    $3 = &count;
}
%typemap(argout) (const void *buf, size_t len, size_t *n) {
    Py_XDECREF($result);
    $result = Py_BuildValue("(in)", (int)result, (Py_ssize_t)count$argnum);
    if (!$result)
        SWIG_fail;
}
%typemap(freearg) (const void *buf, size_t len, size_t *n) {
    if (have_view$argnum)
        PyBuffer_Release(&view$argnum);
}

/* ---- bytes out ---- */

/* The size asked for: a non-negative int. */
%fragment("tlshs_capacity", "header") {
static int tlshs_capacity(PyObject *obj, size_t *cap)
{
    Py_ssize_t n;
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "size must be an int, not %.100s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    n = PyLong_AsSsize_t(obj);
    if (n == -1 && PyErr_Occurred())
        return -1;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "size must not be negative");
        return -1;
    }
    *cap = (size_t)n;
    return 0;
}
}

/* tlshs_take and tlshs_session: (buf, cap) from an int; the function's
   size_t answer is how much it wrote.  Answers the bytes, shrunk to that
   count; when the count exceeds cap (tlshs_session asking for a bigger
   buffer; nothing was written) answers the count as an int instead. */
%typemap(in, fragment="tlshs_capacity") (void *buf, size_t cap) (PyObject *out = NULL) {
    if (tlshs_capacity($input, &$2) != 0)
        SWIG_fail;
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

/* tlshs_read: (buf, cap) from an int, the count out.
   Answers (result, data). */
%typemap(in, fragment="tlshs_capacity") (void *buf, size_t cap, size_t *n) (PyObject *out = NULL, size_t count = 0) {
    if (tlshs_capacity($input, &$2) != 0)
        SWIG_fail;
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)$2);
    if (!out)
        SWIG_fail;
    $1 = PyBytes_AS_STRING(out);
    $3 = &count;
}
%typemap(argout) (void *buf, size_t cap, size_t *n) {
    Py_XDECREF($result);
    $result = NULL;
    if (count$argnum > $2)
        count$argnum = 0; /* never trust a count beyond the buffer */
    if (count$argnum < $2 && _PyBytes_Resize(&out$argnum, (Py_ssize_t)count$argnum) != 0)
        SWIG_fail; /* out was freed by _PyBytes_Resize */
    $result = Py_BuildValue("(iN)", (int)result, out$argnum);
    out$argnum = NULL; /* "N" stole it (or freed it on failure) */
    if (!$result)
        SWIG_fail;
}
%typemap(freearg) (void *buf, size_t cap, size_t *n) {
    Py_XDECREF(out$argnum);
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
        $result = Py_BuildValue("(Ossn)", $1->sent ? Py_True : Py_False, $1->kind, $1->name,
                                (Py_ssize_t)$1->length);
        if (!$result)
            SWIG_fail;
    } else {
        $result = Py_None;
        Py_INCREF(Py_None);
    }
}
%ignore tlshs_event;
/* The parsed ClientHello is not wrapped as a struct; tlshs_client_hello will
   answer it built by a typemap (issue 9, the binding's phase). */
%ignore tlshs_hello;

/* Records and tlshs_pair (C API of issue 10) are not wrapped yet: the
   Python layer (records, Record, refragment, pair) will wrap them; until
   then the module's surface stays as its stubs describe. */
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
%ignore TLSHS_PAIR_CLIENT_WAITS;
%ignore TLSHS_PAIR_SERVER_WAITS;
%ignore TLSHS_PAIR_ROUNDS_OUT;

/* The header's export macro means nothing to SWIG. */
#define TLSHS_API
%include "tlshs.h"
