# Type stubs for the public tlshs package (see __init__.py for the documentation).
import array
import enum
import mmap
import os
import sys
from types import TracebackType
from typing import Any, NamedTuple, Optional, Protocol, Tuple, Type, Union

if sys.version_info >= (3, 12):
    from collections.abc import Buffer as _BytesLike
else:
    _BytesLike = Union[bytes, bytearray, memoryview, array.array[Any], mmap.mmap]

__version__: str

class Result(enum.IntEnum):
    WANT_READ = 1
    WANT_WRITE = 2
    DONE = 3
    CLOSED = 4

WANT_READ: Result
WANT_WRITE: Result
DONE: Result
CLOSED: Result

class Event(NamedTuple):
    sent: bool
    kind: str
    name: str
    length: int

class Error(Exception): ...
class ConfigError(Error, ValueError): ...

def alert_name(code: int) -> str: ...

_Value = Union[str, os.PathLike[str]]

class Config:
    def __init__(
        self,
        role: str,
        *,
        ca_file: _Value = ...,
        ca_path: _Value = ...,
        ca_pem: str = ...,
        cert_file: _Value = ...,
        key_file: _Value = ...,
        cert_pem: str = ...,
        key_pem: str = ...,
        verify: str = ...,
        min_version: str = ...,
        max_version: str = ...,
        alpn: str = ...,
        ciphers: str = ...,
        ciphersuites: str = ...,
        groups: str = ...,
        sigalgs: str = ...,
        tickets: str = ...,
        keylog_file: _Value = ...,
    ) -> None: ...
    def set(self, key: str, value: _Value) -> None: ...
    @property
    def role(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Config: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...

class _HasFileno(Protocol):
    def fileno(self) -> int: ...

class Handshake:
    def __init__(
        self,
        cfg: Config,
        server_name: Optional[str] = ...,
        sock: Optional[_HasFileno] = ...,
        session: Optional[_BytesLike] = ...,
        trace: bool = ...,
    ) -> None: ...
    def step(self) -> Result: ...
    def feed(self, data: _BytesLike) -> None: ...
    def feed_eof(self) -> None: ...
    @property
    def pending(self) -> int: ...
    def take(self, n: int = ...) -> bytes: ...
    def read(self, n: int = ...) -> Tuple[Result, bytes]: ...
    def write(self, data: _BytesLike) -> Tuple[Result, int]: ...
    def shutdown(self) -> Result: ...
    def close(self) -> None: ...
    def __enter__(self) -> Handshake: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...
    @property
    def result(self) -> Result: ...
    @property
    def closed(self) -> bool: ...
    @property
    def role(self) -> str: ...
    @property
    def config(self) -> Config: ...
    @property
    def sock(self) -> Optional[_HasFileno]: ...
    @property
    def handshake_done(self) -> bool: ...
    @property
    def error(self) -> str: ...
    @property
    def alert_sent(self) -> Optional[int]: ...
    @property
    def alert_received(self) -> Optional[int]: ...
    @property
    def version(self) -> Optional[str]: ...
    @property
    def cipher(self) -> Optional[str]: ...
    @property
    def alpn(self) -> Optional[str]: ...
    @property
    def server_name(self) -> Optional[str]: ...
    @property
    def resumed(self) -> bool: ...
    @property
    def verify_result(self) -> int: ...
    @property
    def peer_cert(self) -> Optional[bytes]: ...
    @property
    def session(self) -> Optional[bytes]: ...
    @property
    def trace(self) -> list[Event]: ...
