# Type stubs for the public tlshs package (see the package's docstrings and
# docs/python.md for the documentation).
import array
import enum
import mmap
import os
import socket
import sys
from typing import Any, Callable, Dict, Iterable, List, Literal, NamedTuple, Optional, Protocol, Tuple, Union, overload

from . import _tlshs

if sys.version_info >= (3, 12):
    from collections.abc import Buffer as _BytesLike
else:
    _BytesLike = Union[bytes, bytearray, memoryview, array.array[Any], mmap.mmap]

__version__: str
OPENSSL_VERSION: str
OPENSSL_BUILT_VERSION: str

class Result(enum.IntEnum):
    WANT_READ = 1
    WANT_WRITE = 2
    DONE = 3
    CLOSED = 4

WANT_READ: Result
WANT_WRITE: Result
DONE: Result
CLOSED: Result

class Code(enum.IntEnum):
    OK = 0
    E_ARGUMENT = 1
    E_STATE = 2
    E_NOMEM = 3
    E_SESSION = 4
    E_UNKNOWN_KEY = 10
    E_BAD_VALUE = 11
    E_FILE = 12
    E_IN_USE = 13
    E_INCOMPLETE = 14
    E_ALERT = 20
    E_VERIFY = 21
    E_EOF = 22
    E_CLOSE_NOTIFY = 23
    E_SHUTDOWN = 24
    E_SOCKET = 25
    E_PROTOCOL = 26
    E_REFUSED = 27
    E_TIMEOUT = 28
    @property
    def code_name(self) -> str: ...
    @property
    def description(self) -> str: ...

class Event(NamedTuple):
    sent: bool
    kind: str
    name: str
    length: int
    data: bytes = ...

class Error(Exception):
    default_code: int
    code: Code
    handshake: Optional[Handshake]
    def __init__(self, message: str = ..., code: Optional[int] = ...) -> None: ...
    @property
    def code_name(self) -> str: ...

class ArgumentError(Error, ValueError): ...
class StateError(Error): ...
class SessionError(Error): ...
class ConfigError(Error, ValueError): ...

def alert_name(code: int) -> str: ...

class ClientHello(NamedTuple):
    legacy_version: int
    versions: Tuple[int, ...]
    ciphers: Tuple[int, ...]
    extensions: Tuple[int, ...]
    groups: Tuple[int, ...]
    key_shares: Tuple[int, ...]
    sigalgs: Tuple[int, ...]
    server_name: Optional[str]
    alpn: Tuple[str, ...]
    ja3: str
    ja3_hash: str
    ja4: str
    raw: bytes
    cookie: Optional[bytes] = ...

def cipher_suite_name(n: int) -> Optional[str]: ...
def extension_name(n: int) -> Optional[str]: ...
def group_name(n: int) -> Optional[str]: ...
def sigalg_name(n: int) -> Optional[str]: ...
def version_name(n: int) -> Optional[str]: ...

# The values a key takes, by its kind (tlshs.config_keys(); the keyword
# list of Config below follows the table, and a test compares them).
_Path = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]
_Pem = Union[str, bytes]
_Switch = Union[bool, str]
_Number = Union[int, str]
_List = Union[str, List[str], Tuple[str, ...]]

class KeyInfo(NamedTuple):
    name: str
    kind: str
    roles: Tuple[str, ...]
    metavar: str
    default: Optional[str]
    help: str

def config_keys() -> Tuple[KeyInfo, ...]: ...

class Config(_tlshs.ConfigHandle):
    def __init__(
        self,
        role: str,
        *,
        ca_file: _Path = ...,
        ca_path: _Path = ...,
        ca_pem: _Pem = ...,
        cert_file: _Path = ...,
        key_file: _Path = ...,
        cert_pem: _Pem = ...,
        key_pem: _Pem = ...,
        verify: str = ...,
        min_version: str = ...,
        max_version: str = ...,
        alpn: _List = ...,
        ciphers: str = ...,
        ciphersuites: str = ...,
        groups: str = ...,
        sigalgs: str = ...,
        tickets: _Switch = ...,
        keylog_file: _Path = ...,
        dh_params_file: _Path = ...,
        security_level: _Number = ...,
        num_tickets: _Number = ...,
        max_early_data: _Number = ...,
        post_handshake_auth: _Switch = ...,
        status_request: _Switch = ...,
        ocsp_response_file: _Path = ...,
        max_fragment_length: _Number = ...,
        extensions: _List = ...,
        self_signed: str = ...,
        psk: str = ...,
        psk_identity: str = ...,
        transport: str = ...,
        mtu: _Number = ...,
        cookie: _Switch = ...,
        retransmit_ms: _Number = ...,
        use_srtp: str = ...,
    ) -> None: ...
    def set(self, key: str, value: Union[_Path, _Switch, _Number, _List]) -> None: ...
    def check(self) -> None: ...
    @property
    def role(self) -> str: ...
    @property
    def fingerprint(self) -> Optional[str]: ...
    @property
    def cert_pem(self) -> Optional[str]: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Config: ...
    def __exit__(self, *exc: object) -> None: ...

