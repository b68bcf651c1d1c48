-- The gallery of scripted faults (examples/faults/*.lua), each run with its
-- expected outcome asserted: against a tlshs server in this process
-- (tlshs.pair), and, for the faults a server sees, against openssl s_server
-- and gnutls-serv on 127.0.0.1 over TCP (tlshs.drive), asserting what each
-- server answers.
local socket = require "socket"
local H = require "helpers"

local DIR = "examples/faults/"

-- Runs a gallery script as a user would (its chunk with VERSION [HOST PORT]),
-- its printing silenced; answers the table it returns.
local function run(name, ...)
    local env = setmetatable({print = function() end}, {__index = _G})
    local chunk = assert(loadfile(DIR .. name .. ".lua", "t", env))
    return chunk(...)
end

local function code(hs)
    return select(2, hs:error())
end

-- In memory: what each script must do against a tlshs server, per version.
local memory = {
    one_byte_records = function(o)
        assert.are.same({"done", "done"}, {o.rc, o.rs})
        assert.is_nil(o.stalled)
    end,
    split_header = function(o)
        -- no answer before the whole record arrived, then the server's flight
        assert.are.same({"want_read", "want_read", "want_read", "want_read", "want_read", "want_write"}, o.pieces)
        assert.are.same({"done", "done"}, {o.rc, o.rs})
    end,
    warning_alert = function(o, v)
        assert.are.equal(43, o.server:info().alert_received)
        if v == "1.2" then
            assert.are.same({"done", "done"}, {o.rc, o.rs})
        else
            assert.are.equal("closed", o.rs)
            assert.are.equal("protocol_error", code(o.server)) -- a warning OpenSSL treats as fatal
        end
    end,
    drop_server_flight = function(o)
        assert.are.same({"want_read", "want_read", "stalled"}, {o.rc, o.rs, o.stalled})
        assert.is_nil(o.client:info().version)
    end,
    repeat_ccs = function(o, v)
        if v == "1.3" then
            assert.are.same({"done", "done"}, {o.rc, o.rs})
        else
            assert.are.equal("closed", o.rs)
            assert.are.equal(80, o.server:info().alert_sent) -- internal_error ("invalid aad")
            assert.are.equal(80, o.client:info().alert_received)
        end
    end,
    flip_finished = function(o)
        assert.are.equal("closed", o.rs)
        assert.are.equal(20, o.server:info().alert_sent) -- bad_record_mac
        assert.are.equal("protocol_error", code(o.server))
    end,
    truncated_certificate = function(o, v)
        if v == "1.2" then
            assert.are.equal("closed", o.rs)
            assert.are.equal(50, o.server:info().alert_sent) -- decode_error
            assert.are.equal(50, o.client:info().alert_received)
        else -- encrypted in TLS 1.3: the tamper finds no Certificate to cut
            assert.are.same({"done", "done"}, {o.rc, o.rs})
        end
    end,
    early_appdata = function(o, v)
        assert.are.equal("closed", o.rs)
        assert.are.equal(v == "1.2" and 10 or 20, o.server:info().alert_sent)
    end,
}

describe("fault gallery against a tlshs server (pair)", function()
    for name, check in pairs(memory) do
        for _, v in ipairs{"1.2", "1.3"} do
            it(name .. " TLS " .. v, function()
                local o = run(name, v)
                check(o, v)
                o.client:close()
                o.server:close()
            end)
        end
    end
end)

-- Against real servers (drive): the client's result after drive and half a
-- second of listening, and the alert the server sent (nil: none).
-- [name] = {server = {version = {result, alert}}}
-- [name] = {server = {version = {result, alert}, args = {server's extra arguments}}}
local done = {"done"}
local real = {
    one_byte_records = {s_server = {["1.2"] = done, ["1.3"] = done}, gnutls = {["1.2"] = done, ["1.3"] = done}},
    split_header = {s_server = {["1.2"] = done, ["1.3"] = done}, gnutls = {["1.2"] = done, ["1.3"] = done}},
    -- OpenSSL hangs up on TLS 1.3's unexpected warning without an alert; GnuTLS tries to
    -- decrypt the plaintext alert record
    warning_alert = {s_server = {["1.2"] = done, ["1.3"] = {"closed"}},
                     gnutls = {["1.2"] = done, ["1.3"] = {"closed", 20}}},
    -- no answer: drive gives up after its timeout (the script's 2 s)
    drop_server_flight = {s_server = {["1.3"] = {"want_read"}}, gnutls = {["1.2"] = {"want_read"}}},
    repeat_ccs = {s_server = {["1.2"] = {"closed", 80}, ["1.3"] = done},
                  gnutls = {["1.2"] = {"closed", 20}, ["1.3"] = done}},
    flip_finished = {s_server = {["1.2"] = {"closed", 20}, ["1.3"] = {"closed", 20}},
                     gnutls = {["1.2"] = {"closed", 20}, ["1.3"] = {"closed", 20}}},
    truncated_certificate = {
        s_server = {["1.2"] = {"closed", 50}, args = {"-Verify", "1", "-CAfile", H.cert("ca.pem")}},
        gnutls = {["1.2"] = {"closed", 50}, args = {"--require-client-cert", "--x509cafile", H.cert("ca.pem")}}},
    early_appdata = {s_server = {["1.2"] = {"closed", 10}, ["1.3"] = {"closed", 20}},
                     gnutls = {["1.2"] = {"closed", 10}, ["1.3"] = {"closed", 20}}},
}

local servers = {
    s_server = function(extra)
        local args = {"-cert", H.cert("server-ec.pem"), "-key", H.cert("server-ec.key")}
        for _, a in ipairs(extra or {}) do args[#args + 1] = a end
        return H.s_server(args)
    end,
    gnutls = function(extra)
        local args = {"--x509certfile", H.cert("server-ec.pem"), "--x509keyfile", H.cert("server-ec.key")}
        for _, a in ipairs(extra or {}) do args[#args + 1] = a end
        return H.gnutls_serv(args)
    end,
}

describe("fault gallery against real servers (drive)", function()
    after_each(H.cleanup)
    for name, by_server in pairs(real) do
        for server, by_version in pairs(by_server) do
            for v, want in pairs(by_version) do
                if v == "args" then goto next end
                it(name .. " vs " .. server .. " TLS " .. v, function()
                    local proc, port = servers[server](by_version.args)
                    H.killing(proc)
                    local t0 = socket.gettime()
                    local o = run(name, v, "127.0.0.1", port)
                    local elapsed = socket.gettime() - t0
                    local got = {o.rc, o.client:info().alert_received}
                    o.client:close()
                    assert.are.same(want, got)
                    if o.rc == "want_read" then -- drive honoured its timeout, and no more
                        assert.is_true(elapsed >= 2 and elapsed < 3.5, elapsed)
                    end
                end)
                ::next::
            end
        end
    end
end)
