"""Error codes and exceptions: tlshs.Code and tlshs.Error's hierarchy.

Code is built from the C library's one table of codes (TLSHS_CODES in
tlshs.h): every TLSHS_OK / TLSHS_E_* constant of the C layer is a member,
named as in C without the TLSHS_ prefix (Code.E_VERIFY), with the C name
(code_name, "verify_failed") and description.

Every exception tlshs raises is an Error with .code (a Code) and
.code_name; the class follows the code:

    Error                    any failure; E_NOMEM and codes without a class below
    +-- ArgumentError        E_ARGUMENT: an argument's value is refused (also a ValueError)
    +-- StateError           E_STATE: the call does not fit the object's state
    |                        (closed object, fd/memory mismatch, input ended, started)
    +-- SessionError         E_SESSION: the session cannot be resumed here
    +-- ConfigError          E_UNKNOWN_KEY, E_BAD_VALUE, E_FILE, E_IN_USE, E_INCOMPLETE:
                             a key, a value or a config that cannot make handshakes
                             (also a ValueError)

The codes of why a connection closed (E_ALERT ... E_PROTOCOL) are not
raised by a Handshake: a failed handshake answers CLOSED, and
Handshake.error_code says why.  The event-loop adapters (tlshs.aio,
tlshs.trio) raise them as an Error of that code, the Handshake in
.handshake.
"""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Tuple, Type

from . import _tlshs as _c


class _CodeBase(enum.IntEnum):
    @property
    def code_name(self) -> str:
        """The C library's name for the code ("verify_failed")."""
        return _c.tlshs_code_name(self)

    @property
    def description(self) -> str:
        """What the code means, one sentence."""
        return _c.tlshs_code_description(self)


def _c_codes() -> Dict[str, int]:
    codes = {}
    for name in dir(_c):
        if name == "TLSHS_OK" or name.startswith("TLSHS_E_"):
            value = getattr(_c, name)
            if _c.tlshs_code_name(value) == "unknown":  # not in TLSHS_CODES
                raise ImportError(f"tlshs: {name} = {value} is not in the C table of codes")
            codes[name[len("TLSHS_"):]] = value
    return dict(sorted(codes.items(), key=lambda item: item[1]))


Code: Type[_CodeBase] = _CodeBase("Code", _c_codes(), module="tlshs")  # type: ignore[call-arg, arg-type, assignment]
Code.__doc__ = """A stable error code, as the C library's TLSHS_CODES table gives it.

Members are named as in C without the prefix (Code.OK, Code.E_STATE,
Code.E_VERIFY, ...); each has .code_name (the C name, "verify_failed")
and .description.  Error.code and Handshake.error_code are Codes."""


class Error(Exception):
    """Base of tlshs's exceptions.

    ``code`` is the :class:`Code` of the failure and ``code_name`` its C
    name; ``str(e)`` is the C library's message.  ``Error(message)`` without
    a code takes the class's own (:attr:`default_code`).  ``handshake`` is
    the Handshake whose connection failed when tlshs.aio or tlshs.trio
    raise the error for one, else None."""

    #: The code of an instance made without one.
    default_code: int = _c.TLSHS_E_STATE

    def __init__(self, message: str = "", code: Optional[int] = None) -> None:
        super().__init__(message)
        self.code: _CodeBase = Code(self.default_code if code is None else code)
        #: The Handshake whose connection failed, when an event-loop adapter
        #: (tlshs.aio, tlshs.trio) raises the error for it; None otherwise.
        self.handshake: Any = None

    @property
    def code_name(self) -> str:
        """The C name of :attr:`code` ("bad_state")."""
        return self.code.code_name


class ArgumentError(Error, ValueError):
    """An argument's value was refused by the C library (E_ARGUMENT), such
    as a socket whose descriptor is not valid."""

    default_code = _c.TLSHS_E_ARGUMENT


class StateError(Error):
    """The call does not fit the object's state (E_STATE): a closed object,
    feeding after feed_eof() or once the connection is closed, a
    memory-mode call in fd mode, a setting after the first step."""

    default_code = _c.TLSHS_E_STATE


class SessionError(Error):
    """The session offered cannot be resumed by this handshake (E_SESSION):
    not a session, or not one this client may resume."""

    default_code = _c.TLSHS_E_SESSION


class ConfigError(Error, ValueError):
    """A bad configuration key or value, or a config that cannot make a
    handshake (a server without a certificate...): E_UNKNOWN_KEY,
    E_BAD_VALUE, E_FILE, E_IN_USE, E_INCOMPLETE.  The message names the key
    and why, as the C library words it."""

    default_code = _c.TLSHS_E_BAD_VALUE


_BY_CODE: Dict[int, Type[Error]] = {
    _c.TLSHS_E_ARGUMENT: ArgumentError,
    _c.TLSHS_E_STATE: StateError,
    _c.TLSHS_E_SESSION: SessionError,
    _c.TLSHS_E_UNKNOWN_KEY: ConfigError,
    _c.TLSHS_E_BAD_VALUE: ConfigError,
    _c.TLSHS_E_FILE: ConfigError,
    _c.TLSHS_E_IN_USE: ConfigError,
    _c.TLSHS_E_INCOMPLETE: ConfigError,
}

def closed_error(hs: Any, cause: Optional[BaseException] = None) -> Error:
    """The exception the event-loop adapters (tlshs.aio, tlshs.trio) raise
    for a Handshake that answered CLOSED: the class and code of its
    error_code, its error as the message, hs in .handshake."""
    code = int(hs.error_code)
    exc = _BY_CODE.get(code, Error)(hs.error or "the connection closed", code)
    exc.handshake = hs
    exc.__cause__ = cause
    return exc


#: Exception class by code value, for the C layer (index = code).
CLASSES: Tuple[Type[Error], ...] = tuple(_BY_CODE.get(v, Error) for v in range(max(m.value for m in Code) + 1))


for _cls in (Error, ArgumentError, StateError, SessionError, ConfigError):
    _cls.__module__ = "tlshs"
del _cls
