"""tlshs: a resumable, non-blocking TLS handshake object over OpenSSL.

A :class:`Handshake` drives one TLS connection from its first byte to
:data:`DONE` or :data:`CLOSED`.  It never blocks and owns no loop: every call
does as much as it can and answers a :class:`Result`:

* :data:`WANT_READ`  -- bytes from the peer are needed: :meth:`Handshake.feed`
  them (memory mode) or wait until the socket is readable (fd mode);
* :data:`WANT_WRITE` -- bytes for the peer are waiting: :meth:`Handshake.take`
  them all (memory mode) or wait until the socket is writable (fd mode);
* :data:`DONE`       -- the operation completed;
* :data:`CLOSED`     -- the connection is over; :attr:`Handshake.error` says why.

Results are return values, never exceptions.  Settings live in a
:class:`Config` that any number of handshakes share::

    import socket, tlshs
    sock = socket.create_connection(("localhost", 4433))
    cfg = tlshs.Config("client", ca_file="ca.pem", alpn="h2,http/1.1")
    with tlshs.Handshake(cfg, server_name="localhost") as hs:
        while (r := hs.step()) != tlshs.DONE:
            if r == tlshs.WANT_WRITE:
                sock.sendall(hs.take())
            elif r == tlshs.WANT_READ:
                data = sock.recv(16384)
                if data:
                    hs.feed(data)
                else:
                    hs.feed_eof()
            else:
                raise RuntimeError(hs.error)
        print(hs.version, hs.alpn)

(That is memory mode over a blocking socket; ``Handshake(..., sock=sock)``
lets the object use a non-blocking socket itself.)

Errors: every exception is an :class:`Error` with a stable ``code`` (a
:class:`Code`); the class follows the code: :class:`ConfigError` (also a
ValueError) for a bad key, value or config, :class:`StateError` for a call
that does not fit the object's state (a closed object, feeding a closed
connection), :class:`SessionError` for a session that cannot be resumed,
:class:`ArgumentError` (also a ValueError) for a refused argument;
TypeError for an argument of the wrong type.

Objects are safe to share between threads: calls on one object from
several threads run one at a time (a thread that arrives while another is
inside a call waits).  The GIL is released while OpenSSL works (step, read,
write, shutdown).

Records (records, Record, refragment, pair, drive) read, rebuild and
carry flights, so a script can reshape what goes on the wire.

Layout: _results (Result, Event, alert_name), _errors (Code and the
exceptions), _config (Config, config_keys, KeyInfo), _handshake (Handshake), _hello (ClientHello
and the IANA name helpers), _records (records, Record, refragment, pair),
_drive (drive, close_socket), over the C layer
_tlshs made by SWIG from bindings/tlshs.i and bindings/py_*.c.
"""

from . import _tlshs as _c

if _c.tlshs_openssl_mismatch():  # another OpenSSL 3 was loaded first: refuse, never fall back
    raise ImportError(f"tlshs: {_c.tlshs_openssl_mismatch()}")

from ._config import Config, KeyInfo, config_keys
from ._errors import CLASSES as _CLASSES
from ._errors import ArgumentError, Code, ConfigError, Error, SessionError, StateError
from ._drive import close_socket, drive
from ._handshake import Handshake
from ._hello import ClientHello, cipher_suite_name, extension_name, group_name, sigalg_name, version_name
from ._records import (ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE, DtlsRecord, PairOutcome,
                       Record, pair, records, refragment)
from ._results import RESULTS as _RESULTS
from ._results import Event, Result, alert_name

#: The version of the tlshs library this package wraps ("0.1.0").
__version__: str = _c.TLSHS_VERSION_STRING

#: The OpenSSL tlshs runs on ("OpenSSL 3.0.17 1 Jul 2025"), and the one it
#: was compiled against: the same major and minor version, or the import
#: failed (ImportError naming both).
OPENSSL_VERSION: str = _c.tlshs_openssl_version()
OPENSSL_BUILT_VERSION: str = _c.tlshs_openssl_built_version()

# Every Result member is also a module attribute (tlshs.WANT_READ ...).
globals().update(Result.__members__)

# The C layer answers these members and raises these classes.
_c._setup(_RESULTS, _CLASSES, Error)
_c._setup_hello(ClientHello)

__all__ = [
    "Result",
    *Result.__members__,
    "Event",
    "Code",
    "Error",
    "ArgumentError",
    "ConfigError",
    "SessionError",
    "StateError",
    "Config",
    "KeyInfo",
    "config_keys",
    "Handshake",
    "alert_name",
    # records: reshaping what goes on the wire
    "CHANGE_CIPHER_SPEC",
    "ALERT",
    "HANDSHAKE",
    "APPLICATION_DATA",
    "Record",
    "DtlsRecord",
    "records",
    "refragment",
    "pair",
    "PairOutcome",
    "drive",
    "close_socket",
    "ClientHello",
    "cipher_suite_name",
    "extension_name",
    "group_name",
    "sigalg_name",
    "version_name",
    "__version__",
    "OPENSSL_VERSION",
    "OPENSSL_BUILT_VERSION",
]
