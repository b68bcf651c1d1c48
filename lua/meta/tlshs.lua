---@meta tlshs
-- LuaLS annotations for the tlshs Lua 5.4 module (lua/*.c, one tlshs.so).
-- Add lua/meta to "workspace.library" in .luarc.json for completion
-- (lua/meta/tlshs/ annotates tlshs.cqueues, tlshs.socket and their conn).
-- The reference is docs/lua.md.

---@alias tlshs.result
---| "want_read"  # needs bytes from the peer: feed them (memory) or wait until the socket is readable (fd)
---| "want_write" # has bytes for the peer: take them all (memory) or wait until the socket is writable (fd)
---| "done"       # the operation completed (handshake finished, read or write done)
---| "closed"     # the connection is over; hs:error() says why

---@alias tlshs.role "client"|"server"

---Why a call failed: the names of the C core's TLSHS_CODES (tlshs_code_name),
---stable where messages are not.
---@alias tlshs.code
---| "bad_argument"      # an argument is unusable (a server_name OpenSSL refuses)
---| "out_of_memory"     # memory ran out
---| "bad_session"       # the session cannot be resumed by this handshake
---| "unknown_key"       # no configuration key has that name
---| "bad_value"         # the key's value (or the role) is malformed or refused
---| "file_error"        # a file or directory named by a key cannot be used
---| "config_incomplete" # the config's keys together cannot make a handshake
---| "alert_received"    # the peer sent a fatal alert
---| "verify_failed"     # the peer's certificate failed verification
---| "eof"               # the peer's stream ended without close_notify
---| "close_notify"      # the peer sent close_notify
---| "shutdown"          # this side shut the connection down
---| "socket_error"      # the socket failed (also under a tlshs.cqueues / tlshs.socket conn)
---| "protocol_error"    # the TLS exchange failed on this side
---| "refused"           # this server's on_client_hello refused the ClientHello (or raised)
---| "timeout"           # a wait for the peer passed a conn's timeout (tlshs.cqueues, tlshs.socket)

---@class tlshs
---@field WANT_READ "want_read"
---@field WANT_WRITE "want_write"
---@field DONE "done"
---@field CLOSED "closed"
---@field VERSION string # the C library's version, "0.1.0"
---@field openssl_version string # the OpenSSL it runs on, "OpenSSL 3.5.7 9 Jun 2026"
---@field openssl_built_version string # the OpenSSL it was compiled against (same major.minor)
---@field CHANGE_CIPHER_SPEC 20 # TLS content types (tlshs.records, tlshs.record)
---@field ALERT 21
---@field HANDSHAKE 22
---@field APPLICATION_DATA 23
local tlshs = {}

---Settings for `tlshs.config`: `role` is required; every other field is a key
---of the C core (tlshs.config_keys(); a test compares these fields with it),
---its value by the key's kind: a switch a boolean or "on"/"off", a number an
---integer (or its decimal string), a list a sequence of strings (or one
---comma-separated string), text, a path or PEM a string. Any other type raises.
---@class tlshs.config_options
---@field role tlshs.role
---@field ca_file? string      # trust anchors: a PEM file (client default: the system store)
---@field ca_path? string      # trust anchors: a hashed directory (openssl rehash)
---@field ca_pem? string       # trust anchors: PEM text
---@field cert_file? string    # own certificate, then its chain: a PEM file
---@field key_file? string     # own private key: a PEM file
---@field cert_pem? string     # own certificate, then its chain: PEM text
---@field key_pem? string      # own private key: PEM text
---@field verify? "none"|"peer"|"require" # client default "peer", server "none"
---@field min_version? "1.0"|"1.1"|"1.2"|"1.3" # default "1.2"
---@field max_version? "1.0"|"1.1"|"1.2"|"1.3" # default "1.3"
---@field alpn? string|string[] # ALPN protocols, most preferred first: {"h2", "http/1.1"}
---@field ciphers? string      # TLS 1.2 cipher list, OpenSSL syntax
---@field ciphersuites? string # TLS 1.3 cipher suites, OpenSSL syntax
---@field groups? string       # key exchange groups, OpenSSL syntax ("X25519:P-256")
---@field sigalgs? string      # signature algorithms, OpenSSL syntax
---@field tickets? boolean|"on"|"off" # session tickets, default on
---@field keylog_file? string  # NSS key log lines are appended here
---@field dh_params_file? string # server: PEM DH parameters for TLS 1.2 DHE suites (default automatic)
---@field security_level? integer|string # OpenSSL's security level 0-5 (0: legacy peers, at their risk)
---@field num_tickets? integer|string # server: TLS 1.3 tickets sent after the handshake (default 2)
---@field max_early_data? integer|string # server: bytes of 0-RTT data accepted (default 0: refused)
---@field post_handshake_auth? boolean|"on"|"off" # client: offer post-handshake authentication
---@field status_request? boolean|"on"|"off" # client: ask for a stapled OCSP response
---@field ocsp_response_file? string # server: a DER OCSP response to staple when asked
---@field max_fragment_length? integer|string # client: 512, 1024, 2048 or 4096 (RFC 6066)
---@field extensions? string|string[] # custom extensions sent: "TYPE:HEX" items
---@field self_signed? string  # server: a host name; a throwaway key and self-signed certificate
---@field psk? string # a pre-shared key in hex (1 to 256 bytes): PSK cipher suites
---@field psk_identity? string # the PSK's identity: sent by a client, required by a server
---@field transport? "stream"|"datagram" # stream (TLS, the default) or datagram (DTLS 1.2)
---@field mtu? integer|string # datagram: the UDP payload bytes a datagram holds (256-65507, 1200)
---@field cookie? boolean|"on"|"off" # datagram server: a first ClientHello gets a HelloVerifyRequest (on)
---@field retransmit_ms? integer|string # datagram: the first retransmission timeout (1000; doubling to 60 s)
---@field use_srtp? string # datagram: DTLS-SRTP profiles, colon-separated (SRTP_AES128_CM_SHA1_80)

---Makes a settings object (one OpenSSL SSL_CTX) shared by any number of
---handshakes; it becomes read-only once a handshake uses it.
---Answers `nil, message, code` for a bad key or value (the message names the
---key; code "unknown_key", "bad_value" or "file_error"); raises if `options`
---is not a table, `role` is not a string, or a field has a type its key's
---kind does not take.
---@param options tlshs.config_options
---@return tlshs.config? config
---@return string? message
---@return tlshs.code? code
function tlshs.config(options) end

---@alias tlshs.key_kind "text"|"path"|"pem"|"switch"|"number"|"list"

---One configuration key of the C core's table.
---@class tlshs.key_info
---@field name string          # "ca_file"
---@field kind tlshs.key_kind  # what its value is (the value rule of tlshs.config)
---@field roles tlshs.role[]   # the roles that take it
---@field metavar string       # the value's form for a usage line: "FILE", "on|off", "N"
---@field default? string      # the default in words; nil when unset means none
---@field help string          # one line

---The C core's configuration keys, in its order, as new tables.
---@return tlshs.key_info[]
function tlshs.config_keys() end

---@class tlshs.handshake_options
---@field server_name? string # client: SNI and the name the certificate must match (needed when verifying)
---@field fd? integer|{getfd: fun(self): integer} # a connected socket: fd mode (a LuaSocket socket works)
---@field session? string     # client: a session from hs:session() to resume
---@field trace? boolean      # record every TLS message for hs:trace()
---@field on_client_hello? fun(hello: tlshs.hello): (tlshs.config|string|integer|nil) # server: nil goes on, a server config switches to it, an alert name or code refuses; an error refuses with internal_error
---@field capture? string     # a pcapng file of every byte, with the secrets (tshark decrypts it)

---Makes a handshake object for one connection; it keeps `config` (and the
---object given as `fd`) alive. Answers `nil, message, code` when the config
---cannot make handshakes ("config_incomplete": a verifying client without
---`server_name`, a server without a certificate) or `session` cannot be
---resumed ("bad_session"); raises on wrong types, an unknown option, a
---closed config, a negative fd, or a session given to a server.
---@param config tlshs.config
---@param options? tlshs.handshake_options
---@return tlshs.handshake? handshake
---@return string? message
---@return tlshs.code? code
function tlshs.handshake(config, options) end

---The name of a TLS alert code, as RFC 8446 spells it ("handshake_failure"),
---"unknown" for a code with no name or outside C's int; raises for a
---number that is not an integer.
---@param code integer
---@return string
function tlshs.alert_name(code) end

---@class tlshs.record
---@field type integer    # content type, 0..255 (tlshs.HANDSHAKE, ...)
---@field version integer # the header's version, 0..0xffff
---@field epoch? integer  # DTLS records ({datagram = true}): 0 plaintext, 1+ encrypted
---@field seq? integer    # DTLS records: the 48-bit sequence number
---@field body string

---@class tlshs.records_options
---@field datagram? boolean # s is a datagram: DTLS records (13-byte headers)

---The whole records in `s` and the bytes of a partial record at the end.
---Judges nothing: any type, version and length is a record.  With
---`{datagram = true}`, the DTLS records of a datagram (with epoch and seq).
---@param s string
---@param opts? tlshs.records_options
---@return tlshs.record[] records
---@return string rest
function tlshs.records(s, opts) end

---One record: the 5-byte header and `body`. Raises for a type outside
---0..255, a version outside 0..0xffff or a body over 65535 bytes.  With
---`dtls` ({epoch =, seq =}), a DTLS record with its 13-byte header.
---@param type integer
---@param version integer
---@param body string
---@param dtls? {epoch?: integer, seq?: integer}
---@return string
function tlshs.record(type, version, body, dtls) end

---Re-cuts the handshake records of a flight into records of at most
---`max_body` body bytes (at least 1); other records pass unchanged.  With
---`{datagram = true}`, re-cuts the handshake fragments inside each
---plaintext record of a datagram (each record keeps its epoch and seq).
---@param s string
---@param max_body integer
---@param opts? tlshs.records_options
---@return string
function tlshs.refragment(s, max_body, opts) end

---@alias tlshs.tamper fun(direction: "c2s"|"s2c"|"out"|"in", flight: string): string|string[]|nil

---Carries every flight between two memory-mode handshakes until both are
---done or closed, nothing moves, or the rounds (default 50) run out.
---`tamper` answers the bytes to deliver instead (nil or "" drops); its
---error is raised after the C driver returned.  Datagram handshakes
---(DTLS): `tamper` sees one datagram per call and may answer a list of
---datagrams, delivered in order (duplicate, or release one held back);
---when neither side moves, the earliest timer fires at once (virtual time).
---@param client tlshs.handshake
---@param server tlshs.handshake
---@param tamper? fun(direction: "c2s"|"s2c", flight: string): string|string[]|nil
---@param rounds? integer
---@return tlshs.result rc
---@return tlshs.result rs
---@return "stalled"|"rounds_out"|nil stalled # nil when both finished
function tlshs.pair(client, server, tamper, rounds) end

---Carries one memory-mode handshake over a connected LuaSocket TCP object
---until done or closed, the peer is quiet for `timeout` seconds (default
---10), or the socket closes. Never closes the socket.  A datagram
---handshake goes over a connected LuaSocket UDP object, one datagram per
---send and receive, firing the retransmission timer (hs:on_timeout) when
---it runs out.
---@param hs tlshs.handshake
---@param sock table|userdata # a LuaSocket TCP object; UDP (setpeername) for DTLS
---@param tamper? fun(direction: "out"|"in", flight: string): string|string[]|nil
---@param timeout? number
---@return tlshs.result
function tlshs.drive(hs, sock, tamper, timeout) end

---@class tlshs.config
local config = {}

---Checks the keys together, as the first handshake will: true, or
---nil, message, "config_incomplete". Leaves to the first handshake what may
---still be added (a server's certificate, a certificate's key), a client's
---server_name and loading the system trust store.
---@return true? ok
---@return string? message
---@return tlshs.code? code
function config:check() end

---Drops this object's hold on the settings; handshakes made from it keep
---working. Safe to call twice; `__gc` and `<close>` do the same.
function config:close() end

---The SHA-256 fingerprint of the config's own certificate ("AB:01:..."), or nil.
---@return string?
function config:fingerprint() end

---The config's own certificate as PEM text (a client's ca_pem), or nil.
---@return string?
function config:cert_pem() end

---@class tlshs.info
---@field version? string      # "TLSv1.3", nil before the handshake is done
---@field cipher? string       # OpenSSL's name of the cipher
---@field alpn? string         # the protocol ALPN selected
---@field server_name? string  # client: as given; server: the SNI received
---@field resumed boolean      # whether a session was resumed
---@field verify_result integer # 0 (X509_V_OK) or the X509_V_ERR_* code of the peer's chain
---@field peer_cert? string    # the peer's certificate, DER
---@field alert_sent? integer  # the last alert sent (tlshs.alert_name gives its name)
---@field alert_received? integer # the last alert received
---@field ja3s? string         # JA3S of the ServerHello sent or received
---@field ja3s_hash? string    # its MD5, 32 lowercase hex digits
---@field early_data "not_sent"|"rejected"|"accepted" # what became of 0-RTT data
---@field ocsp_response? string # a client's stapled OCSP response, DER
---@field srtp_profile? string # DTLS: the SRTP profile chosen by use_srtp ("SRTP_AES128_CM_SHA1_80")

---What a ClientHello offered (hs:client_hello(), on_client_hello).
---@class tlshs.hello
---@field legacy_version integer
---@field versions integer[]   # supported_versions, GREASE included
---@field ciphers integer[]    # cipher_suites, GREASE included
---@field extensions integer[] # extension types in the order sent, GREASE included
---@field groups integer[]     # supported_groups
---@field key_shares integer[] # the group of each key_share entry
---@field sigalgs integer[]    # signature_algorithms
---@field server_name? string  # SNI
---@field alpn string[]        # offered protocols
---@field ja3 string
---@field ja3_hash string
---@field ja4 string
---@field raw string           # the whole message, 4-byte header included (DTLS: 12-byte)
---@field cookie? string       # DTLS: the cookie ("" in a first ClientHello); nil for TLS

---@class tlshs.event
---@field sent boolean   # true if this side sent it
---@field kind "handshake"|"alert"|"change_cipher_spec"
---@field name string    # "ClientHello", "Finished", "fatal:handshake_failure", ...
---@field length integer # bytes, with the 4-byte header of handshake messages
---@field data string    # the message's bytes before encryption

---@class tlshs.handshake
local handshake = {}

---Drives the handshake as far as it can go.
---@return tlshs.result
function handshake:step() end

---Memory mode: hands the peer's bytes over (copied); DTLS: exactly one
---datagram. Raises if `data` is not a string (a number too), the
---connection is closed, the input has ended, or in fd mode.
---@param data string
function handshake:feed(data) end

---Memory mode: the peer's byte stream ended. Raises in fd mode.
function handshake:feed_eof() end

---Memory mode: how many bytes wait to be taken for the peer (0 in fd mode);
---DTLS: the size of the next datagram.
---@return integer
function handshake:pending() end

---Memory mode: takes up to `n` (default: all) pending bytes for the peer.
---DTLS: exactly one datagram ("" when none); an `n` smaller than the next
---datagram raises and nothing is lost.
---@param n? integer
---@return string
function handshake:take(n) end

---Reads up to `n` (default 16384; at most 65536 whatever `n` says) bytes of
---application data; continues the handshake first if it is not done. `data`
---is "" unless the result is "done".
---@param n? integer
---@return tlshs.result result
---@return string data
function handshake:read(n) end

---Writes application data (a string; a number raises); continues the
---handshake first if it is not done.
---@param data string
---@return tlshs.result result
---@return integer n # bytes accepted (0 unless "done")
function handshake:write(data) end

---DTLS: seconds until the retransmission timer fires (0 when due), or nil
---when no timer runs.
---@return number?
function handshake:timeout() end

---DTLS: the retransmission timer fired, or fire it now (virtual time on
---OpenSSL 3.0; 3.2 and later first wait out the rest of it): the last
---flight is sent again. Driven on like step; "closed" with code "timeout"
---after the 12th retransmission. Raises when no timer runs.
---@return tlshs.result
function handshake:on_timeout() end

---DTLS, memory mode, a server before its first step: the peer's address
---(any 1 to 128 bytes, "192.0.2.7:5684") its stateless cookie binds.
---Raises otherwise.
---@param address string
function handshake:set_peer(address) end

---Sends close_notify, then waits for the peer's.
---@return tlshs.result
function handshake:shutdown() end

---The last result answered by step, read, write or shutdown.
---@return tlshs.result
function handshake:result() end

---Why the connection closed, as a message and a code, or nil unless it closed.
---@return string? message
---@return tlshs.code? code
function handshake:error() end

---What was negotiated; absent values are nil.
---@return tlshs.info
function handshake:info() end

---The session for resumption (DER), or nil if there is none (TLS 1.3: read
---until "want_read" after "done" so the ticket arrives first).
---@return string?
function handshake:session() end

---Sends a TLS 1.3 KeyUpdate, asking the peer for one if `request_peer`.
---Driven on like step; raises if the connection does not allow it.
---@param request_peer? boolean
---@return tlshs.result
function handshake:key_update(request_peer) end

---Starts a TLS 1.2 renegotiation (client: ClientHello; server: HelloRequest).
---@return tlshs.result
function handshake:renegotiate() end

---A TLS 1.3 server asks for the client's certificate after the handshake.
---@return tlshs.result
function handshake:request_client_cert() end

---A client writes 0-RTT data before its first step (a session that allows it).
---@param s string
---@return tlshs.result result
---@return integer n
function handshake:write_early(s) end

---A server reads 0-RTT data; call it instead of step from the first call on.
---@param n? integer
---@return tlshs.result result
---@return string data
function handshake:read_early(n) end

---The peer's custom extensions (types of the config's extensions key).
---@return table<integer, string>
function handshake:peer_extensions() end

---Keying material from the connection's secrets (RFC 5705, RFC 8446 7.5):
---`length` bytes for `label` and the optional `context`; raises before the
---handshake completed.
---@param label string
---@param length integer
---@param context? string
---@return string
function handshake:export_keying_material(label, length, context) end

---The ClientHello sent (client) or received (server), parsed; nil before it.
---@return tlshs.hello?
function handshake:client_hello() end

---The messages recorded when the handshake was made with `trace = true`.
---@return tlshs.event[]
function handshake:trace() end

---Frees the connection's state (does not close an fd). Safe to call twice;
---`__gc` and `<close>` do the same. Any other method then raises.
function handshake:close() end

return tlshs
