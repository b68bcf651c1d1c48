-- The configuration keys come from the C core's table (TLSHS_CONFIG_KEYS):
-- tlshs.config_keys() shows it, tlshs.config takes each value by its key's
-- kind (CONTRACT Part 3, the same rule as the Python binding), and
-- config:check() asks the core whether the keys agree.
local tlshs = require "tlshs"
local H = require "helpers"

local KINDS = {text = true, path = true, pem = true, switch = true, number = true, list = true}

-- The keys of the table, by name, and the role (a config of it) each takes.
local function keys_by_name()
    local by = {}
    for _, k in ipairs(tlshs.config_keys()) do by[k.name] = k end
    return by
end

local function raises(pattern, options)
    local ok, err = pcall(tlshs.config, options)
    assert.is_false(ok, "no error for " .. pattern)
    assert.matches(pattern, err, 1, true)
end

describe("tlshs.config_keys()", function()
    it("lists the core's keys: name, kind, roles, metavar, default, help", function()
        local keys = tlshs.config_keys()
        assert.is_true(#keys >= 27)
        local seen = {}
        for i, k in ipairs(keys) do
            assert.is_string(k.name, i)
            assert.is_nil(seen[k.name], "twice: " .. k.name)
            seen[k.name] = true
            assert.is_true(KINDS[k.kind], k.name .. ": " .. tostring(k.kind))
            assert.is_true(#k.roles >= 1 and #k.roles <= 2, k.name)
            for _, role in ipairs(k.roles) do assert.is_true(role == "client" or role == "server", k.name) end
            assert.is_string(k.metavar, k.name)
            assert.is_string(k.help, k.name)
            assert.is_true(k.default == nil or type(k.default) == "string", k.name)
        end
        -- a few rows as CONTRACT Part 3 fixes them
        local by = keys_by_name()
        assert.are.same({name = "ca_file", kind = "path", roles = {"client", "server"}, metavar = "FILE",
                         default = by.ca_file.default, help = by.ca_file.help}, by.ca_file)
        assert.are.same({"switch", {"client", "server"}}, {by.tickets.kind, by.tickets.roles})
        assert.are.same({"number", {"server"}}, {by.num_tickets.kind, by.num_tickets.roles})
        assert.are.same({"list", {"client", "server"}}, {by.alpn.kind, by.alpn.roles})
        assert.are.same({"text", {"server"}}, {by.self_signed.kind, by.self_signed.roles})
        assert.are.equal("pem", by.ca_pem.kind)
    end)

    it("answers new tables: a caller's changes stay its own", function()
        local a = tlshs.config_keys()
        a[1].name = "changed"
        table.remove(a)
        local b = tlshs.config_keys()
        assert.are_not.equal("changed", b[1].name)
        assert.are.equal(#a + 1, #b)
    end)

    it("names every key tlshs.config takes, and a key of the other role is refused", function()
        for _, k in ipairs(tlshs.config_keys()) do
            if #k.roles == 1 then
                local other = k.roles[1] == "client" and "server" or "client"
                local value = ({switch = true, number = 1, list = {"x"}})[k.kind] or "x"
                local err, code = H.failure(tlshs.config{role = other, [k.name] = value})
                assert.are.equal("bad_value", code, k.name)
                assert.matches("^" .. k.name .. ": only a " .. k.roles[1], err)
            end
        end
        local err, code = H.failure(tlshs.config{role = "client", no_such_key = {}})
        assert.are.equal("unknown_key", code) -- whatever the value's type
        assert.matches("^no_such_key: ", err)
    end)
end)

describe("values by the key's kind", function()
    -- a value no kind takes, for every key: raises, naming the key
    it("raises for a type the key's kind does not take, naming the key", function()
        for _, k in ipairs(tlshs.config_keys()) do
            local t = {role = k.roles[1]}
            t[k.name] = print
            raises("field '" .. k.name .. "' must be ", t)
            if k.kind ~= "switch" then
                t[k.name] = true
                raises("field '" .. k.name .. "' must be ", t)
            end
            if k.kind ~= "number" then
                t[k.name] = 1
                raises("field '" .. k.name .. "' must be ", t)
            end
            if k.kind ~= "list" then
                t[k.name] = {"x"}
                raises("field '" .. k.name .. "' must be ", t)
            end
        end
    end)

    it("switch: a boolean or \"on\"/\"off\"", function()
        for _, v in ipairs{true, false, "on", "off"} do
            assert.is_not_nil(tlshs.config{role = "client", tickets = v, status_request = v}, tostring(v))
        end
        raises([[field 'tickets' must be a boolean or "on"/"off", got number]], {role = "client", tickets = 1})
        local err, code = H.failure(tlshs.config{role = "client", tickets = "yes"})
        assert.are.equal("bad_value", code)
        assert.matches("^tickets: ", err)
        -- false is "off": a server with tickets off sends none
        local c, s = H.closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost", trace = true})),
            assert(tlshs.handshake(H.server_config{tickets = false})))
        H.pump(c, s)
        H.settle(c, s)
        for _, e in ipairs(c:trace()) do assert.are_not.equal("NewSessionTicket", e.name) end
    end)

    it("number: an integer, an integer-valued float, or its decimal string", function()
        for _, v in ipairs{512, 512.0, "512"} do
            assert.is_not_nil(tlshs.config{role = "client", max_fragment_length = v}, tostring(v))
        end
        -- 5.0 is "5", not "5.0": the server sends five tickets
        local c, s = H.closing(assert(tlshs.handshake(H.client_config(), {server_name = "localhost", trace = true})),
            assert(tlshs.handshake(H.server_config{num_tickets = 5.0})))
        H.pump(c, s)
        H.settle(c, s)
        local n = 0
        for _, e in ipairs(c:trace()) do if e.name == "NewSessionTicket" then n = n + 1 end end
        assert.are.equal(5, n)
        raises("field 'max_fragment_length' must be an integer, got 512.5",
               {role = "client", max_fragment_length = 512.5})
        raises("field 'security_level' must be an integer, got boolean", {role = "client", security_level = true})
        raises("field 'security_level' must be an integer, got inf", {role = "client", security_level = math.huge})
        raises("field 'security_level' must be an integer, got ", {role = "client", security_level = 0 / 0})
        raises("field 'security_level' must be an integer, got 1e+300", {role = "client", security_level = 1e300})
        local err, code = H.failure(tlshs.config{role = "client", security_level = "high"})
        assert.are.equal("bad_value", code)
        assert.matches("^security_level: ", err)
        err, code = H.failure(tlshs.config{role = "client", security_level = 9})
        assert.are.equal("bad_value", code)
        assert.matches("^security_level: ", err)
    end)

    it("list: a sequence of strings, joined with \",\", or one comma-separated string", function()
        local function negotiated(calpn, salpn)
            local c, s = H.closing(assert(tlshs.handshake(H.client_config{alpn = calpn}, {server_name = "localhost"})),
                assert(tlshs.handshake(H.server_config{alpn = salpn})))
            assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
            return c:info().alpn
        end
        assert.are.equal("h2", negotiated({"http/1.1", "h2"}, {"h2", "http/1.1"}))
        assert.are.equal("http/1.1", negotiated("http/1.1,h2", {"http/1.1", "h2"}))
        assert.are.equal("h2", negotiated({"h2"}, "h2"))
        local c, s = H.closing(
            assert(tlshs.handshake(H.client_config{extensions = {"65280:cafe", "65283:"}}, {server_name = "localhost"})),
            assert(tlshs.handshake(H.server_config{extensions = {"65280:beef", "65283:"}})))
        assert.are.same({"done", "done"}, {tlshs.pair(c, s)})
        assert.are.same({[65280] = "\xca\xfe", [65283] = ""}, s:peer_extensions())
        assert.are.same({[65280] = "\xbe\xef", [65283] = ""}, c:peer_extensions())
    end)

    it("list: an item the join would change is a bad value naming the key", function()
        for _, case in ipairs{
            {{"h2", ""}, "alpn: item 2 is empty"},
            {{"h2", "a,b"}, "alpn: item 2 contains ','"},
            {{"a\0b"}, "alpn: item 1 contains a NUL byte"},
        } do
            local err, code = H.failure(tlshs.config{role = "client", alpn = case[1]})
            assert.are.equal("bad_value", code)
            assert.matches(case[2], err, 1, true)
        end
        local err, code = H.failure(tlshs.config{role = "client", alpn = {}}) -- "": the core's word
        assert.are.equal("bad_value", code)
        assert.matches("^alpn: ", err)
        raises("field 'alpn': item 2 must be a string, got number", {role = "client", alpn = {"h2", 5}})
        raises("field 'alpn' must be a string or a sequence of strings, got table",
               {role = "client", alpn = {"h2", x = "y"}})
        raises("field 'alpn' must be a string or a sequence of strings, got boolean", {role = "client", alpn = true})
    end)

    it("text, path, pem: a string, never a number's text", function()
        raises("field 'min_version' must be a string, got number", {role = "client", min_version = 1.3})
        raises("field 'verify' must be a string, got boolean", {role = "client", verify = false})
        raises("field 'ca_file' must be a string, got number", {role = "client", ca_file = 5})
        raises("field 'ca_pem' must be a string, got table", {role = "client", ca_pem = {}})
        assert.is_not_nil(tlshs.config{role = "client", min_version = "1.3", verify = "none",
                                       ca_pem = H.read_file(H.cert("ca.pem"))})
        local err, code = H.failure(tlshs.config{role = "client", ca_file = "/no/such/file"})
        assert.are.equal("file_error", code)
        assert.matches("^ca_file: ", err)
        err, code = H.failure(tlshs.config{role = "client", verify = "v\0"})
        assert.are.equal("bad_value", code)
        assert.are.equal("verify: the value contains a NUL byte", err)
    end)
end)

describe("config:check()", function()
    it("answers true when the keys agree", function()
        assert.is_true(H.server_config():check())
        assert.is_true(H.client_config{min_version = "1.2", max_version = "1.3"}:check())
    end)

    it("answers nil, message, config_incomplete when they do not, as the first handshake would", function()
        for _, case in ipairs{
            {{role = "client", min_version = "1.3", max_version = "1.2"}, "max_version"},
            {{role = "server", cert_file = H.cert("server-ec.pem"), key_file = H.cert("server.key")}, "key_file"},
            {{role = "server", self_signed = "x.example", cert_file = H.cert("server-ec.pem")}, "self_signed"},
            {{role = "server", tickets = false, num_tickets = 2, self_signed = "x.example"}, "num_tickets"},
        } do
            local cfg = H.config(case[1])
            local msg, code = H.failure(cfg:check())
            assert.are.equal("config_incomplete", code)
            assert.matches(case[2], msg, 1, true)
            -- the first handshake refuses the config with the same reason
            local hs_msg, hs_code = H.failure(tlshs.handshake(cfg, {server_name = "localhost"}))
            assert.are.same({msg, code}, {hs_msg, hs_code})
        end
    end)

    it("leaves what may still be added to the handshake: a server's certificate", function()
        local cfg = H.config{role = "server"}
        assert.is_true(cfg:check())
        local _, code = H.failure(tlshs.handshake(cfg))
        assert.are.equal("config_incomplete", code)
    end)

    it("passes a config in use, and raises for a closed one", function()
        local cfg = H.server_config()
        H.closing(assert(tlshs.handshake(cfg)))
        assert.is_true(cfg:check())
        cfg:close()
        assert.has_error(function() cfg:check() end, "calling 'check' on bad self (config is closed)")
    end)
end)
