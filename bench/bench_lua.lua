--[==[
bench_lua.lua - what a handshake and a no-progress step cost through the Lua
binding of tlshs, against LuaSec and against the C core, in one run.

1. Full TLS handshakes per second, client and server in this process:
   - tlshs from Lua in memory (tlshs.pair between two handshake objects;
     --only tlshs-loop runs the hand-written feed/take loop it replaced);
   - LuaSec 1.2 (ssl.wrap over LuaSocket) over a fresh loopback TCP
     connection per handshake, both ends non-blocking;
   - tlshs from Lua in fd mode over the same kind of loopback connection
     (the like-for-like figure against LuaSec: the TCP setup and the socket
     system calls are in both);
   - the C core in memory (bench-c: one round of it in each round here).
   Same certificate (server-ec.pem, ECDSA P-256, signed by ca.pem) and settings
   everywhere: TLS 1.3 only, X25519, the client verifies the chain and the
   host name "localhost", session tickets at their default (on).
   The Lua figures run interleaved, ROUNDS times; medians are reported.

2. The cost of one step that makes no progress: a client that has sent its
   ClientHello and waits for the ServerHello calls hs:step() (answers
   "want_read") in a loop, against tlshs_step() from C (bench-c) and LuaSec's
   conn:dohandshake() on a connected socket the server never answers
   (answers nil, "wantread" after a recv() that finds nothing).

Usage: LUA_CPATH='lua/?.so;;' lua5.4 bench/bench_lua.lua [CERTDIR [BENCH_C [N [ROUNDS]]]]
       (or: make bench-lua)
       LUA_CPATH='lua/?.so;;' lua5.4 bench/bench_lua.lua CERTDIR --only tlshs|tlshs-loop|tlshs-fd|luasec --count N
       does one warm-up and N handshakes of one kind and prints nothing, for
       bench/instructions.sh, which counts instructions per handshake:
       LUA_CPATH='lua/?.so;;' sh bench/instructions.sh "tlshs from Lua" 20 \
           lua5.4 bench/bench_lua.lua build/certs --only tlshs
]==]
local tlshs = require "tlshs"
local socket = require "socket"
local ssl = require "ssl"

local CERTS = arg[1] or os.getenv("TLSHS_CERTS") or "build/certs"
local ONLY, COUNT
if arg[2] == "--only" and arg[4] == "--count" then
    ONLY, COUNT = arg[3], assert(math.tointeger(tonumber(arg[5])), "--count takes an integer")
end
local BENCH_C = not ONLY and arg[2] or "build/bench-c"
local N = tonumber(arg[3]) or 300
local ROUNDS = tonumber(arg[4]) or 7
local IDLE_CALLS = 2000000

local function cert(name) return CERTS .. "/" .. name end
local now = socket.gettime

local function median(t)
    local s = {}
    for i, v in ipairs(t) do s[i] = v end
    table.sort(s)
    local n = #s
    return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

-- ---- tlshs in memory ----

local ccfg = assert(tlshs.config{role = "client", ca_file = cert("ca.pem"), min_version = "1.3",
                                 groups = "X25519"})
local scfg = assert(tlshs.config{role = "server", cert_file = cert("server-ec.pem"),
                                 key_file = cert("server-ec.key"), min_version = "1.3", groups = "X25519"})

-- The default handshake in memory, carried by tlshs.pair.
local function tlshs_memory_handshake()
    local c = tlshs.handshake(ccfg, {server_name = "localhost"})
    local s = tlshs.handshake(scfg)
    local rc, rs = tlshs.pair(c, s, nil, 20)
    assert(rc == "done" and rs == "done", c:error() or s:error() or "handshake did not finish")
    c:close()
    s:close()
end

-- The same, carried by the hand-written loop tlshs.pair replaced (--only
-- tlshs-loop): the bench line that shows pair costs no more.
local function tlshs_loop_handshake()
    local c = tlshs.handshake(ccfg, {server_name = "localhost"})
    local s = tlshs.handshake(scfg)
    local rc, rs
    for _ = 1, 20 do
        rc = c:step()
        local out = c:take()
        if #out > 0 then s:feed(out) end
        rs = s:step()
        out = s:take()
        if #out > 0 then c:feed(out) end
        if rc == "done" and rs == "done" then break end
    end
    assert(rc == "done" and rs == "done", c:error() or s:error() or "handshake did not finish")
    c:close()
    s:close()
