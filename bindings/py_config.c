/*
 * py_config.c - ConfigHandle, the base of tlshs.Config: a tlshs_config *
 * with its guard.  See tlshs_py.h.
 */
#include "tlshs_py.h"

int tlshs_py_config_enter(tlshs_py_config *self) {
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

PyTypeObject tlshs_py_config_type = {
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
