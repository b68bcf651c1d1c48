# Type stubs for tlshs.aio (see its docstrings and docs/python.md, "tlshs.aio").
import asyncio
import os
from typing import Any, Awaitable, Callable, Iterable, Optional, Tuple, Union

from . import ClientHello, Config, Error, Handshake

_Path = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]
_Tamper = Callable[[str, bytes], Union[None, bytes, bytearray, memoryview, Iterable[bytes]]]
_Connected = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Union[None, Awaitable[None]]]

HANDSHAKE_TIMEOUT: float
SHUTDOWN_TIMEOUT: float

class HandshakeTimeoutError(Error, TimeoutError): ...

def _capture_path(base: Optional[_Path], index: int) -> Optional[_Path]: ...

async def open_connection(
    host: Optional[str],
    port: Optional[int],
    config: Config,
    *,
    server_name: Optional[str] = ...,
    session: Optional[bytes] = ...,
    trace: bool = ...,
    capture: Optional[_Path] = ...,
    tamper: Optional[_Tamper] = ...,
    handshake_timeout: Optional[float] = ...,
    limit: int = ...,
    **kwds: Any,
) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]: ...
async def start_server(
    client_connected_cb: _Connected,
    host: Any,
    port: Optional[int],
    config: Config,
    *,
    on_client_hello: Optional[Callable[[ClientHello], Union[None, Config, str, int]]] = ...,
    on_handshake_end: Optional[Callable[[Handshake], Any]] = ...,
    trace: bool = ...,
    capture: Optional[_Path] = ...,
    tamper: Optional[_Tamper] = ...,
    handshake_timeout: Optional[float] = ...,
    limit: int = ...,
    **kwds: Any,
) -> asyncio.Server: ...
async def start_tls(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    config: Config,
    *,
    server_name: Optional[str] = ...,
    session: Optional[bytes] = ...,
    trace: bool = ...,
    handshake_timeout: Optional[float] = ...,
) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]: ...
async def key_update(writer: asyncio.StreamWriter, request_peer: bool = ...) -> None: ...
async def renegotiate(writer: asyncio.StreamWriter) -> None: ...
async def request_client_cert(writer: asyncio.StreamWriter) -> None: ...