end

-- ---- loopback TCP pairs ----

local listener = assert(socket.bind("127.0.0.1", 0))
local _, port = listener:getsockname()
listener:settimeout(5)

local function tcp_pair()
    local a = assert(socket.tcp())
    assert(a:connect("127.0.0.1", port))
    local b = assert(listener:accept())
    a:settimeout(0)
    b:settimeout(0)
    return a, b
end

-- ---- LuaSec over loopback ----

local lsrv_ctx = assert(ssl.newcontext{mode = "server", protocol = "tlsv1_3", certificate = cert("server-ec.pem"),
                                       key = cert("server-ec.key"), curveslist = "X25519"})
local lcli_ctx = assert(ssl.newcontext{mode = "client", protocol = "tlsv1_3", cafile = cert("ca.pem"),
                                       verify = "peer", curveslist = "X25519"})

-- LuaSec checks the chain but not the host name by itself; a LuaSec user
-- compares the name by hand after the handshake, so this does too (cheaply).
local function luasec_handshake()
    local a, b = tcp_pair()
    local c = assert(ssl.wrap(a, lcli_ctx))
    local s = assert(ssl.wrap(b, lsrv_ctx))
    c:settimeout(0)
    s:settimeout(0)
    c:sni("localhost")
    local cd, sd = false, false
    for _ = 1, 1000 do
        if not cd then
            local ok, err = c:dohandshake()
            if ok then cd = true elseif err ~= "wantread" and err ~= "wantwrite" then error("LuaSec client: " .. err) end
        end
        if not sd then
            local ok, err = s:dohandshake()
            if ok then sd = true elseif err ~= "wantread" and err ~= "wantwrite" then error("LuaSec server: " .. err) end
        end
        if cd and sd then break end
        socket.select({c, s}, nil, 1)
    end
    assert(cd and sd, "LuaSec handshake did not finish")
    assert(c:getpeerverification(), "LuaSec: chain not verified")
    c:close()
    s:close()
end

-- ---- tlshs in fd mode over loopback ----

local function tlshs_fd_handshake()
    local a, b = tcp_pair()
    local c = tlshs.handshake(ccfg, {server_name = "localhost", fd = a})
    local s = tlshs.handshake(scfg, {fd = b})
    local rc, rs = "want_read", "want_read"
    for _ = 1, 1000 do
        if rc ~= "done" then rc = c:step() end
        if rs ~= "done" then rs = s:step() end
        if rc == "closed" or rs == "closed" then error(c:error() or s:error()) end
        if rc == "done" and rs == "done" then break end
        socket.select({a, b}, nil, 1)
    end
    assert(rc == "done" and rs == "done", "tlshs fd handshake did not finish")
    c:close()
    s:close()
    a:close()
    b:close()
end

-- ---- no-progress steps ----

local function tlshs_idle_ns(calls)
    local c = tlshs.handshake(ccfg, {server_name = "localhost"})
    assert(c:step() == "want_write")
    c:take()
    local step = c.step
    local t = now()
    for _ = 1, calls do
        if step(c) ~= "want_read" then error("tlshs idle step") end
    end
    t = now() - t
    c:close()
    return t / calls * 1e9
end

local function luasec_idle_ns(calls)
    local a, b = tcp_pair()
    local c = assert(ssl.wrap(a, lcli_ctx))
    c:settimeout(0)
    c:sni("localhost")
    local _, err = c:dohandshake()
    assert(err == "wantread", err)
    local t = now()
    for _ = 1, calls do
        local ok, e = c:dohandshake()
        if ok or e ~= "wantread" then error("LuaSec idle step: " .. tostring(e)) end
    end
    t = now() - t
    c:close()
    b:close()
    return t / calls * 1e9
end

-- Handshakes per second of f over n calls, after a full collection: LuaSec
-- frees its SSL objects only in __gc, and a heap full of them would slow
-- whichever figure runs next.
local function rate(f, n)
    collectgarbage()
    collectgarbage()
    local t = now()
    for _ = 1, n do f() end
    return n / (now() - t)
end

if ONLY then
    local f = assert(({tlshs = tlshs_memory_handshake, ["tlshs-loop"] = tlshs_loop_handshake,
                       ["tlshs-fd"] = tlshs_fd_handshake, luasec = luasec_handshake})[ONLY],
                     "--only takes tlshs, tlshs-loop, tlshs-fd or luasec")
    for _ = 0, COUNT do f() end
    os.exit(0)
