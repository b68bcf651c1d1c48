# Type stubs for tlshs.trio (see its docstrings and docs/python.md, "tlshs.trio").
import abc
from typing import Any, Optional

import trio  # type: ignore[import]  # (Debian's trio 0.22 ships no types)

from . import Config, Handshake

class TLSStream(trio.abc.Stream, metaclass=abc.ABCMeta):  # trio.abc.Stream's metaclass
    transport_stream: trio.abc.Stream
    handshake: Handshake
    def __init__(
        self,
        transport_stream: trio.abc.Stream,
        config: Config,
        *,
        server_name: Optional[str] = ...,
        session: Optional[bytes] = ...,
        trace: bool = ...,
    ) -> None: ...
    async def do_handshake(self) -> None: ...
    async def receive_some(self, max_bytes: Optional[int] = ...) -> bytes: ...
    async def send_all(self, data: Any) -> None: ...
    async def wait_send_all_might_not_block(self) -> None: ...
    async def aclose(self) -> None: ...
