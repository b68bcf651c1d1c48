---@meta tlshs.cqueues
-- LuaLS annotations for `require "tlshs.cqueues"` (lua/tlshs/cqueues.lua):
-- a tlshs connection over a cqueues socket, yielding to the controller.
-- The reference is docs/lua.md, "Event loops".

---@class tlshs.cqueues
local M = {}

---Makes a connection over a connected cqueues socket, its side the config's
---role; nothing happens on the socket until the first call. Answers
---`nil, message, code` where tlshs.handshake does; raises for what is no
---cqueues socket, for `fd`, and for a timeout that is not a positive number.
---@param sock userdata # a cqueues socket (cqueues.socket.connect, srv:accept())
---@param config tlshs.config
---@param options? tlshs.conn_options
---@return tlshs.conn? conn
---@return string? message
---@return tlshs.code? code
function M.wrap(sock, config, options) end

return M