end

-- warm up every path once
tlshs_memory_handshake()
luasec_handshake()
tlshs_fd_handshake()

-- One round of bench-c (the C core and raw OpenSSL, in memory): its four figures.
local function bench_c_round(n)
    local p = io.popen(string.format("%q %q %d 1 2>&1", BENCH_C, CERTS, n))
    local out = p and p:read("a") or ""
    if p then p:close() end
    local r = {
        raw_rate = tonumber(out:match("raw OpenSSL%s+([%d.]+) handshakes/s")),
        rate = tonumber(out:match("tlshs%s+([%d.]+) handshakes/s")),
        raw_idle = tonumber(out:match("raw SSL_do_handshake%+SSL_get_error%s+([%d.]+) ns")),
        idle = tonumber(out:match("tlshs_step%s+([%d.]+) ns")),
    }
    if not (r.raw_rate and r.rate and r.raw_idle and r.idle) then
        io.stderr:write("bench_lua: no figures from ", BENCH_C, ":\n", out, "\n")
        return nil
    end
    return r
end

-- Rounds interleave every figure, the C ones included, so that a busy moment
-- of the machine weighs on all of them alike.
local mem, lsec, fd, idle, lidle = {}, {}, {}, {}, {}
local c_rate, c_raw_rate, c_idle, c_raw_idle = {}, {}, {}, {}
for k = 1, ROUNDS do
    mem[k] = rate(tlshs_memory_handshake, N)
    lsec[k] = rate(luasec_handshake, N)
    fd[k] = rate(tlshs_fd_handshake, N)
    idle[k] = tlshs_idle_ns(IDLE_CALLS // ROUNDS)
    lidle[k] = luasec_idle_ns(IDLE_CALLS // ROUNDS // 10)
    local c = BENCH_C ~= "" and bench_c_round(N)
    if c then
        c_rate[#c_rate + 1], c_raw_rate[#c_raw_rate + 1] = c.rate, c.raw_rate
        c_idle[#c_idle + 1], c_raw_idle[#c_raw_idle + 1] = c.idle, c.raw_idle
    end
end
listener:close()
c_rate = #c_rate > 0 and median(c_rate) or nil
c_raw_rate = c_rate and median(c_raw_rate)
c_idle = c_rate and median(c_idle)
c_raw_idle = c_rate and median(c_raw_idle)

local function us(r) return 1e6 / r end
print(string.format("bench-lua: %s, %s; TLS 1.3, X25519, ECDSA P-256, client verifies chain and name; "
    .. "%d rounds of %d handshakes, interleaved; medians", _VERSION, ssl._VERSION and ("LuaSec " .. ssl._VERSION) or "LuaSec",
    ROUNDS, N))
print("full handshake (client+server in one process):")
local m, l, f = median(mem), median(lsec), median(fd)
print(string.format("  tlshs from Lua, memory        %8.1f handshakes/s  %7.1f us each", m, us(m)))
print(string.format("  tlshs from Lua, fd, loopback  %8.1f handshakes/s  %7.1f us each", f, us(f)))
print(string.format("  LuaSec, loopback              %8.1f handshakes/s  %7.1f us each", l, us(l)))
if c_rate then
    print(string.format("  tlshs from C, memory          %8.1f handshakes/s  %7.1f us each", c_rate, us(c_rate)))
    print(string.format("  raw OpenSSL from C, memory    %8.1f handshakes/s  %7.1f us each", c_raw_rate, us(c_raw_rate)))
    print(string.format("  Lua vs C wall clock: %+.1f%% (C runs in another process, so this swings with the machine;\n  the instruction counts below are the exact cost of the binding)", (c_rate / m - 1) * 100))
end
print(string.format("  tlshs fd mode is %.2fx LuaSec's rate over loopback", f / l))
print("step with no progress (client waiting for ServerHello):")
print(string.format("  hs:step() from Lua              %7.1f ns", median(idle)))
if c_idle then
    print(string.format("  tlshs_step() from C             %7.1f ns", c_idle))
    print(string.format("  SSL_do_handshake() from C       %7.1f ns", c_raw_idle))
    print(string.format("  the Lua call adds               %7.1f ns", median(idle) - c_idle))
end
print(string.format("  LuaSec conn:dohandshake()       %7.1f ns (a recv() on the socket each time)", median(lidle)))
