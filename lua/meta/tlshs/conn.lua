---@meta _
-- LuaLS annotations for the connection tlshs.cqueues.wrap and
-- tlshs.socket.wrap make (lua/tlshs/conn.lua). The reference is docs/lua.md,
-- "Event loops".

---Options of tlshs.cqueues.wrap and tlshs.socket.wrap: tlshs.handshake's
---(not `fd`), and `timeout`.
---@class tlshs.conn_options: tlshs.handshake_options
---@field timeout? number # seconds each call may wait for the peer, in all (positive); default: no limit of ours

---A TLS connection over an event loop's socket: a memory-mode handshake whose
---bytes the adapter carries. Every method answers `nil, message, code` on
---failure: the handshake's code, "timeout" for a wait past `timeout`,
---"socket_error" when the socket failed.
---@class tlshs.conn
---@field hs tlshs.handshake # the handshake: info, trace, session, error, the moves (do not step, feed or take)
---@field sock any           # the socket, owned by the connection
---@field timeout? number
local conn = {}

---Runs the handshake to its end. After a "timeout", call again to go on.
---@return true? ok
---@return string? message
---@return tlshs.code? code
function conn:handshake() end

---Writes `data` as application data and waits until its records have gone to
---the socket; answers `#data`. On failure, `taken` is how many bytes were
---taken (after a "timeout" they leave with the next call: do not send them again).
---@param data string
---@return integer? n
---@return string? message
---@return tlshs.code? code
---@return integer? taken
function conn:send(data) end

---The next 1 to `n` (default 16384) bytes of application data, as they
---arrive; `nil, "closed", "close_notify"` after the peer's close_notify,
---`nil, "closed", "eof"` after its stream ended without one.
---@param n? integer
---@return string? data
---@return string? message # "closed" at the end
---@return tlshs.code? code
function conn:receive(n) end

---Sends close_notify, ends this side's stream, waits for the peer's
---close_notify or end (at most `timeout`, or 10 s), then closes the socket.
---Safe twice; `<close>` calls it.
---@return true? ok
---@return string? message
---@return tlshs.code? code
function conn:close() end

return conn
