-- Shared helpers of the Lua suite: certificates, in-memory pumping (pump,
-- settle, flows, early_handshake: the suite's one copy of each), fd-mode
-- driving with socket.select, and openssl subprocesses on 127.0.0.1.
local tlshs = require "tlshs"
local socket = require "socket"
local luassert = require "luassert"

local H = {}

H.CERTS = os.getenv("TLSHS_CERTS") or "build/certs"

-- The OpenSSL 3 minor version the suite runs on (0 for 3.0, 5 for 3.5), and
-- whether it is 3.5 or later: the few expectations that differ say which
-- version expects what.  The peers (openssl s_server, s_client) are the same
-- version (make test-openssl35 puts 3.5's first on PATH).
H.openssl_minor = tonumber(tlshs.openssl_version:match("^OpenSSL 3%.(%d+)"))
H.openssl35 = H.openssl_minor >= 5

function H.cert(name)
    return H.CERTS .. "/" .. name
end

function H.read_file(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
end

-- A config that must be valid: raises with the message otherwise.
function H.config(t)
    local cfg, err = tlshs.config(t)
    assert(cfg, err)
    return cfg
end

function H.server_config(extra)
    local t = {role = "server", cert_file = H.cert("server-ec.pem"), key_file = H.cert("server-ec.key")}
    for k, v in pairs(extra or {}) do t[k] = v end
    return H.config(t)
end

function H.client_config(extra)
    local t = {role = "client", ca_file = H.cert("ca.pem")}
    for k, v in pairs(extra or {}) do t[k] = v end
    return H.config(t)
end

local function finished(r)
    return r == "done" or r == "closed"
end
H.finished = finished

-- Moves every pending byte of `from` into `to` (unless `to` has closed).
function H.move(from, to)
    local data = from:take()
    if #data > 0 and to:result() ~= "closed" then to:feed(data) end
    return #data
end

-- Steps a client and a server in memory until both are finished (or nothing
-- moves); answers both last results.  At most `rounds` rounds.  Carried by
-- tlshs.pair, which also delivers a side's last bytes (an alert, tickets).
function H.pump(c, s, rounds)
    local rc, rs = tlshs.pair(c, s, nil, rounds or 50)
    return rc, rs
end

-- Steps one side alone, taking what it writes, until it is finished (at
-- most `rounds` steps); answers its last result and everything it wrote.
function H.run_alone(hs, rounds)
    local r, out = nil, {}
    for _ = 1, rounds or 5 do
        r = hs:step()
        out[#out + 1] = hs:take()
        if finished(r) then break end
    end
    return r, table.concat(out)
end

-- After the handshake: reads on both sides, moving bytes, until neither has
-- anything to do (tickets read, a move's answers carried); at most 20
-- rounds.  Answers what a read.
function H.settle(a, b)
    local got = {}
    for _ = 1, 20 do
        local r, d = a:read()
        if r == "done" then got[#got + 1] = d end
        H.move(a, b)
        b:read()
        H.move(b, a)
        if a:pending() == 0 and b:pending() == 0 and a:result() == "want_read" and b:result() == "want_read" then
            break
        end
    end
    return table.concat(got)
end

-- Writes msg on from and asserts it is read on to (to's answers, a
-- KeyUpdate say, go back to from); at most 10 rounds.
function H.flows(from, to, msg)
    luassert.are.same({"done", #msg}, {from:write(msg)})
    H.move(from, to)
    local got = {}
    for _ = 1, 10 do
        local r, d = to:read()
        if r == "done" then got[#got + 1] = d end
        H.move(to, from)
        from:read(1)
        H.move(from, to)
        if #table.concat(got) >= #msg then break end
    end
    luassert.are.equal(msg, table.concat(got))
end

-- A server reading 0-RTT data: read_early on s, stepping the client c and
-- moving bytes, until both are done (at most 30 rounds); asserts both are
-- done and answers the early data s read.
function H.early_handshake(c, s)
    local got, rs, rc = {}, nil, nil
    for _ = 1, 30 do
        local d
        rs, d = s:read_early()
        got[#got + 1] = d
        H.move(s, c)
        rc = c:step()
        H.move(c, s)
        if rs == "done" and d == "" and rc == "done" and s:pending() == 0 and c:pending() == 0 then break end
        if rs == "closed" or rc == "closed" then break end
    end
    luassert.are.same({"done", "done"}, {rc, rs})
    return table.concat(got)
end

-- The code name of why hs closed (the second value of hs:error()), or nil.
function H.code(hs)
    return select(2, hs:error())
end

-- The (nil, message, code) answer of a call that failed: asserts nil and a
-- non-empty message, answers message and code.
function H.failure(obj, message, code)
    assert(obj == nil, "expected nil, got " .. tostring(obj))
    assert(type(message) == "string" and #message > 0, "expected a message, got " .. tostring(message))
    assert(type(code) == "string", "expected a code name, got " .. tostring(code))
    return message, code
end

-- ---- the examples of docs/lua.md ----

-- The code block that follows "<!-- example: NAME " in docs/lua.md.
function H.doc_example(name)
    local docs = H.read_file("docs/lua.md")
    local code = docs:match("<!%-%- example: " .. name:gsub("%p", "%%%0") .. " [^\n]*%-%->\n```lua\n(.-)\n```")
    assert(code, "docs/lua.md: no example named " .. name)
    return code
end

-- Runs an example's code with `arg` = args and print collected; answers the
-- printed lines (each line's values joined by tabs).  Its errors propagate.
function H.run_example(code, args)
    local lines = {}
    local env = setmetatable({arg = args, print = function(...)
        local t = table.pack(...)
        for i = 1, t.n do t[i] = tostring(t[i]) end
        lines[#lines + 1] = table.concat(t, "\t", 1, t.n)
    end}, {__index = _G})
    assert(load(code, "=docs/lua.md example", "t", env))()
    return lines
end

-- ---- fd mode ----

-- Drives hs (fd mode on sock) until done or closed; answers the result, or
-- "timeout" after `seconds`.
function H.drive(hs, sock, seconds, op)
    op = op or function() return hs:step() end
    local deadline = socket.gettime() + (seconds or 5)
    local r = op()
    while r == "want_read" or r == "want_write" do
        if socket.gettime() > deadline then return "timeout" end
        if r == "want_read" then
            socket.select({sock}, nil, 0.2)
        else
            socket.select(nil, {sock}, 0.2)
        end
        r = op()
    end
    return r
end

-- Reads from hs (fd mode) until data arrives or the connection ends.
function H.read_fd(hs, sock, seconds)
    local data
    local r = H.drive(hs, sock, seconds, function()
        local r, d = hs:read()
        data = d
        return r
    end)
    return r, data
end

-- A listening LuaSocket server on an ephemeral port of 127.0.0.1.
function H.listen()
    local srv = assert(socket.bind("127.0.0.1", 0))
    local _, port = srv:getsockname()
    return srv, tonumber(port)
end

-- A free port of 127.0.0.1 (bound then released: a subprocess may race for it,
-- which start_server handles by retrying).
function H.free_port()
    local srv, port = H.listen()
    srv:close()
    return port
end

function H.connect(port)
    local c = assert(socket.tcp())
    assert(c:connect("127.0.0.1", port))
    c:settimeout(0)
    return c
end

-- Accepts one connection within `seconds`.
function H.accept(srv, seconds)
    local r = socket.select({srv}, nil, seconds or 5)
    if not r[1] then return nil, "accept: timeout" end
    local c = assert(srv:accept())
    c:settimeout(0)
    return c
end

-- ---- cleanup after each test, even a failed one ----

local to_close, to_kill = {}, {}

-- Registers objects with a close method (sockets, handshakes) for H.cleanup; answers them.
function H.closing(...)
    for _, o in ipairs{...} do to_close[#to_close + 1] = o end
    return ...
end

-- Registers a spawned process for H.cleanup; answers it.
function H.killing(proc)
    to_kill[#to_kill + 1] = proc
    return proc
end

-- Kills every registered process and closes every registered object
-- (use as after_each(H.cleanup)).
function H.cleanup()
    for _, p in ipairs(to_kill) do H.kill(p) end
    for _, o in ipairs(to_close) do pcall(o.close, o) end
    to_close, to_kill = {}, {}
end

-- ---- subprocesses ----

local function sh_quote(s)
    return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
H.sh_quote = sh_quote

-- Whether pid still runs.  A process that exited but was not reaped yet (a
-- zombie: its parent sh is gone and init reaps on its own schedule) counts
-- as ended.
local function alive(pid)
    local f = io.open("/proc/" .. pid .. "/stat")
    if f then
        local stat = f:read("a") or ""
        f:close()
        local state = stat:match("%) (%a)")
        return state ~= nil and state ~= "Z" and state ~= "X"
    end
    return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
end

-- Starts argv (a list) in the background, output into a temporary log;
-- answers {pid=, log=}.
function H.spawn(argv, stdin)
    local words = {}
    for i, a in ipairs(argv) do words[i] = sh_quote(a) end
    local log = os.tmpname()
    local cmd = string.format("sh -c %s", sh_quote(string.format("exec %s <%s >%s 2>&1 & echo $!",
        table.concat(words, " "), stdin or "/dev/null", sh_quote(log))))
    local p = assert(io.popen(cmd))
    local pid = tonumber(p:read("l"))
    p:close()
    assert(pid, "spawn failed: " .. cmd)
    return {pid = pid, log = log}
end

function H.log(proc)
    local f = io.open(proc.log, "rb")
    if not f then return "" end
    local s = f:read("a")
    f:close()
    return s
end

-- Kills proc (if it still runs), reaps nothing (sh reparented it), removes its log.
function H.kill(proc)
    if not proc then return end
    if alive(proc.pid) then
        os.execute("kill " .. proc.pid .. " 2>/dev/null")
        local deadline = socket.gettime() + 2
        while alive(proc.pid) and socket.gettime() < deadline do socket.sleep(0.02) end
        if alive(proc.pid) then os.execute("kill -9 " .. proc.pid .. " 2>/dev/null") end
    end
    os.remove(proc.log)
end

-- Waits until proc exits (or `seconds` pass); answers whether it exited.
function H.wait_exit(proc, seconds)
    local deadline = socket.gettime() + (seconds or 5)
    while alive(proc.pid) do
        if socket.gettime() > deadline then return false end
        socket.sleep(0.02)
    end
    return true
end

-- Starts the server make_argv(port) makes on a free port and waits until its
-- output matches ready; retries on another port if it cannot bind.  Its
-- standard input is the file stdin (default /dev/null).
-- Answers the process, and its port.
function H.start_server(make_argv, ready, name, stdin)
    for _ = 1, 5 do
        local port = H.free_port()
        local proc = H.spawn(make_argv(port), stdin)
        local deadline = socket.gettime() + 5
        while socket.gettime() < deadline do
            local out = H.log(proc)
            if out:find(ready) then return proc, port end
            -- the port was taken meanwhile (gnutls-serv then goes on, on IPv6 alone)
            if not alive(proc.pid) or out:find("[Aa]ddress already in use") then break end
            socket.sleep(0.02)
        end
        local out = H.log(proc)
        H.kill(proc)
        if not out:find("[Aa]ddress already in use") and not out:find("bind") then
            error(name .. " did not start: " .. out)
        end
    end
    error(name .. ": no free port after 5 tries")
end

-- Starts `openssl s_server -www` with extra arguments on a free port; retries
-- on another port if it cannot bind.  Answers the process, and its port.
function H.s_server(args)
    return H.start_server(function(port)
        local argv = {"openssl", "s_server", "-www", "-accept", tostring(port), "-naccept", "10"}
        for _, a in ipairs(args) do argv[#argv + 1] = a end
        return argv
    end, "ACCEPT", "openssl s_server")
end

-- Starts `gnutls-serv` (HTTP mode) with extra arguments on a free port of
-- 127.0.0.1.  Answers the process, and its port.
function H.gnutls_serv(args)
    return H.start_server(function(port)
        local argv = {"gnutls-serv", "--port", tostring(port)}
        for _, a in ipairs(args) do argv[#argv + 1] = a end
        return argv
    end, "listening on IPv4 [^\n]*done", "gnutls-serv")
end

-- A FIFO for a process's standard input (H.spawn's stdin), opened by us for
-- reading and writing so that neither side's open blocks; what we write is
-- the process's input, which ends when H.cleanup closes it.  Answers its
-- path and the open file.
function H.fifo()
    local path = os.tmpname()
    os.remove(path)
    assert(os.execute("mkfifo " .. sh_quote(path)))
    local f = assert(io.open(path, "r+"))
    f:setvbuf("no")
    H.closing({close = function() f:close(); os.remove(path) end})
    return path, f
end

-- Waits until proc's output matches pattern (plain text), at most `seconds`;
-- answers the output.
function H.wait_log(proc, pattern, seconds)
    local deadline = socket.gettime() + (seconds or 5)
    local out = H.log(proc)
    while not out:find(pattern, 1, true) and socket.gettime() < deadline do
        socket.sleep(0.02)
        out = H.log(proc)
    end
    return out
end

-- ---- DTLS ----

-- The handshake messages (type, fragment offset, fragment length) of the
-- plaintext DTLS records of datagram d (13-byte record headers, 12-byte
-- handshake headers); encrypted records are skipped.
function H.dtls_fragments(d)
    local out, at = {}, 1
    while at + 13 <= #d + 1 do
        local ctype, epoch, len = d:byte(at), (">I2"):unpack(d, at + 3), (">I2"):unpack(d, at + 11)
        if ctype == 22 and epoch == 0 then -- handshake, not encrypted yet
            local body = d:sub(at + 13, at + 12 + len)
            local msg, frag_off, frag_len = body:byte(1), (">I3"):unpack(body, 7), (">I3"):unpack(body, 10)
            out[#out + 1] = {type = msg, offset = frag_off, length = frag_len}
        end
        at = at + 13 + len
    end
    return out
end

-- ---- interactive peers ----

-- argv with its stdin on a pipe (proc.stdin), its output in proc.log;
-- killed and its stdin closed by H.cleanup.
function H.interactive(argv)
    local words = {}
    for i, a in ipairs(argv) do words[i] = H.sh_quote(a) end
    local log, pidfile = os.tmpname(), os.tmpname()
    local script = ("echo $$ > %s; exec %s > %s 2>&1"):format(pidfile, table.concat(words, " "), log)
    local stdin = assert(io.popen("sh -c " .. H.sh_quote(script), "w"))
    stdin:setvbuf("no")
    local pid
    for _ = 1, 250 do
        pid = tonumber(H.read_file(pidfile):match("%d+") or "")
        if pid then break end
        socket.sleep(0.02)
    end
    os.remove(pidfile)
    local proc = {pid = assert(pid), log = log, stdin = stdin}
    H.killing(proc)
    H.closing({close = function() pcall(stdin.close, stdin) end})
    return proc
end

-- A tlshs client in fd mode against 127.0.0.1:port; answers hs, sock.
function H.fd_client(cfg, port, opts)
    local sock = H.connect(port)
    opts = opts or {}
    opts.fd = sock
    if opts.server_name == nil then opts.server_name = "localhost" end
    local hs = assert(tlshs.handshake(cfg, opts))
    return hs, sock
end

return H
