/*
 * py_records.c - records and pair: _records, _record_write, _refragment,
 * their DTLS twins _dtls_records, _dtls_record_write, _dtls_refragment,
 * _pair and _content_types, by hand over tlshs_records, tlshs_record_write,
 * tlshs_refragment, tlshs_dtls_records, tlshs_dtls_record_write,
 * tlshs_dtls_refragment and tlshs_pair.  See tlshs_py.h.  _pair holds both
 * handshakes' guards (taken in address order) for the whole call and calls
 * the Python tamper through a C trampoline that takes the GIL back.
 */
#include "tlshs_py.h"

/*
 * _records(data) -> ([(type, version, body), ...], rest)
 * _record_write(type, version, body) -> bytes
 * _refragment(flight, max_body) -> bytes
 * _dtls_records(data) -> ([(type, version, epoch, seq, body), ...], rest)
 * _dtls_record_write(type, version, epoch, seq, body) -> bytes
 * _dtls_refragment(datagram, max_body) -> bytes
 * _pair(client, server, tamper, rounds) -> (rc, rs, status)
 * _content_types() -> ((value, NAME, name), ...) from TLSHS_CONTENT_TYPES
 * The record rules are the C core's; these only move bytes in and out. */

/* A bytes-like argument as a held Py_buffer (released by the caller). */
static int tlshs_py_view(PyObject *o, Py_buffer *view) {
    return PyObject_GetBuffer(o, view, PyBUF_SIMPLE);
}

