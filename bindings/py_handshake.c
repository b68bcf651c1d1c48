/*
 * py_handshake.c - HandshakeHandle, the base of tlshs.Handshake: a tlshs *
 * with its guard, and the calls that drive it (step, feed, take, read,
 * write, shutdown, the moves, 0-RTT), which release the GIL and raise the
 * core's refusals.  See tlshs_py.h.
 */
#include "tlshs_py.h"

/*
 * Refusals.  The core answers a refused call (step while read_early drives
 * the handshake, a move that does not fit, early data without a session
 * that allows it) with the last result, changing nothing, and keeps the
 * reason and its code (tlshs_usage_code).  Every call that can be refused
 * clears that code when it starts, so after a call the code is TLSHS_OK
 * unless that very call was refused: tlshs_py_refused (tlshs_py.h) reads it
 * after the call, and these raise the reason.  (A refusal inside
 * on_client_hello, of tlshs_use_config, is the callback's: the core clears
 * the code when the callback returns, so the driving call reads TLSHS_OK.)
 */

/* Raises the core's reason for the refused call on hs. */
void tlshs_py_raise_refusal(tlshs *hs) {
    tlshs_py_raise_text((int)tlshs_usage_code(hs), tlshs_py_text(tlshs_usage_error(hs)));
}

