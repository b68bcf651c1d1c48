---@meta tlshs.socket
-- LuaLS annotations for `require "tlshs.socket"` (lua/tlshs/socket.lua): a
-- tlshs connection over a LuaSocket TCP object, or a copas-wrapped one whose
-- send and receivepartial yield. The reference is docs/lua.md, "Event loops".

---@class tlshs.socket
local M = {}

---Makes a connection over a connected LuaSocket-style TCP object (send,
---receive, settimeout; receivepartial when it has one, as copas's wrapper),
---its side the config's role; nothing happens on the socket until the first
---call. Answers `nil, message, code` where tlshs.handshake does; raises for
---what is no such object, for `fd`, and for a timeout that is not a positive
---number.
---@param sock table|userdata # LuaSocket's tcp{client}, or copas.wrap(sock)
---@param config tlshs.config
---@param options? tlshs.conn_options
---@return tlshs.conn? conn
---@return string? message
---@return tlshs.code? code
function M.wrap(sock, config, options) end

return M