class _HasFileno(Protocol):
    def fileno(self) -> int: ...

class Handshake(_tlshs.HandshakeHandle):
    def __init__(
        self,
        cfg: Config,
        server_name: Optional[str] = ...,
        sock: Optional[_HasFileno] = ...,
        session: Optional[_BytesLike] = ...,
        trace: bool = ...,
        capture: Optional[_Path] = ...,
        on_client_hello: Optional[Callable[[ClientHello], Union[None, Config, str, int]]] = ...,
    ) -> None: ...
    def step(self) -> Result: ...
    def feed(self, data: _BytesLike, /) -> None: ...
    def feed_eof(self) -> None: ...
    @property
    def pending(self) -> int: ...
    def take(self, n: int = ..., /) -> bytes: ...
    def read(self, n: int = ..., /) -> Tuple[Result, bytes]: ...
    def write(self, data: _BytesLike, /) -> Tuple[Result, int]: ...
    def shutdown(self) -> Result: ...
    def key_update(self, request_peer: bool = ...) -> Result: ...
    def renegotiate(self) -> Result: ...
    def request_client_cert(self) -> Result: ...
    def write_early(self, data: _BytesLike, /) -> Tuple[Result, int]: ...
    def read_early(self, n: int = ..., /) -> Tuple[Result, bytes]: ...
    def export_keying_material(self, label: str, length: int, context: Optional[bytes] = ...) -> bytes: ...
    def on_timeout(self) -> Result: ...
    def set_peer(self, address: Union[str, bytes]) -> None: ...
    @property
    def timeout(self) -> Optional[float]: ...
    @property
    def srtp_profile(self) -> Optional[str]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Handshake: ...
    def __exit__(self, *exc: object) -> None: ...
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
    def error_code(self) -> Code: ...
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
    @property
    def client_hello(self) -> Optional[ClientHello]: ...
    @property
    def ja3s(self) -> Optional[str]: ...
    @property
    def ja3s_hash(self) -> Optional[str]: ...
    @property
    def hello_exception(self) -> Optional[BaseException]: ...
    @property
    def early_data(self) -> str: ...
    @property
    def ocsp_response(self) -> Optional[bytes]: ...
    @property
    def peer_extensions(self) -> Dict[int, bytes]: ...

# ---- records: reshaping what goes on the wire ----

CHANGE_CIPHER_SPEC: int
ALERT: int
HANDSHAKE: int
APPLICATION_DATA: int

class Record(NamedTuple):
    type: int
    version: int
    body: bytes
    def __bytes__(self) -> bytes: ...

class DtlsRecord(NamedTuple):
    type: int
    version: int
    epoch: int
    seq: int
    body: bytes
    def __bytes__(self) -> bytes: ...

@overload
def records(data: _BytesLike, datagram: Literal[False] = ...) -> Tuple[list[Record], bytes]: ...
@overload
def records(data: _BytesLike, datagram: Literal[True]) -> Tuple[list[DtlsRecord], bytes]: ...
@overload
def records(data: _BytesLike, datagram: bool) -> Tuple[Union[list[Record], list[DtlsRecord]], bytes]: ...
def refragment(flight: _BytesLike, max_body: int, datagram: bool = ...) -> bytes: ...

class PairOutcome(Tuple[Result, Result]):
    client: Result
    server: Result
    waiting: Tuple[str, ...]
    rounds_out: bool
    def __new__(cls, client: Result, server: Result, status: int) -> PairOutcome: ...

_TamperAnswer = Union[None, _BytesLike, list[Optional[_BytesLike]], Tuple[Optional[_BytesLike], ...]]

def pair(
    client: Handshake,
    server: Handshake,
    tamper: Optional[Callable[[str, bytes], _TamperAnswer]] = None,
    rounds: int = 50,
) -> PairOutcome: ...
def drive(
    hs: Handshake,
    sock: socket.socket,
    tamper: Optional[Callable[[str, bytes], Union[None, _BytesLike, Iterable[bytes]]]] = None,
    timeout: float = 10.0,
) -> Result: ...
def close_socket(sock: socket.socket, timeout: float = 1.0) -> None: ...
