/*
 * tlshs.i - SWIG interface for the private C layer of the Python package,
 * tlshs._tlshs.  It wraps csrc/tlshs.h and nothing else (never OpenSSL's
 * headers).  The public, Pythonic layer is the package python/tlshs/;
 * nothing here is meant to be called by users.
 *
 * Build: swig -python -interface _tlshs -Icsrc -o tlshs_wrap.c bindings/tlshs.i,
 * compiled with bindings/py_*.c into one extension ("-interface _tlshs"
 * names it tlshs._tlshs; the proxy module SWIG also writes is not used: the
 * package imports the C module directly).
 *
 * This file holds typemaps and declarations only.  The C written by hand
 * lives beside it, sharing bindings/tlshs_py.h (which says what each file
 * holds, and describes the guard, the GIL and the bytes in and out):
 *   py_module.c     _setup, _setup_hello, raising, the guard's wait, arguments
 *   py_config.c     ConfigHandle, a tlshs_config *, the base of tlshs.Config
 *   py_handshake.c  HandshakeHandle, a tlshs *, the base of tlshs.Handshake;
 *                   the calls that drive a handshake (step, feed, take, read,
 *                   write, shutdown, on_timeout, the moves, 0-RTT) are its
 *                   methods
 *   py_hello.c      tlshs.ClientHello from tlshs_hello, and on_client_hello
 *   py_records.c    _records, _record_write, _refragment, their _dtls_ twins, _pair,
 *                   _content_types
 * Every other function of tlshs.h is wrapped by SWIG here and takes a handle
 * where the C function takes the pointer: the typemaps below enter the
 * handle's guard before the C call and leave it after.
 */
%module(package="tlshs") _tlshs

%begin %{
#define PY_SSIZE_T_CLEAN
%}

%{
#include "tlshs_py.h"
%}

%native(_setup) tlshs_py_setup;
%native(_records) tlshs_py_records;
%native(_record_write) tlshs_py_record_write;
%native(_refragment) tlshs_py_refragment;
%native(_dtls_records) tlshs_py_dtls_records;
%native(_dtls_record_write) tlshs_py_dtls_record_write;
%native(_dtls_refragment) tlshs_py_dtls_refragment;
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
%typemap(out) int tlshs_set_session, int tlshs_set_trace, int tlshs_set_capture, int tlshs_set_peer {
    if ($1 != 0) {
        tlshs_py_raise_refusal(arg1);
        SWIG_fail;
    }
    $result = Py_None;
    Py_INCREF(Py_None);
}
/* tlshs_config_check: raises the config's error (E_INCOMPLETE) for keys
   that contradict each other. */
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
%apply int { tlshs_code, tlshs_result, tlshs_role, tlshs_key_kind };
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

/* ---- bytes in: tlshs_set_session, tlshs_set_peer, from any bytes-like object ---- */
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
/* tlshs_set_peer: the address as bytes (the Python layer encodes a str). */
%apply (const void *der, size_t len) { (const void *peer, size_t len) };

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

/* tlshs_role_from_name: answers the role, or raises ConfigError for a name
   that is none. */
%typemap(in, numinputs=0) tlshs_role *out (tlshs_role role = TLSHS_CLIENT) {
    $1 = &role;
}
%typemap(out) int tlshs_role_from_name {
    if ($1 != 0) {
        PyObject *text = PyUnicode_FromFormat("role: must be '%s' or '%s', not '%s'", tlshs_role_name(TLSHS_CLIENT),
                                              tlshs_role_name(TLSHS_SERVER), arg1);
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

/* The key table (tlshs_config_key, tlshs_config_key_find): a row as the
   tuple (name, kind, roles, metavar, default, help), kind and roles the C
   numbers, default None for NULL; None past the end or for an unknown
   name.  The struct itself is not wrapped: tlshs.config_keys() makes the
   KeyInfo rows. */
%typemap(out) const tlshs_key_info * {
    if ($1) {
        $result = Py_BuildValue("(siIszs)", $1->name, (int)$1->kind, $1->roles, $1->metavar, $1->def, $1->help);
        if (!$result)
            SWIG_fail;
    } else {
        $result = Py_None;
        Py_INCREF(Py_None);
    }
}
%ignore tlshs_key_info;

/* tlshs_ocsp_response, tlshs_peer_extension: bytes or None, as
   tlshs_peer_cert. */
%typemap(out) const unsigned char *tlshs_ocsp_response, const unsigned char *tlshs_peer_extension {
    $result = NULL; /* built by the argout typemap of len */
}

/* Records and tlshs_pair: wrapped by hand in py_records.c (_records, _record_write,
   _refragment, their DTLS twins _dtls_records, _dtls_record_write,
   _dtls_refragment, _pair, _content_types), not by SWIG; the TLSHS_PAIR_* bits
   are SWIG constants. */
%ignore tlshs_record;
%ignore tlshs_records;
%ignore tlshs_record_write;
%ignore tlshs_refragment;
%ignore tlshs_dtls_record;
%ignore tlshs_dtls_records;
%ignore tlshs_dtls_record_write;
%ignore tlshs_dtls_fragment;
%ignore tlshs_dtls_fragments;
%ignore tlshs_dtls_refragment;
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
%ignore tlshs_export_keying_material; /* the handle's export_keying_material */

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
%ignore tlshs_on_timeout; /* the handle's on_timeout: releases the GIL, raises a refusal */

/* The header's export macro means nothing to SWIG. */
#define TLSHS_API
%include "tlshs.h"
