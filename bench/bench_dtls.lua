-- DTLS 1.2 handshakes in memory from Lua, for bench/instructions.sh (make
-- bench-dtls): the same handshake as bench/bench_dtls.c's "tlshs"
-- (ECDHE-ECDSA-AES128-GCM-SHA256, X25519 and P-256, mtu 1200, cookies off,
-- the client verifying the chain and the name), carried by tlshs.pair.
--   LUA_CPATH='lua/?.so;;' lua5.4 bench/bench_dtls.lua CERTDIR --only tlshs --count N
local tlshs = require("tlshs")
local certs, count = arg[1], math.tointeger(tonumber(arg[5]))
assert(arg[2] == "--only" and arg[3] == "tlshs" and arg[4] == "--count" and count,
       "usage: bench_dtls.lua CERTDIR --only tlshs --count N")
local cipher = "ECDHE-ECDSA-AES128-GCM-SHA256"
local ccfg = assert(tlshs.config{role = "client", transport = "datagram", ciphers = cipher,
                                 groups = "X25519:P-256", ca_file = certs .. "/ca.pem"})
local scfg = assert(tlshs.config{role = "server", transport = "datagram", ciphers = cipher,
                                 groups = "X25519:P-256", cookie = false,
                                 cert_file = certs .. "/server-ec.pem", key_file = certs .. "/server-ec.key"})
for _ = 0, count do
    local c = tlshs.handshake(ccfg, {server_name = "localhost"})
    local s = tlshs.handshake(scfg)
    local rc, rs = tlshs.pair(c, s, nil, 20)
    assert(rc == "done" and rs == "done", c:error() or s:error() or "handshake did not finish")
    c:close()
    s:close()
end
