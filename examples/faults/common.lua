-- common.lua - what every Lua script of the gallery does after defining
-- its tamper(direction, flight) hook: run the fault.  A script ends with
--     local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
--     return assert(loadfile(here .. "common.lua", "t", _ENV))()(tamper, ...)
-- (loaded in the script's environment, so a caller that silences the
-- script's print silences this too; copy this file along with a script).
--
-- lua5.4 SCRIPT [VERSION [HOST PORT]]: VERSION 1.2 or 1.3 (default 1.3);
-- without HOST PORT the server is a tlshs server in this process
-- (tlshs.pair), with them a real server over TCP (tlshs.drive).
-- Returns {client=, server=, rc=, rs=} to a script that runs it.
local tlshs = require "tlshs"
local socket = require "socket"

return function(tamper, version, host, port)
    local certs = os.getenv("TLSHS_CERTS") or "build/certs"

    -- After the client's DONE: what the server sends next (its tickets, or the
    -- alert it closes with), for up to half a second.
    local function listen(hs, sock)
        local deadline = socket.gettime() + 0.5
        while socket.gettime() < deadline do
            local r = hs:read()
            local out = hs:take() -- the alert of a failure goes out before "closed"
            if #out > 0 then sock:send(out) end
            if r == "closed" then return "closed" end
            socket.select({sock}, nil, math.max(0, deadline - socket.gettime()))
            local data, err, partial = sock:receive(16384)
            if #(data or partial) > 0 then hs:feed(data or partial) end
            if err == "closed" then hs:feed_eof() end
        end
        return "done"
    end

    local client = assert(tlshs.handshake(assert(tlshs.config{role = "client", ca_file = certs .. "/ca.pem",
        max_version = version or "1.3", cert_file = certs .. "/client.pem", key_file = certs .. "/client.key"}),
        {server_name = "localhost"}))
    local server, rc, rs, stalled
    if port then
        local sock = assert(socket.connect(host, tonumber(port)))
        sock:setoption("tcp-nodelay", true)
        rc = tlshs.drive(client, sock, function(d, f) return tamper(d, f, sock) end, 2)
        if rc == "done" then rc = listen(client, sock) end
        sock:shutdown("send"); sock:settimeout(1); sock:receive("*a"); sock:close() -- a graceful close
    else
        server = assert(tlshs.handshake(assert(tlshs.config{role = "server", cert_file = certs .. "/server-ec.pem",
            key_file = certs .. "/server-ec.key", verify = "require", ca_file = certs .. "/ca.pem"})))
        rc, rs, stalled = tlshs.pair(client, server, tamper)
    end
    print(("client %s %s (alert sent %s, received %s)"):format(rc, client:error() or "", client:info().alert_sent,
        client:info().alert_received))
    if server then
        print(("server %s %s (alert sent %s, received %s)"):format(rs, server:error() or "", server:info().alert_sent,
            server:info().alert_received))
    end
    return {client = client, server = server, rc = rc, rs = rs, stalled = stalled}
end