PyObject *tlshs_py_records(PyObject *self, PyObject *args) {
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

PyObject *tlshs_py_record_write(PyObject *self, PyObject *args) {
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

PyObject *tlshs_py_refragment(PyObject *self, PyObject *args) {
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

PyObject *tlshs_py_dtls_records(PyObject *self, PyObject *args) {
    PyObject *data;
    Py_buffer view;
    tlshs_dtls_record *recs = NULL;
    size_t n, used = 0;
    PyObject *list = NULL, *answer = NULL;
    if (!PyArg_UnpackTuple(args, "_dtls_records", 1, 1, &data))
        return NULL;
    if (tlshs_py_view(data, &view) != 0)
        return NULL;
    n = tlshs_dtls_records(view.buf, (size_t)view.len, NULL, 0, NULL);
    if (n) {
        recs = PyMem_New(tlshs_dtls_record, n);
        if (!recs) {
            PyErr_NoMemory();
            goto done;
        }
        n = tlshs_dtls_records(view.buf, (size_t)view.len, recs, n, &used);
    }
    list = PyList_New((Py_ssize_t)n);
    if (!list)
        goto done;
    for (size_t i = 0; i < n; i++) {
        PyObject *item = Py_BuildValue("(iIIKy#)", recs[i].type, recs[i].version, recs[i].epoch,
                                       (unsigned long long)recs[i].seq, (const char *)recs[i].body,
                                       (Py_ssize_t)recs[i].len);
        if (!item)
            goto done;
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    answer = Py_BuildValue("(Oy#)", list, (size_t)view.len > used ? (const char *)view.buf + used : "",
                           (Py_ssize_t)((size_t)view.len - used));
done:
    Py_XDECREF(list);
    PyMem_Free(recs);
    PyBuffer_Release(&view);
    return answer;
}

PyObject *tlshs_py_dtls_record_write(PyObject *self, PyObject *args) {
    PyObject *type, *version, *epoch, *seq, *body, *out = NULL;
    long long t, v, e, q;
    Py_buffer view;
    size_t size;
    if (!PyArg_UnpackTuple(args, "_dtls_record_write", 5, 5, &type, &version, &epoch, &seq, &body))
        return NULL;
    if (tlshs_py_long(type, "type", 0, 255, &t) < 0 || tlshs_py_long(version, "version", 0, 0xffff, &v) < 0 ||
        tlshs_py_long(epoch, "epoch", 0, 0xffff, &e) < 0 || tlshs_py_long(seq, "seq", 0, 0xffffffffffffLL, &q) < 0)
        return NULL;
    if (tlshs_py_view(body, &view) != 0)
        return NULL;
    if ((size_t)view.len > 0xffff) {
        tlshs_py_raise(TLSHS_E_ARGUMENT, "record: a body holds at most 65535 bytes (what the header can say)");
        goto done;
    }
    size = tlshs_dtls_record_write((int)t, (unsigned)v, (unsigned)e, (uint64_t)q, view.buf, (size_t)view.len, NULL, 0);
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (out)
        tlshs_dtls_record_write((int)t, (unsigned)v, (unsigned)e, (uint64_t)q, view.buf, (size_t)view.len,
                                PyBytes_AS_STRING(out), size);
done:
    PyBuffer_Release(&view);
    return out;
}

PyObject *tlshs_py_dtls_refragment(PyObject *self, PyObject *args) {
    PyObject *datagram, *max_body, *out = NULL;
    long long m;
    Py_buffer view;
    size_t size;
    if (!PyArg_UnpackTuple(args, "_dtls_refragment", 2, 2, &datagram, &max_body))
        return NULL;
    if (tlshs_py_long(max_body, "max_body", LLONG_MIN, LLONG_MAX, &m) < 0)
        return NULL;
    if (m < 1) {
        tlshs_py_raise(TLSHS_E_ARGUMENT, "refragment: max_body must be at least 1");
        return NULL;
    }
    if (tlshs_py_view(datagram, &view) != 0)
        return NULL;
    size = tlshs_dtls_refragment(view.buf ? view.buf : "", (size_t)view.len, (size_t)m, NULL, 0);
    if (size == 0 && view.len > 0) {
        tlshs_py_raise(TLSHS_E_ARGUMENT,
                       "refragment: a re-cut record would hold more than 65535 bytes; take a larger max_body");
    } else {
        out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
        if (out && size)
            tlshs_dtls_refragment(view.buf, (size_t)view.len, (size_t)m, PyBytes_AS_STRING(out), size);
    }
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
    tlshs *to[2];        /* the receivers, by tlshs_direction (server, client) */
} tlshs_py_tamper;

static void tlshs_py_tamper_release(tlshs_py_tamper *t) {
    if (t->have_answer) {
        PyBuffer_Release(&t->answer);
        t->have_answer = 0;
    }
}

/* A list (or tuple) answer of tamper: every piece but the last is fed to the
   receiver here, in order (a piece of None or b"" is skipped); the last is
   held in t->answer for pair to deliver.  Answers the last piece's length
   (0: nothing left for pair), or -1 with a TypeError set. */
static Py_ssize_t tlshs_py_tamper_pieces(tlshs_py_tamper *t, tlshs_direction direction, PyObject *got) {
    PyObject *seq = PySequence_Fast(got, "tamper's answer");
    Py_ssize_t count, last = -1;
    if (!seq)
        return -1;
    count = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *piece = PySequence_Fast_GET_ITEM(seq, i);
        Py_buffer view;
        if (piece == Py_None)
            continue;
        if (PyObject_GetBuffer(piece, &view, PyBUF_SIMPLE) != 0) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "tamper's list must hold bytes or None, not %.100s",
                         Py_TYPE(piece)->tp_name);
            Py_DECREF(seq);
            return -1;
        }
        if (view.len == 0) {
            PyBuffer_Release(&view);
            continue;
        }
        if (t->have_answer) /* the piece before: to the receiver now (refused when it is closed: dropped) */
            tlshs_feed(t->to[direction], t->answer.buf, (size_t)t->answer.len);
        tlshs_py_tamper_release(t);
        t->answer = view;
        t->have_answer = 1;
        last = view.len;
    }
    Py_DECREF(seq);
    return last < 0 ? 0 : last;
}

/* The tlshs_tamper_cb under tlshs.pair: runs in the thread that called pair,
   with the GIL released around it, so it takes the GIL back to call tamper.
   tamper answers bytes (delivered instead), None or b"" (dropped), or a list
   of pieces delivered in order (tlshs_py_tamper_pieces).  After an exception
   it answers "drop" for every flight and records it: pair then stops as
   soon as nothing moves, and the exception is raised when tlshs_pair has
   returned. */
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
    if (got && (PyList_Check(got) || PyTuple_Check(got))) {
        Py_ssize_t last = tlshs_py_tamper_pieces(t, direction, got);
        if (last > 0) {
            *out = t->answer.buf;
            n = (size_t)last;
        }
    } else if (got && got != Py_None) {
        if (PyObject_GetBuffer(got, &t->answer, PyBUF_SIMPLE) == 0) {
            t->have_answer = 1;
            *out = t->answer.buf;
            n = (size_t)t->answer.len;
        } else {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "tamper must answer bytes or None (or a list of them), not %.100s",
                         Py_TYPE(got)->tp_name);
        }
    }
    Py_XDECREF(got); /* the held view keeps the object alive */
    if (PyErr_Occurred()) {
        n = 0;
        PyErr_Fetch(&t->exc[0], &t->exc[1], &t->exc[2]);
        /* Datagrams (a retransmission timer runs): pair would fire the timers
           of the sides still in their handshake until they give up, which
           on OpenSSL 3.2+ waits out the whole schedule; ending their input
           closes them at their next step instead. */
        if (tlshs_timeout_ms(t->to[0]) >= 0 || tlshs_timeout_ms(t->to[1]) >= 0) {
            tlshs_feed_eof(t->to[0]);
            tlshs_feed_eof(t->to[1]);
        }
    }
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

PyObject *tlshs_py_pair(PyObject *self, PyObject *args) {
    PyObject *client, *server, *tamper, *rounds_arg;
    tlshs_py_handshake *c, *s;
    tlshs_py_tamper t = {0};
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
    t.to[TLSHS_C2S] = s->hs; /* the receivers, read inside the guards pair holds for the call */
    t.to[TLSHS_S2C] = c->hs;
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

PyObject *tlshs_py_content_types(PyObject *self, PyObject *unused) {
#define TLSHS_PY_CONTENT_TYPE_(value, NAME, name) "(iss)"
#define TLSHS_PY_CONTENT_TYPE_ARGS_(value, NAME, name) , value, #NAME, #name
    return Py_BuildValue("(" TLSHS_CONTENT_TYPES(TLSHS_PY_CONTENT_TYPE_) ")"
                         TLSHS_CONTENT_TYPES(TLSHS_PY_CONTENT_TYPE_ARGS_));
#undef TLSHS_PY_CONTENT_TYPE_
#undef TLSHS_PY_CONTENT_TYPE_ARGS_
}