/* Leaves the guard, then raises the usage error read while inside it. */
PyObject *tlshs_py_leave_refused(tlshs_py_handshake *self) {
    int code = (int)tlshs_usage_code(self->hs);
    PyObject *text = tlshs_py_text(tlshs_usage_error(self->hs));
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
    if (tlshs_py_refused(self))
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

/* take(n=-1): up to n pending bytes (all when n < 0); over datagrams the
   next datagram whole, and an n smaller than it raises ArgumentError (the
   core refuses, keeping the datagram). */
static PyObject *tlshs_py_take_bytes(tlshs_py_handshake *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t n;
    size_t avail, got = 0;
    PyObject *out;
    if (tlshs_py_size_arg(args, nargs, "take", -1, &n) < 0)
        return NULL;
    if (tlshs_py_enter(self) < 0)
        return NULL;
    avail = tlshs_pending(self->hs);
    if (n < 0 || (size_t)n > avail)
        n = (Py_ssize_t)avail;
    out = PyBytes_FromStringAndSize(NULL, n); /* not a container: no collection runs here */
    if (out && avail)
        got = tlshs_take(self->hs, PyBytes_AS_STRING(out), (size_t)n);
    if (out && avail && !got && tlshs_py_refused(self)) {
        Py_DECREF(out);
        return tlshs_py_leave_refused(self);
    }
    tlshs_py_leave(&self->guard);
    if (out && got < (size_t)n && _PyBytes_Resize(&out, (Py_ssize_t)got) != 0)
        return NULL; /* out was freed */
    return out;
}

/* One read answers at most one record (16 KiB of plaintext): a bigger n only
   costs a bigger allocation, so it is capped (with room to spare). */
#define TLSHS_PY_READ_MAX 65536

/* read and read_early: n bytes at most (16384 by default), answered as
   (result, bytes). */
static PyObject *tlshs_py_read_with(tlshs_py_handshake *self, PyObject *const *args, Py_ssize_t nargs,
                                    const char *name,
                                    tlshs_result (*call)(tlshs *, void *, size_t, size_t *)) {
    Py_ssize_t n;
    size_t count = 0;
    tlshs_result r;
    PyObject *out;
    if (tlshs_py_size_arg(args, nargs, name, 16384, &n) < 0)
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
    r = call(self->hs, PyBytes_AS_STRING(out), (size_t)n, &count);
    Py_END_ALLOW_THREADS
    if (tlshs_py_refused(self)) {
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

static PyObject *tlshs_py_read(tlshs_py_handshake *self, PyObject *const *args, Py_ssize_t nargs) {
    return tlshs_py_read_with(self, args, nargs, "read", tlshs_read);
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
    if (tlshs_py_refused(self))
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

/* on_timeout: the GIL released (it sends a flight again, and on OpenSSL
   3.2 and later may wait out the rest of the timeout); refused (no timer
   runs) raises StateError. */
static PyObject *tlshs_py_on_timeout(tlshs_py_handshake *self, PyObject *unused) {
    tlshs_result r;
    if (tlshs_py_enter(self) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    r = tlshs_on_timeout(self->hs);
    Py_END_ALLOW_THREADS
    if (tlshs_py_refused(self))
        return tlshs_py_leave_refused(self);
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
    if (tlshs_py_refused(self))
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
    static char request_peer_name[] = "request_peer"; /* not const: Python < 3.13 takes char ** */
    static char *kwlist[] = {request_peer_name, NULL};
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

#define TLSHS_PY_EXPORT_MAX 65536 /* far more keying material than any protocol asks for */

static PyObject *tlshs_py_export_keying_material(tlshs_py_handshake *self, PyObject *args, PyObject *kwargs) {
    static char label_name[] = "label", length_name[] = "length", context_name[] = "context";
    static char *kwlist[] = {label_name, length_name, context_name, NULL};
    const char *label;
    Py_ssize_t length;
    Py_buffer context = {0};
    PyObject *out;
    int rc;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sn|z*:export_keying_material", kwlist, &label, &length,
                                     &context))
        return NULL;
    if (length < 1 || length > TLSHS_PY_EXPORT_MAX) {
        PyBuffer_Release(&context);
        tlshs_py_raise(TLSHS_E_ARGUMENT, "export_keying_material: length must be from 1 to 65536");
        return NULL;
    }
    out = PyBytes_FromStringAndSize(NULL, length);
    if (!out || tlshs_py_enter(self) < 0) {
        Py_XDECREF(out);
        PyBuffer_Release(&context);
        return NULL;
    }
    rc = tlshs_export_keying_material(self->hs, (unsigned char *)PyBytes_AS_STRING(out), (size_t)length, label,
                                      context.buf, context.buf ? (size_t)context.len : 0, context.buf != NULL);
    PyBuffer_Release(&context);
    if (rc != 0) {
        Py_DECREF(out);
        return tlshs_py_leave_refused(self);
    }
    tlshs_py_leave(&self->guard);
    return out;
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
    if (tlshs_py_refused(self))
        return tlshs_py_leave_refused(self);
    tlshs_py_leave(&self->guard);
    return Py_BuildValue("(Nn)", tlshs_py_result(r), (Py_ssize_t)count);
}

static PyObject *tlshs_py_read_early(tlshs_py_handshake *self, PyObject *const *args, Py_ssize_t nargs) {
    return tlshs_py_read_with(self, args, nargs, "read_early", tlshs_read_early);
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
     "object; they are copied).  Over datagrams, exactly one datagram\n"
     "as it came.  Raises StateError in fd mode, after feed_eof(), or\n"
     "once the connection is closed."},
    {"feed_eof", (PyCFunction)tlshs_py_feed_eof, METH_NOARGS,
     "feed_eof($self, /)\n--\n\n"
     "Memory mode: says the peer's byte stream has ended.  A handshake\n"
     "not yet done then closes (\"peer closed the connection during the\n"
     "handshake\").  Harmless twice; raises StateError in fd mode."},
    {"take", (PyCFunction)(void (*)(void))tlshs_py_take_bytes, METH_FASTCALL,
     "take($self, n=-1, /)\n--\n\n"
     "Memory mode: removes and answers up to n pending bytes for the\n"
     "peer (all of them when n is negative, the default); b\"\" if none.\n"
     "Datagrams (transport \"datagram\"): exactly one datagram, the next;\n"
     "an n smaller than it (pending) raises ArgumentError and loses\n"
     "nothing."},
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
    {"on_timeout", (PyCFunction)tlshs_py_on_timeout, METH_NOARGS,
     "on_timeout($self, /)\n--\n\n"
     "Datagrams: the retransmission timer fired (timeout reached 0), or\n"
     "the script fires it now: the last flight is sent again (memory: it\n"
     "waits in pending) and the timer starts over, doubled.  Answers a\n"
     "Result and is driven on like step; after 12 retransmissions the\n"
     "next timeout closes the handshake (error_code Code.E_TIMEOUT).\n"
     "StateError when no timer runs (timeout is None).  On OpenSSL 3.0\n"
     "it fires at once (virtual time); on 3.2 and later it first waits\n"
     "out the rest of the timeout (see docs/python.md)."},
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
    {"export_keying_material", (PyCFunction)(void (*)(void))tlshs_py_export_keying_material,
     METH_VARARGS | METH_KEYWORDS,
     "export_keying_material($self, /, label, length, context=None)\n--\n\n"
     "length bytes derived from the connection's secrets for the exporter\n"
     "label (a str) and, when given, context (bytes): RFC 5705, RFC 8446\n"
     "section 7.5 in TLS 1.3; what openssl s_client -keymatexport prints,\n"
     "what WebRTC derives its SRTP keys with.  Both ends derive the same\n"
     "bytes.  In TLS 1.2 no context and an empty one differ.  StateError\n"
     "before the handshake completed; ArgumentError for a length outside\n"
     "1 to 65536."},
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
     "Memory mode: how many bytes wait to be taken for the peer (always 0\n"
     "in fd mode); over datagrams, the size of the next datagram.", NULL},
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

PyTypeObject tlshs_py_handshake_type = {
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
