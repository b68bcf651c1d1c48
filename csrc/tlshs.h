/*
 * tlshs.h - a resumable TLS handshake object over OpenSSL.
 *
 * One tlshs object drives one TLS connection from its first byte to DONE or
 * CLOSED.  It never blocks and owns no loop: every call does as much as it
 * can and answers with one of four results (tlshs_result).  Bytes move either
 * through memory (the default: the caller feeds the peer's bytes with
 * tlshs_feed and takes ours with tlshs_take) or through a non-blocking socket
 * (tlshs_set_fd).
 *
 * Settings live in a tlshs_config (one OpenSSL SSL_CTX), shared by any number
 * of handshakes, reference-counted, and read-only once a handshake uses it.
 *
 * Threads: distinct objects may be used from distinct threads; one object
 * must not be used from two threads at once.  A config may be shared across
 * threads once it is in use (it is then read-only): any number of threads may
 * call tlshs_new, tlshs_config_error and tlshs_config_error_code on it at
 * once.
 *
 * The full reference is the manual page tlshs(3).
 */
#ifndef TLSHS_H
#define TLSHS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(TLSHS_BUILDING)
#define TLSHS_API __declspec(dllexport)
#elif defined(__GNUC__)
#define TLSHS_API __attribute__((visibility("default")))
#else
#define TLSHS_API
#endif

/** The library's version, as a string and as MAJOR*10000 + MINOR*100 + PATCH. */
#define TLSHS_VERSION_STRING "0.1.0"
#define TLSHS_VERSION_NUMBER 100

/**
 * The OpenSSL that tlshs runs on: OpenSSL_version(OPENSSL_VERSION), such as
 * "OpenSSL 3.5.7 30 Sep 2026".  Static.
 */
TLSHS_API const char *tlshs_openssl_version(void);

/**
 * The OpenSSL whose headers tlshs was compiled against (OPENSSL_VERSION_TEXT
 * then), such as "OpenSSL 3.0.17 1 Jul 2025".  Static.
 */
TLSHS_API const char *tlshs_openssl_built_version(void);

/**
 * Whether tlshs runs on the OpenSSL it was built for.  Two OpenSSL 3
 * releases share the soname libssl.so.3, so a program that loaded another
 * one first (a Python program that imported ssl before tlshs, say) runs
 * tlshs on it.  Another minor version (3.0 against 3.5) is refused: the
 * behaviour the library and its tests state is the built one's.
 *
 * @returns NULL if the running major and minor versions are the built ones;
 *          else a static message that says both and what to do.  While it
 *          is not NULL, tlshs_config_new() refuses (NULL): every binding
 *          raises this message when it is loaded.
 */
TLSHS_API const char *tlshs_openssl_mismatch(void);

/**
 * What a call into a handshake object answers.  One list, expanded by
 * X(value, NAME, lua_name), from which the enum, tlshs_result_name() and both
 * bindings' constants are made: a new result is one line here.
 *
 * TLSHS_WANT_READ:  bytes from the peer are needed: feed them (memory) or
 *                   wait until the socket is readable (fd), then call again.
 * TLSHS_WANT_WRITE: bytes for the peer are waiting: take them all (memory)
 *                   or wait until the socket is writable (fd), then call again.
 * TLSHS_DONE:       the operation completed (handshake finished, read or
 *                   write done).
 * TLSHS_CLOSED:     the connection is over (failed handshake, alert, EOF or
 *                   close_notify); tlshs_error() says why.  In fd mode it
 *                   does not mean that our last alert or close_notify
 *                   reached the peer: see tlshs_set_fd on closing the socket.
 *
 * A call refused for its arguments (tlshs_read, tlshs_write) changes nothing
 * and answers the last result (tlshs_last_result), with the reason in
 * tlshs_usage_error().
 */
#define TLSHS_RESULTS(X)                                                                           \
    X(1, WANT_READ, want_read)                                                                     \
    X(2, WANT_WRITE, want_write)                                                                   \
    X(3, DONE, done)                                                                               \
    X(4, CLOSED, closed)

#define TLSHS_RESULT_ENUM_(value, NAME, lua_name) TLSHS_##NAME = value,
typedef enum { TLSHS_RESULTS(TLSHS_RESULT_ENUM_) } tlshs_result;
#undef TLSHS_RESULT_ENUM_

/** The highest tlshs_result value (results run from 1 to this, without gaps). */
#define TLSHS_RESULT_MAX 4

/**
 * Why a call failed, as a stable code beside its message (the message's
 * wording may change; the code does not).  One list, expanded by
 * X(value, NAME, name, description): the enum is TLSHS_<NAME>, the name is
 * what tlshs_code_name() answers and what the Lua binding returns, the
 * description what tlshs_code_description() answers.
 *
 * Three groups:
 * - a refused call (tlshs_usage_code): nothing changed, the object is as it was;
 * - a config key or a config that cannot make handshakes (tlshs_config_error_code);
 * - why a connection closed (tlshs_error_code); E_TIMEOUT is the event-loop
 *   adapters' (a wait past the caller's timeout), not the core's.
 */
#define TLSHS_CODES(X)                                                                             \
    X(0, OK, ok, "no error")                                                                       \
    X(1, E_ARGUMENT, bad_argument, "an argument is NULL, empty, too long or out of range")        \
    X(2, E_STATE, bad_state,                                                                       \
      "the call does not fit the object's state: started, closed, input ended, role or transport") \
    X(3, E_NOMEM, out_of_memory, "memory ran out")                                                 \
    X(4, E_SESSION, bad_session, "the session cannot be resumed by this handshake")               \
    X(10, E_UNKNOWN_KEY, unknown_key, "no configuration key has that name")                        \
    X(11, E_BAD_VALUE, bad_value, "the key's value is malformed or refused")                      \
    X(12, E_FILE, file_error, "a file or directory named by a key cannot be used")                 \
    X(13, E_IN_USE, config_in_use, "the config is in use by a handshake, so read-only")           \
    X(14, E_INCOMPLETE, config_incomplete, "the config's keys together cannot make a handshake")  \
    X(20, E_ALERT, alert_received, "the peer sent a fatal alert")                                  \
    X(21, E_VERIFY, verify_failed, "the peer's certificate failed verification")                  \
    X(22, E_EOF, eof, "the peer's stream ended without close_notify")                              \
    X(23, E_CLOSE_NOTIFY, close_notify, "the peer sent close_notify")                              \
    X(24, E_SHUTDOWN, shutdown, "this side shut the connection down")                              \
    X(25, E_SOCKET, socket_error, "the socket failed")                                             \
    X(26, E_PROTOCOL, protocol_error,                                                              \
      "the TLS exchange failed on this side (no common parameters, a malformed or unexpected "    \
      "message); tlshs_alert_sent() names the alert sent")                                         \
    X(27, E_REFUSED, refused, "this side's hello callback refused the ClientHello")           \
    X(28, E_TIMEOUT, timeout, "a wait for the peer passed its timeout")

#define TLSHS_CODE_ENUM_(value, NAME, name, description) TLSHS_##NAME = value,
typedef enum { TLSHS_CODES(TLSHS_CODE_ENUM_) } tlshs_code;
#undef TLSHS_CODE_ENUM_

/** Which side of the connection a config (and its handshakes) plays. */
typedef enum { TLSHS_CLIENT, TLSHS_SERVER } tlshs_role;

/**
 * A role's name: "client" or "server"; "unknown" for any other value.
 * Static.  The bindings take and show roles by these names.
 */
TLSHS_API const char *tlshs_role_name(tlshs_role role);

/**
 * The role named name ("client" or "server", exactly).
 *
 * @param name the name; NULL is refused.
 * @param out  receives the role; untouched on failure.  NULL is refused.
 * @returns 0, or -1 if name is not a role's name.
 */
TLSHS_API int tlshs_role_from_name(const char *name, tlshs_role *out);

/** Settings shared by handshakes (wraps one SSL_CTX). Opaque. */
typedef struct tlshs_config tlshs_config;

/** One TLS connection (wraps one SSL). Opaque. */
typedef struct tlshs tlshs;

/**
 * One TLS message seen by a traced handshake (see tlshs_set_trace).
 *
 * sent:   1 if this side sent it, 0 if it was received.
 * kind:   "handshake", "alert" or "change_cipher_spec".
 * name:   the message's name ("ClientHello", "HelloRetryRequest",
 *         "Certificate", "Finished", "NewSessionTicket", ...); for alerts
 *         the level and the alert ("fatal:handshake_failure"); for a change
 *         cipher spec "ChangeCipherSpec".  Unknown handshake types read
 *         "Unknown".
 * length: the message's length in bytes, with its 4-byte header for
 *         handshake messages (2 for an alert, 1 for a change cipher spec).
 * data:   the message's length bytes as this side saw them before
 *         encryption: a handshake message with its 4-byte header, an
 *         alert's level and code, a ChangeCipherSpec's 1 byte (for a
 *         received one the byte 1 that OpenSSL requires, since it hands
 *         over no other: a record holding anything else is refused with
 *         unexpected_message).  Owned by the handshake, valid as the event.
 *
 * Every string is static: it stays valid for the life of the program.
 */
typedef struct tlshs_event {
    int sent;
    const char *kind;
    const char *name;
    size_t length;
    const unsigned char *data;
} tlshs_event;

/**
 * What a ClientHello offered, parsed from the message itself (a server's
 * received one, a client's sent one).  Every list is in the order sent, with
 * GREASE values (RFC 8701: 0x0A0A, 0x1A1A, ... 0xFAFA) kept; a list the
 * hello did not carry is empty (count 0).  When an extension appears more
 * than once, every occurrence is in `extensions` and the fields below come
 * from the first.  Every pointer points into memory owned by the handshake
 * object the hello was read from.
 *
 * legacy_version: the ClientHello's legacy_version (0x0303 for TLS 1.2
 *                 and 1.3 clients).
 * versions:       the supported_versions extension's values.
 * ciphers:        cipher_suites.
 * extensions:     the extension types.
 * groups:         the supported_groups extension's values.
 * key_shares:     the group of each key_share entry.
 * sigalgs:        the signature_algorithms extension's values.
 * server_name:    the first host_name of the server_name extension (SNI),
 *                 NUL-terminated; NULL if there is none, or if that name
 *                 holds a NUL byte (the extension is then still listed in
 *                 `extensions` and the bytes are in `raw`).
 * alpn:           the protocols of the ALPN extension, each NUL-terminated
 *                 (a name holding a NUL byte reads up to it).
 * ja3:            the JA3 string: legacy_version, ciphers, extensions,
 *                 groups and EC point formats in decimal, GREASE left out
 *                 ("771,4865-4866-4867,0-11-10-35-22-23-13-43-45-51,29-23-30,0-1-2").
 * ja3_hash:       its MD5, 32 lowercase hex digits ("" if this OpenSSL
 *                 offers no MD5, as in FIPS mode).
 * ja4:            the JA4 fingerprint as FoxIO's published definition gives
 *                 it ("t13d1516h2_8daaf6152771_e5627efa2ab1"), over TCP.
 * ja4:            (see above) for a DTLS ClientHello it starts with "d"
 *                 for the protocol and reads "d2" for DTLS 1.2
 *                 ("dd2d..."); ja3 takes its version as it is (65277 for
 *                 DTLS 1.2's 0xfefd).
 * raw:            the whole ClientHello message, its 4-byte handshake
 *                 header included (a DTLS one: its 12-byte header, with
 *                 fragment offset 0 and the full length, as reassembled).
 * cookie:         a DTLS ClientHello's cookie (RFC 6347 4.2.1), cookie_len
 *                 bytes inside raw: empty (not NULL) in a first ClientHello,
 *                 the cookie of the HelloVerifyRequest in the retry.  NULL
 *                 for a TLS ClientHello, which has no such field.
 */
typedef struct tlshs_hello {
    unsigned legacy_version;
    const uint16_t *versions;
    size_t n_versions;
    const uint16_t *ciphers;
    size_t n_ciphers;
    const uint16_t *extensions;
    size_t n_extensions;
    const uint16_t *groups;
    size_t n_groups;
    const uint16_t *key_shares;
    size_t n_key_shares;
    const uint16_t *sigalgs;
    size_t n_sigalgs;
    const char *server_name;
    const char *const *alpn;
    size_t n_alpn;
    const char *ja3;
    const char *ja3_hash;
    const char *ja4;
    const unsigned char *raw;
    size_t raw_len;
    const unsigned char *cookie;
    size_t cookie_len;
} tlshs_hello;

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

/**
 * Makes a config for one role, holding one reference.
 *
 * Defaults: TLS 1.2 is the lowest version; a client verifies the peer's
 * chain against the system's trust store (read once per process, at the
 * first tlshs_new() that needs it, and shared by every config without a
 * ca_* key) and the host name given to tlshs_new(); a server asks for no
 * client certificate and picks DH parameters for TLS 1.2 DHE suites by
 * itself (as openssl s_server); tickets are on.
 *
 * @param role TLSHS_CLIENT or TLSHS_SERVER.
 * @returns the config, or NULL if memory ran out, role is neither, or
 *          tlshs runs on another OpenSSL than it was built for
 *          (tlshs_openssl_mismatch() says which).
 *          Release it with tlshs_config_free().
 */
TLSHS_API tlshs_config *tlshs_config_new(tlshs_role role);

/**
 * The configuration keys: one table, from which tlshs_config_set's setters,
 * tlshs_config_key(), the bindings' keys and value rules, the command
 * line's options and the documents' key tables are all made.  Expanded by
 * X(name, KIND, roles, metavar, default, help):
 *   name     the key, as tlshs_config_set takes it
 *   KIND     what its value is (tlshs_key_kind without TLSHS_KEY_): TEXT a
 *            word or OpenSSL syntax, PATH a file or directory, PEM PEM text,
 *            SWITCH "on" or "off", NUMBER a decimal integer, LIST
 *            comma-separated items.  C takes every value as a string; the
 *            bindings take the kind's natural types too (CONTRACT Part 3)
 *   roles    the roles that use it, bit (1u << role): 1 client, 2 server,
 *            3 both; a key set on the other role's config is refused
 *            (TLSHS_E_BAD_VALUE, "KEY: only a client uses this key")
 *   metavar  the value's form for a usage line ("FILE", "on|off", "N")
 *   default  the default in words, or NULL when unset means "none"
 *   help     one line
 *
 * What each key does in full (tlshs(3) says the same):
 *   ca_file, ca_path, ca_pem  trust anchors (a client without any uses the
 *       system store).  cert_file, key_file, cert_pem, key_pem: the own
 *       certificate (then its chain) and key.
 *   verify: a client verifies the chain and the name (peer, the default); a
 *       server asks for a certificate with peer and demands one with
 *       require.
 *   alpn: a server whose list shares nothing with a client's offer fails
 *       with no_application_protocol.
 *   security_level: below 2, weak keys, SHA-1 signatures and legacy
 *       versions are accepted; 0 lets a test peer speak TLS 1.0/1.1
 *       (SHA-1 signing) to old stacks; never use it to protect data.
 *   num_tickets: more than 0 with tickets off is refused at the freeze.
 *   max_early_data: OpenSSL's anti-replay protection stays on: a ticket
 *       allows early data once per config.
 *   status_request: the response is read with tlshs_ocsp_response.
 *   ocsp_response_file: checked to parse at set time.
 *   extensions: TYPE:HEX items (decimal type 0-65535, data in hex, may be
 *       empty: "65280:cafe,65281:"); a client sends them in its
 *       ClientHello, a server in reply to a client that sent the type.
 *       Types OpenSSL handles itself are refused.  The peer's data for
 *       these types: tlshs_peer_extension.
 *   self_signed: CN and subjectAltName DNS:name or IP:address, valid from
 *       an hour ago for 30 days; with any cert_* or key_* it is refused at
 *       the freeze (see tlshs_config_fingerprint, tlshs_config_cert_pem).
 *   psk, psk_identity: a pre-shared key, as CoAP and IoT peers use (and
 *       openssl s_server -psk): TLS 1.2's PSK cipher suites, and in TLS 1.3
 *       an external PSK with a SHA-256 suite, as OpenSSL derives it from
 *       the same callbacks.  A server with a psk needs no certificate; a
 *       client still verifies any certificate a server sends instead, so
 *       it needs server_name unless verify is none.
 *       psk_identity defaults to "Client_identity", s_client's; a server
 *       with psk_identity refuses any other identity (unknown_psk_identity
 *       in TLS 1.2).
 *   transport: "datagram" makes the config DTLS 1.2 (OpenSSL 3.0 and 3.5
 *       have no DTLS 1.3): min_version and max_version then take only
 *       "1.2".  The keys below are datagram keys; on a stream config they
 *       are refused at the freeze.  In memory mode tlshs_feed and
 *       tlshs_take carry one datagram each (see tlshs_take); fd mode takes
 *       a connected UDP socket.
 *   mtu: the UDP payload of a datagram in both modes (IP and UDP headers
 *       are not counted), 256 to 65507: every datagram this side sends
 *       fits, handshake messages are fragmented to fit, and application
 *       data larger than one datagram holds is written as several records.
 *   cookie: a server answers a ClientHello without a valid cookie with a
 *       HelloVerifyRequest and keeps no state (RFC 6347 4.2.1): the cookie
 *       is an HMAC-SHA256, under a random secret of the config, of the
 *       ClientHello's version, random and session id (the retry repeats
 *       them; they always sit in its first fragment) and of the peer's
 *       address (fd mode:
 *       getpeername; memory mode: tlshs_set_peer).  The client's retry is
 *       accepted by any handshake object of the same config.  The hello
 *       callback (tlshs_set_hello_cb) runs only for the ClientHello with
 *       the valid cookie.
 *   retransmit_ms: the first retransmission timeout of each flight; it
 *       doubles at every timeout up to 60 s, and after 12 retransmissions
 *       the next timeout ends the handshake (OpenSSL's schedule).  Timers
 *       are the script's: tlshs_timeout_ms, tlshs_on_timeout.
 *   use_srtp: the DTLS-SRTP profiles (RFC 5764) a client offers or a
 *       server accepts, colon-separated in OpenSSL's names; the chosen one
 *       is tlshs_srtp_profile(); the SRTP keys come from
 *       tlshs_export_keying_material with "EXTRACTOR-dtls_srtp".
 */
#define TLSHS_CONFIG_KEYS(X)                                                                       \
    X(ca_file, PATH, 3, "FILE", "the system store (client)",                                      \
      "trust anchors: a PEM file of certificates and CRLs")                                       \
    X(ca_path, PATH, 3, "DIR", NULL, "trust anchors: a hashed directory (openssl rehash)")        \
    X(ca_pem, PEM, 3, "PEM", NULL, "trust anchors: PEM text")                                      \
    X(cert_file, PATH, 3, "FILE", NULL, "own certificate, then its chain: a PEM file")            \
    X(key_file, PATH, 3, "FILE", NULL, "own private key: a PEM file")                             \
    X(cert_pem, PEM, 3, "PEM", NULL, "own certificate, then its chain: PEM text")                 \
    X(key_pem, PEM, 3, "PEM", NULL, "own private key: PEM text")                                  \
    X(verify, TEXT, 3, "none|peer|require", "peer (client), none (server)",                      \
      "verify the peer's certificate (and a client the server's name)")                           \
    X(min_version, TEXT, 3, "1.0|1.1|1.2|1.3", "1.2", "lowest protocol version")                  \
    X(max_version, TEXT, 3, "1.0|1.1|1.2|1.3", "1.3", "highest protocol version")                 \
    X(alpn, LIST, 3, "LIST", NULL, "ALPN protocols, most preferred first (h2,http/1.1)")          \
    X(ciphers, TEXT, 3, "LIST", "OpenSSL's", "TLS 1.2 cipher list, OpenSSL syntax")               \
    X(ciphersuites, TEXT, 3, "LIST", "OpenSSL's", "TLS 1.3 cipher suites, OpenSSL syntax")        \
    X(groups, TEXT, 3, "LIST", "OpenSSL's", "key exchange groups, OpenSSL syntax (X25519:P-256)") \
    X(sigalgs, TEXT, 3, "LIST", "OpenSSL's", "signature algorithms, OpenSSL syntax")              \
    X(tickets, SWITCH, 3, "on|off", "on", "session tickets")                                      \
    X(keylog_file, PATH, 3, "FILE", NULL, "append NSS key log lines to FILE")                     \
    X(dh_params_file, PATH, 2, "FILE", "automatic, sized to the certificate",                     \
      "PEM DH parameters for TLS 1.2 DHE suites")                                                 \
    X(security_level, NUMBER, 3, "0-5", "OpenSSL's (2 on Debian)",                                \
      "OpenSSL's security level; below 2 admits weak keys and legacy versions")                   \
    X(num_tickets, NUMBER, 2, "0-100", "2", "TLS 1.3 tickets sent after the handshake")           \
    X(max_early_data, NUMBER, 2, "N", "0 (0-RTT refused)", "bytes of 0-RTT data accepted")        \
    X(post_handshake_auth, SWITCH, 1, "on|off", "off", "offer post-handshake authentication")     \
    X(status_request, SWITCH, 1, "on|off", "off", "ask for a stapled OCSP response")              \
    X(ocsp_response_file, PATH, 2, "FILE", NULL, "a DER OCSP response, stapled when asked")       \
    X(max_fragment_length, NUMBER, 1, "512|1024|2048|4096", NULL,                                 \
      "ask for a smaller record size (RFC 6066)")                                                 \
    X(extensions, LIST, 3, "TYPE:HEX,...", NULL, "custom extensions this side sends")             \
    X(self_signed, TEXT, 2, "NAME", NULL,                                                          \
      "a throwaway P-256 key and self-signed certificate for NAME")                               \
    X(psk, TEXT, 3, "HEX", NULL, "a pre-shared key (hex, 1 to 256 bytes): PSK cipher suites")    \
    X(psk_identity, TEXT, 3, "ID", "Client_identity (client), any (server)",                      \
      "the PSK's identity: sent by a client, required by a server")                              \
    X(transport, TEXT, 3, "stream|datagram", "stream", "stream (TLS) or datagram (DTLS 1.2)")      \
    X(mtu, NUMBER, 3, "256-65507", "1200", "datagram: the UDP payload bytes a datagram holds")    \
    X(cookie, SWITCH, 2, "on|off", "on", "datagram: a first ClientHello gets a HelloVerifyRequest") \
    X(retransmit_ms, NUMBER, 3, "20-60000", "1000",                                                \
      "datagram: the first retransmission timeout (doubling to 60 s)")                            \
    X(use_srtp, TEXT, 3, "PROFILES", NULL,                                                         \
      "datagram: DTLS-SRTP profiles (SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM)")

/** What a key's value is (see TLSHS_CONFIG_KEYS). */
typedef enum {
    TLSHS_KEY_TEXT,
    TLSHS_KEY_PATH,
    TLSHS_KEY_PEM,
    TLSHS_KEY_SWITCH,
    TLSHS_KEY_NUMBER,
    TLSHS_KEY_LIST
} tlshs_key_kind;

/** One row of TLSHS_CONFIG_KEYS.  Every pointer is static. */
typedef struct tlshs_key_info {
    const char *name;     /**< "ca_file" */
    tlshs_key_kind kind;
    unsigned roles;       /**< bit (1u << role): 1 client, 2 server, 3 both */
    const char *metavar;  /**< "FILE", "on|off", "N", "LIST" ... for a usage line */
    const char *def;      /**< the default in words ("on", "the system store"), or NULL */
    const char *help;     /**< one line */
} tlshs_key_info;

/** How many keys TLSHS_CONFIG_KEYS has. */
TLSHS_API size_t tlshs_config_key_count(void);

/**
 * The i-th key of TLSHS_CONFIG_KEYS, in its order.
 * @returns static storage, valid for the process; NULL if i is past the end.
 */
TLSHS_API const tlshs_key_info *tlshs_config_key(size_t i);

/**
 * The key named name (exactly), or NULL if there is none (or name is NULL).
 * Static storage.
 */
TLSHS_API const tlshs_key_info *tlshs_config_key_find(const char *name);

/**
 * A kind's name: "text", "path", "pem", "switch", "number" or "list";
 * "unknown" for any other value.  Static.  The bindings show kinds by these
 * names.
 */
TLSHS_API const char *tlshs_key_kind_name(tlshs_key_kind kind);

/**
 * Sets one key of a config: one of TLSHS_CONFIG_KEYS above (tlshs(3) lists
 * them with their values).
 *
 * A file named by a key must be a regular file of at most 64 MiB (ca_path:
 * a directory); a FIFO, device or directory is refused at once
 * (TLSHS_E_FILE) and never opened in a way that could block.  keylog_file,
 * which is written, also takes a character device (a terminal, /dev/null)
 * or a FIFO that has a reader; a FIFO no one reads is refused at once, and
 * a reader that leaves loses the later lines, never raising SIGPIPE.  Each value is checked alone here;
 * what keys mean together (min_version against max_version, the key
 * against the certificate, certificates and DH parameters against the
 * security level) is checked by tlshs_config_check() and at the first
 * tlshs_new(), so the order in which keys are set never matters.
 *
 * @param cfg   the config; it must not be in use by a handshake yet.
 * @param key   the key's name.
 * @param value its value, a NUL-terminated string.
 * @returns 0 on success; -1 if cfg, key or value is NULL, the key is
 *          unknown, the value is bad, or the config is in use.  The reason,
 *          which names the key, is then in tlshs_config_error().
 */
TLSHS_API int tlshs_config_set(tlshs_config *cfg, const char *key, const char *value);

/**
 * Checks the keys of cfg together, as the first tlshs_new() will: that
 * min_version and max_version leave a version, that the key matches the
 * certificate, that the own certificates and DH parameters meet the
 * security level.  It does not check what is missing (a server's
 * certificate, a client's server name): keys may still be added.  A binding
 * that takes all keys at once calls it to refuse a contradiction at once.
 *
 * @returns 0 if the keys agree (or cfg is in use: it passed then); -1 if
 *          cfg is NULL or they do not, with the reason, which names the
 *          keys, in tlshs_config_error() (code TLSHS_E_INCOMPLETE).
 */
TLSHS_API int tlshs_config_check(tlshs_config *cfg);

/**
 * Why the last failed call on cfg failed (tlshs_config_set,
 * tlshs_config_check, or tlshs_new refusing this config), e.g.
 * "ca_file: cannot read /x: No such file or directory".  Like errno, it is
 * per thread: after a call of this thread on cfg, why that call failed
 * ("" if it succeeded), whatever other threads' calls on a shared cfg did
 * meanwhile; in a thread that has made no call on cfg since, the config's
 * last failure in any thread.  Each message is written and read whole
 * under the config's lock.
 *
 * @returns thread-local storage, not owned by cfg, valid until this thread
 *          calls a tlshs_config_* function or tlshs_new again; other
 *          threads never change it.  "" if nothing failed; "" for a NULL
 *          cfg.  Never NULL.
 */
TLSHS_API const char *tlshs_config_error(const tlshs_config *cfg);

/**
 * The SHA-256 fingerprint of the config's own certificate (the last one
 * given by cert_file, cert_pem or self_signed) as openssl x509 -fingerprint
 * -sha256 prints it: 32 bytes in uppercase hex separated by colons
 * ("AB:01:...", 95 characters).
 *
 * @returns the fingerprint, owned by cfg and valid until the key is set
 *          again or cfg is freed; "" if cfg has no certificate or is NULL.
 */
TLSHS_API const char *tlshs_config_fingerprint(const tlshs_config *cfg);

/**
 * The config's own certificate (as for tlshs_config_fingerprint) as PEM
 * text, e.g. for a client's ca_pem to trust a self_signed server.
 *
 * @returns the NUL-terminated PEM, owned by cfg and valid until the key is
 *          set again or cfg is freed; NULL if cfg has no certificate or is
 *          NULL.
 */
TLSHS_API const char *tlshs_config_cert_pem(const tlshs_config *cfg);

/**
 * Drops the caller's reference to cfg.  The config lives on while any
 * handshake made from it lives.  NULL is a no-op.
 */
TLSHS_API void tlshs_config_free(tlshs_config *cfg);

/* ------------------------------------------------------------------------
 * The handshake object
 * ------------------------------------------------------------------------ */

/**
 * Makes a handshake object in memory mode, holding a reference to cfg.
 * From here on cfg is read-only.  The first call also builds, once, the
 * chain sent with cfg's own certificate, from its trust store, unless the
 * certificate came with a chain (see tlshs(3), cert_file).
 *
 * @param cfg         the settings.
 * @param server_name a client's name for the server: it is sent as SNI and
 *                    the certificate is checked against it (an IPv4 or IPv6
 *                    literal is checked as an address and not sent as SNI).
 *                    A client that verifies (verify "peer", the default)
 *                    needs one; with verify "none" it may be NULL.  At most
 *                    255 bytes (a DNS name's limit).  A server ignores it.
 * @returns the object, or NULL if cfg is NULL, memory ran out, server_name
 *          is longer than 255 bytes or refused (TLSHS_E_ARGUMENT), or cfg
 *          cannot make handshakes (a server without a certificate, a
 *          verifying client without server_name, keys that contradict each
 *          other: see tlshs_config_check); the reason is then in
 *          tlshs_config_error(cfg).
 */
TLSHS_API tlshs *tlshs_new(tlshs_config *cfg, const char *server_name);

/**
 * Switches hs to fd mode: from now on it reads and writes the connected
 * socket fd, which it puts in non-blocking mode.  The caller keeps owning fd
 * (tlshs_free does not close it).  Call once, before the first tlshs_step.
 * Writes use send(2) with MSG_NOSIGNAL: a peer that hung up never raises
 * SIGPIPE; the connection answers CLOSED with the socket error instead.  An
 * fd that is not a socket (a pty, a FIFO open for reading and writing) is
 * written with write(2) while SIGPIPE is blocked in the calling thread, and
 * a SIGPIPE that write raised is discarded: it never raises SIGPIPE either.
 *
 * Closing: CLOSED does not mean our last alert, close_notify or ticket
 * reached the peer.  OpenSSL reads one record at a time, so records the peer
 * sent may still wait unread in the socket, and close(2) on a socket with
 * unread data makes Linux send a reset, which can drop what we queued before
 * the peer reads it.  Close as openssl s_server does: shutdown(fd, SHUT_WR),
 * read and drop what arrives until the peer's EOF or a timeout, then close.
 *
 * @returns 0, or -1 (reason in tlshs_usage_error) if hs is NULL; fd is
 *          negative, not open, or a listening socket (TLSHS_E_ARGUMENT); hs
 *          is already in fd mode or has started (TLSHS_E_STATE).
 */
TLSHS_API int tlshs_set_fd(tlshs *hs, int fd);

/**
 * Offers a saved session for resumption (a client, before its first step).
 *
 * Resuming skips the certificate check, so a client that verifies (verify
 * "peer") resumes only a session that its own config made, in this process
 * (each such config marks its sessions with a random context of its own,
 * kept in the DER), whose peer it therefore verified under this config's
 * trust, and only if the session's certificate matches this handshake's
 * server_name (or IP address).  Another config, even one with the same
 * keys, does not share its sessions.  A client with verify "none" resumes
 * any session (and the sessions that follow from it carry no context).
 *
 * @param der a session as tlshs_session() exported it (DER SSL_SESSION).
 * @returns 0, or -1 (reason in tlshs_usage_error) if hs is not a client
 *          that has not started (TLSHS_E_STATE), der is empty
 *          (TLSHS_E_ARGUMENT), or der is not a resumable session, or one
 *          this client must not resume, as above (TLSHS_E_SESSION).
 */
TLSHS_API int tlshs_set_session(tlshs *hs, const void *der, size_t len);

/**
 * Turns recording of every TLS message on (on != 0) or off.  Recorded
 * messages are kept until tlshs_free; see tlshs_trace_count().
 *
 * @returns 0, or -1 if hs is NULL.
 */
TLSHS_API int tlshs_set_trace(tlshs *hs, int on);

/**
 * Records every byte hs sends and receives, in either mode (memory or fd),
 * in a pcapng file at path (created or truncated) as one TCP conversation
 * from the client 10.0.0.1:49152 to the server 10.0.0.2:443 (synthetic
 * addresses, written only to the file), with the connection's secrets in
 * Decryption Secrets Blocks: `tshark -r FILE` and Wireshark show every
 * handshake message and the decrypted application data with no key log
 * file.  With transport "datagram" (DTLS) the file holds UDP instead: one
 * packet per datagram, exactly as sent or received, from the client
 * 10.0.0.1:49152 to the server 10.0.0.2:4433, a port Wireshark registers for
 * nothing, so its DTLS-over-UDP heuristic (on by default) dissects every
 * datagram as DTLS with no "decode as" (Wireshark's registered DTLS ports,
 * 853 and 5684, would hand the decrypted data to DNS or CoAP).  The file
 * is complete after every step, read, write and shutdown; tlshs_free closes
 * it.  Call before the first tlshs_step.
 *
 * Cost: the secrets come from OpenSSL's key log callback, which makes
 * OpenSSL format every secret (about 7% of a handshake); it is installed on
 * the config at its first capture (or keylog_file), so a config whose
 * handshakes never capture pays nothing.  A write error (disk full) stops
 * the capture and never affects the connection.
 *
 * @returns 0, or -1 (reason in tlshs_usage_error) if hs is NULL, path is
 *          NULL or empty or cannot be created (TLSHS_E_ARGUMENT), or the
 *          handshake has started or already captures (TLSHS_E_STATE).
 */
TLSHS_API int tlshs_set_capture(tlshs *hs, const char *path);

/**
 * Drives the handshake as far as it can go.
 *
 * The client's first step calls SSL_connect, every later step and every
 * server step SSL_do_handshake.  In memory mode, after that call: if bytes
 * for the peer are pending the answer is TLSHS_WANT_WRITE (so the final
 * flight, and the alert of a failure, go out before DONE or CLOSED is
 * reported); else TLSHS_DONE when the handshake is complete, TLSHS_CLOSED
 * when it failed or the input ended (tlshs_feed_eof) first, else
 * TLSHS_WANT_READ.  In fd mode the answer follows SSL_get_error.
 * Once DONE or CLOSED, step answers the same again without side effects.
 *
 * @returns the result; TLSHS_CLOSED for a NULL hs.
 */
TLSHS_API tlshs_result tlshs_step(tlshs *hs);

/**
 * Memory mode: hands bytes received from the peer to hs (they are copied).
 * They are consumed by the next tlshs_step, tlshs_read or tlshs_shutdown.
 * With transport "datagram" the bytes are exactly one datagram (len 1 to
 * 65507; an empty one is ignored), kept whole: feed each datagram as it
 * came.
 *
 * @returns 0, or -1 (reason in tlshs_usage_error) if hs is NULL, data is
 *          NULL with len > 0, hs is in fd mode, the input has ended, or the
 *          connection is closed; a datagram over 65507 bytes
 *          (TLSHS_E_ARGUMENT).
 */
TLSHS_API int tlshs_feed(tlshs *hs, const void *data, size_t len);

/**
 * Memory mode: says the peer's byte stream has ended.  A handshake that has
 * not completed then closes with "peer closed the connection during the
 * handshake".
 *
 * @returns 0, or -1 (reason in tlshs_usage_error) if hs is NULL or in fd
 *          mode.  Calling it twice is harmless.
 */
TLSHS_API int tlshs_feed_eof(tlshs *hs);

/**
 * Memory mode: how many bytes wait to be taken for the peer; with
 * transport "datagram", the size of the next datagram (0 when none).
 * @returns the count; 0 for a NULL hs or in fd mode.
 */
TLSHS_API size_t tlshs_pending(const tlshs *hs);

/**
 * Memory mode: moves up to cap pending bytes into buf, in order.  With
 * transport "datagram" it moves exactly one datagram, at most mtu bytes: a
 * cap smaller than tlshs_pending() moves nothing, loses nothing and sets
 * the usage code TLSHS_E_ARGUMENT.
 * @returns how many were moved (0 if none, or hs or buf is NULL, or the
 *          next datagram does not fit).
 */
TLSHS_API size_t tlshs_take(tlshs *hs, void *buf, size_t cap);

/**
 * Memory mode, transport "datagram": names the peer's address for the
 * server's cookie (see the cookie key), as the script knows it (for
 * example "192.0.2.7:5684" from recvfrom).  Without it a memory-mode
 * cookie binds only the ClientHello.  In fd mode the socket's peer is used.
 *
 * @param peer any bytes that name the address, 1 to 128 of them.
 * @returns 0, or -1 (reason in tlshs_usage_error) if hs is NULL, peer is
 *          NULL, empty or too long (TLSHS_E_ARGUMENT), or hs has started or
 *          is not a datagram handshake (TLSHS_E_STATE).
 */
TLSHS_API int tlshs_set_peer(tlshs *hs, const void *peer, size_t len);

/**
 * Transport "datagram": the milliseconds until the retransmission timer
 * fires, counted down by the monotonic clock from when it started (0 when
 * due); -1 when no timer runs (no flight waits for an answer, the
 * handshake is closed, a stream handshake, a NULL hs).  The schedule is
 * retransmit_ms for each new flight, doubling at each timeout up to 60 s.
 */
TLSHS_API long tlshs_timeout_ms(const tlshs *hs);

/**
 * Transport "datagram": the retransmission timer fired, or the script fires
 * it now (virtual time): the last flight is sent again and the timer starts
 * over with the next duration; after 12 retransmissions the next timeout
 * ends the handshake (CLOSED, TLSHS_E_TIMEOUT).  Answered as tlshs_step.
 *
 * OpenSSL 3.0 (and 3.1) keeps its deadline where tlshs can move it, so the
 * timer fires at once, and no retransmission ever happens before the
 * script asks.  OpenSSL 3.2 and later (3.5) keep the deadline out of
 * reach: there the timer runs on the wall clock with tlshs's schedule, a
 * step or read after its deadline retransmits as OpenSSL does, and
 * tlshs_on_timeout before the deadline first waits out the rest of it (up
 * to tlshs_timeout_ms; the one call that may sleep; keep retransmit_ms low
 * in tests that fire early).
 *
 * @returns the result, as tlshs_step; with no timer running the call is
 *          refused (TLSHS_E_STATE), changes nothing and answers the last
 *          result.
 */
TLSHS_API tlshs_result tlshs_on_timeout(tlshs *hs);

/**
 * Reads application data.  Before the handshake is DONE it first continues
 * the handshake (as tlshs_step would) and answers its result unless DONE.
 *
 * @param buf receives up to cap bytes.
 * @param n   receives how many bytes were read (0 unless DONE); may be NULL.
 * @returns TLSHS_DONE with *n > 0 when data was read; TLSHS_WANT_WRITE when
 *          reading produced bytes for the peer (the KeyUpdate a peer asked
 *          for, which tlshs sends at once) and no data: a read that returns
 *          data answers DONE, and the next one WANT_WRITE; TLSHS_WANT_READ
 *          when no data is there yet; TLSHS_CLOSED when the peer closed
 *          (close_notify or EOF) or sent an alert, or for a NULL hs.  A NULL
 *          buf or a cap of 0 is refused (TLSHS_E_ARGUMENT in
 *          tlshs_usage_code): nothing changes and the answer is the last
 *          result.
 */
TLSHS_API tlshs_result tlshs_read(tlshs *hs, void *buf, size_t cap, size_t *n);

/**
 * Writes application data.  Before the handshake is DONE it first continues
 * the handshake (as tlshs_step would) and answers its result unless DONE.
 * In memory mode the encrypted record waits in tlshs_pending() afterwards.
 *
 * @param n receives how many bytes were accepted (0 unless DONE); may be NULL.
 * @returns TLSHS_DONE when all of buf was accepted (len 0 is DONE at once);
 *          TLSHS_WANT_WRITE when the socket (fd mode) could not take it yet:
 *          call again with the same buffer; TLSHS_WANT_READ likewise;
 *          TLSHS_CLOSED when the connection is over, or for a NULL hs.  A
 *          NULL buf with len > 0 is refused (TLSHS_E_ARGUMENT in
 *          tlshs_usage_code): nothing changes and the answer is the last
 *          result.
 */
TLSHS_API tlshs_result tlshs_write(tlshs *hs, const void *buf, size_t len, size_t *n);

/**
 * Sends close_notify and waits for the peer's.
 *
 * @returns TLSHS_WANT_WRITE while our close_notify waits to be sent (memory:
 *          take it); TLSHS_WANT_READ once it is sent and the peer's has not
 *          arrived (a caller that does not care may stop here);
 *          TLSHS_CLOSED when both were exchanged, or the connection was
 *          already over.  Shutting down a handshake that is not DONE closes
 *          it at once without sending anything.
 */
TLSHS_API tlshs_result tlshs_shutdown(tlshs *hs);

/* ------------------------------------------------------------------------
 * Moves after the handshake, and 0-RTT
 *
 * Each of these answers a tlshs_result and is driven on by calling it again
 * exactly like tlshs_step: in memory mode the message it makes (KeyUpdate,
 * HelloRequest or ClientHello, CertificateRequest, early data) waits in
 * tlshs_pending() (TLSHS_WANT_WRITE) until taken, and the next call answers
 * TLSHS_DONE once nothing of it waits; in fd mode WANT_WRITE means the
 * socket was full.  What the peer answers (its KeyUpdate, the rest of a
 * renegotiation, its certificate) arrives through tlshs_read, which answers
 * WANT_READ/WANT_WRITE while it handles those messages.
 *
 * Misuse is refused (TLSHS_E_STATE in tlshs_usage_code, the reason in
 * tlshs_usage_error): nothing changes and the call answers
 * tlshs_last_result().  A move's call while another move is under way is
 * refused too.
 * ------------------------------------------------------------------------ */

/**
 * Sends a TLS 1.3 KeyUpdate; request_peer != 0 asks the peer to answer with
 * its own (it arrives through tlshs_read).
 *
 * @returns as above; refused unless the handshake is DONE and TLS 1.3.
 */
TLSHS_API tlshs_result tlshs_key_update(tlshs *hs, int request_peer);

/**
 * Starts a TLS 1.2 renegotiation: a client sends a ClientHello, a server a
 * HelloRequest.  DONE means that message has left; the rest of the new
 * handshake runs inside tlshs_read (the trace shows its messages; the peer
 * certificate and cipher are then the new ones).  A peer that refuses
 * (OpenSSL 3 servers refuse a client's renegotiation unless told otherwise;
 * a client may answer a HelloRequest with a no_renegotiation alert) makes
 * OpenSSL end the connection: tlshs_read answers TLSHS_CLOSED with
 * tlshs_alert_received() == 100 (no_renegotiation) and tlshs_alert_sent() ==
 * 40 (handshake_failure), code TLSHS_E_PROTOCOL.
 *
 * @returns as above; refused unless the handshake is DONE and TLS 1.2, or
 *          while a renegotiation is still under way.
 */
TLSHS_API tlshs_result tlshs_renegotiate(tlshs *hs);

/**
 * A TLS 1.3 server asks for the client's certificate after the handshake
 * (post-handshake authentication, RFC 8446 4.6.2).  The client's
 * Certificate, CertificateVerify and Finished arrive through tlshs_read;
 * then tlshs_peer_cert() and tlshs_verify_result() tell.  The config's
 * verify decides: peer and require ask in the handshake already, and check
 * the certificate (a failure closes the connection); none asks only now,
 * and takes whatever comes (none, or a certificate that fails: then
 * tlshs_verify_result tells what verifying found).
 *
 * @returns as above; refused on a client, unless the handshake is DONE and
 *          TLS 1.3, or if the client did not offer post-handshake
 *          authentication (its post_handshake_auth key).
 */
TLSHS_API tlshs_result tlshs_request_client_cert(tlshs *hs);

/**
 * A client writes 0-RTT data: before its first step, with a session
 * (tlshs_set_session) whose server allows early data (its max_early_data).
 * The ClientHello and the data go out together; more data may follow with
 * further calls until the handshake goes on with tlshs_step (or
 * tlshs_read/tlshs_write), which sends EndOfEarlyData.  Whether the server
 * took the data: tlshs_early_data() once DONE (data it rejected must be
 * written again with tlshs_write).
 *
 * @param n receives how many bytes were taken (0 unless all of buf was);
 *          may be NULL.
 * @returns what tlshs_step would answer next when *n > 0 (memory mode:
 *          TLSHS_WANT_WRITE, the bytes wait to be taken); TLSHS_WANT_WRITE
 *          or TLSHS_WANT_READ with *n == 0 when the socket (fd mode) could
 *          not take them: call again with the same buffer; TLSHS_CLOSED on
 *          failure.  Refused (TLSHS_E_STATE) on a server, after the
 *          handshake went on, or without a session that allows early data;
 *          an empty buf is refused with TLSHS_E_ARGUMENT.
 */
TLSHS_API tlshs_result tlshs_write_early(tlshs *hs, const void *buf, size_t len, size_t *n);

/**
 * A server reads 0-RTT data.  Call it instead of tlshs_step from the first
 * call on: it drives the handshake while early data may come (the server's
 * flight waits in pending meanwhile), until the early data has ended (the
 * client's EndOfEarlyData, or none was sent, or it was rejected); from then
 * on it drives the rest of the handshake as tlshs_step does.  While early
 * data may still come, tlshs_step, tlshs_read and tlshs_write are refused
 * (TLSHS_E_STATE).  A server whose max_early_data is 0 rejects the data
 * (and skips it) the same way.
 *
 * @param n receives how many bytes were read; may be NULL.
 * @returns TLSHS_DONE with *n > 0: early data was read (call again);
 *          TLSHS_DONE with *n == 0: the early data ended and the handshake
 *          is complete (as tlshs_step's DONE); TLSHS_WANT_READ,
 *          TLSHS_WANT_WRITE, TLSHS_CLOSED as tlshs_step.  Refused
 *          (TLSHS_E_STATE) on a client, or when the handshake was started
 *          with tlshs_step; a NULL buf or a cap of 0 with TLSHS_E_ARGUMENT.
 */
TLSHS_API tlshs_result tlshs_read_early(tlshs *hs, void *buf, size_t cap, size_t *n);

/**
 * What became of 0-RTT data on this connection: "not_sent" (none was
 * offered, or not yet known), "rejected", "accepted".  Final once the
 * handshake is DONE (a server: once read_early saw the ClientHello).
 * Static; "not_sent" for a NULL hs.
 */
TLSHS_API const char *tlshs_early_data(const tlshs *hs);

/**
 * A client's stapled OCSP response (asked for with status_request on), as
 * the server sent it: DER.
 *
 * @param len receives its length (0 if none); may be NULL.
 * @returns the bytes, owned by hs, valid until tlshs_free; NULL if none
 *          came, on a server, or for a NULL hs.
 */
TLSHS_API const unsigned char *tlshs_ocsp_response(const tlshs *hs, size_t *len);

/**
 * The data the peer sent in its custom extension of this type (one of the
 * types named by the config's extensions key; a client sees the server's
 * reply, a server the client's ClientHello).
 *
 * @param len receives the data's length (0 if none); may be NULL.
 * @returns the data (a non-NULL pointer also when it is empty), owned by hs
 *          and valid until tlshs_free; NULL if the peer sent no such
 *          extension.
 */
TLSHS_API const unsigned char *tlshs_peer_extension(const tlshs *hs, unsigned type, size_t *len);

/** How many of the peer's custom extensions arrived (0 for a NULL hs). */
TLSHS_API size_t tlshs_peer_extension_count(const tlshs *hs);

/**
 * The type of the peer's custom extension number i (0 to
 * tlshs_peer_extension_count(hs) - 1, in the order they first arrived);
 * its data: tlshs_peer_extension.
 *
 * @returns the type (0 to 65535), or -1 if i is out of range or hs is NULL.
 */
TLSHS_API long tlshs_peer_extension_type(const tlshs *hs, size_t i);

/**
 * Frees hs and drops its reference to its config.  Does not close an fd.
 * NULL is a no-op.
 */
TLSHS_API void tlshs_free(tlshs *hs);

/* ------------------------------------------------------------------------
 * Outcome
 *
 * Returned strings are owned by hs and valid until tlshs_free(hs), unless
 * said otherwise.
 * ------------------------------------------------------------------------ */

/**
 * The last result answered by step, read, write or shutdown
 * (TLSHS_WANT_READ before the first call; TLSHS_CLOSED for NULL).
 */
TLSHS_API tlshs_result tlshs_last_result(const tlshs *hs);

/**
 * Whether the handshake has completed (1) or not (0), whatever later reads
 * and writes answered.
 */
TLSHS_API int tlshs_handshake_done(const tlshs *hs);

/**
 * Why the connection closed, in words: the verify error's text for a
 * certificate failure ("certificate verify failed: Hostname mismatch"), the
 * alert for a received alert ("peer sent fatal alert handshake_failure"),
 * "peer closed the connection during the handshake" for an early EOF,
 * "peer sent close_notify during the handshake" (TLSHS_E_CLOSE_NOTIFY),
 * OpenSSL's reason otherwise.  Set once, when hs first answers CLOSED.
 *
 * @returns "" unless hs has answered TLSHS_CLOSED; never NULL.
 */
TLSHS_API const char *tlshs_error(const tlshs *hs);

/**
 * Why the last call on hs was refused (feed, feed_eof, set_fd,
 * set_session answering -1; read or write given a bad buffer; a move,
 * write_early or read_early that does not fit the state), e.g. "feed: the
 * connection is closed".  Every call on hs that can be refused clears it
 * when it starts, so it speaks of the last such call only: read it after
 * the call, before the next one.
 * @returns the reason; "" if the last call that can be refused was not (or
 *          none was made); never NULL.  Valid until the next call.
 */
TLSHS_API const char *tlshs_usage_error(const tlshs *hs);

/** The last TLS alert hs sent: its code (0..255), or -1 if none. */
TLSHS_API int tlshs_alert_sent(const tlshs *hs);

/** The last TLS alert hs received: its code (0..255), or -1 if none. */
TLSHS_API int tlshs_alert_received(const tlshs *hs);

/**
 * The name of a TLS alert code, as RFC 8446 spells it ("handshake_failure",
 * "close_notify", "unknown_ca"); "unknown" for a code with no name.  Static.
 */
TLSHS_API const char *tlshs_alert_name(int code);

/**
 * The code of the TLS alert named name, as tlshs_alert_name() spells it
 * ("handshake_failure" -> 40, "close_notify" -> 0); the inverse of
 * tlshs_alert_name for every name it answers.  The bindings take alert
 * names through it (a hello callback refusing with "unrecognized_name").
 *
 * @param name the name, exactly (no "fatal:" prefix); NULL is refused.
 * @returns the code (0..255), or -1 if no alert has that name.
 */
TLSHS_API int tlshs_alert_from_name(const char *name);

/** The negotiated version ("TLSv1.3"), or NULL before the handshake is done. */
TLSHS_API const char *tlshs_version(const tlshs *hs);

/** The negotiated cipher's OpenSSL name, or NULL before the handshake is done. */
TLSHS_API const char *tlshs_cipher(const tlshs *hs);

/** The protocol ALPN selected, or NULL if none was. */
TLSHS_API const char *tlshs_alpn(const tlshs *hs);

/**
 * The DTLS-SRTP profile the handshake chose (use_srtp), such as
 * "SRTP_AES128_CM_SHA1_80"; NULL when none was negotiated, before the
 * handshake completed, or for a NULL hs.  The string is static.
 */
TLSHS_API const char *tlshs_srtp_profile(const tlshs *hs);

/**
 * The server name: a client's as given to tlshs_new, a server's as received
 * in the ClientHello's SNI (available once it arrived); NULL if none.
 */
TLSHS_API const char *tlshs_server_name(const tlshs *hs);

/** 1 if the handshake resumed a session, else 0. */
TLSHS_API int tlshs_resumed(const tlshs *hs);

/**
 * The result of verifying the peer's chain: X509_V_OK (0), or the verify
 * error (X509_V_ERR_*, see openssl-verify(1)); X509_V_OK also when the peer
 * sent no certificate.  -1 for a NULL hs.
 */
TLSHS_API long tlshs_verify_result(const tlshs *hs);

/**
 * The peer's certificate, DER-encoded: the last one it presented, also when
 * its verification failed (after a TLS 1.2 renegotiation, the new one; after
 * a resumption, the session's).
 * @param len receives its length (0 if none); may be NULL.
 * @returns the bytes, or NULL if the peer sent none.  Valid until tlshs_free,
 *          or until a renegotiation changed the certificate and this is
 *          called again.
 */
TLSHS_API const unsigned char *tlshs_peer_cert(const tlshs *hs, size_t *len);

/**
 * Exports the session for later resumption (tlshs_set_session), as DER.
 * In TLS 1.3 the session exists once the server's NewSessionTicket has been
 * read: after DONE, call tlshs_read until it answers WANT_READ.
 *
 * @param buf NULL asks for the size only.
 * @returns the DER length; 0 if there is no resumable session.  When cap is
 *          smaller than the length nothing is copied and the length is
 *          still returned.
 */
TLSHS_API size_t tlshs_session(const tlshs *hs, void *buf, size_t cap);

/**
 * Derives keying material from the connection's secrets (the exporter of
 * RFC 5705, and of RFC 8446 section 7.5 in TLS 1.3), as openssl s_client
 * -keymatexport does: what WebRTC derives its SRTP keys with, and what
 * channel bindings use.  Both ends derive the same bytes for the same label
 * and context.
 *
 * @param out         receives len bytes.
 * @param len         1 or more.
 * @param label       the exporter label, a NUL-terminated string, such as
 *                    "EXTRACTOR-dtls_srtp" (RFC 5764).
 * @param context     the context value, context_len bytes; used only when
 *                    use_context is 1.  In TLS 1.2 no context and an empty
 *                    one differ; in TLS 1.3 they are the same.
 * @returns 0; or -1 with out untouched and the reason in tlshs_usage_error:
 *          TLSHS_E_STATE before the handshake completed, TLSHS_E_ARGUMENT
 *          for a NULL out or label, len 0, or a NULL context with
 *          context_len > 0.
 */
TLSHS_API int tlshs_export_keying_material(tlshs *hs, unsigned char *out, size_t len, const char *label,
                                           const unsigned char *context, size_t context_len,
                                           int use_context);

/** How many messages the trace holds. */
TLSHS_API size_t tlshs_trace_count(const tlshs *hs);

/**
 * Message i of the trace, oldest first.
 *
 * Over datagrams a handshake message is traced as reassembled, with its
 * 12-byte DTLS header (fragment offset 0, fragment length the whole), once
 * per time OpenSSL reports it: a retransmitted message appears again; a
 * server's HelloVerifyRequest is traced from the datagram it wrote, and the
 * ClientHello with the valid cookie once.  OpenSSL before 3.2 reports a
 * message this side sent in several fragments (one that did not fit mtu)
 * with each later fragment's 12-byte header written over the 12 bytes
 * before it, as it writes fragments in place: there the peer's trace has the
 * message whole.
 * @returns the event, or NULL if i >= tlshs_trace_count(hs).  Valid until
 *          the next step, read, write or shutdown on hs, or tlshs_free.
 */
TLSHS_API const tlshs_event *tlshs_trace_event(const tlshs *hs, size_t i);

/**
 * IANA's names for the numbers a hello carries, so a test peer can print
 * what the other side offered: a protocol version (0x0304 "TLSv1.3"), a
 * cipher suite (0x1301 "TLS_AES_128_GCM_SHA256", as the registry spells
 * it; every suite OpenSSL knows, enabled or not, and the two SCSVs), an
 * extension type (16 "application_layer_protocol_negotiation"), a supported
 * group (29 "x25519") and a signature scheme (0x0804
 * "rsa_pss_rsae_sha256").  GREASE values (RFC 8701) read "GREASE".
 * @returns a static string, or NULL for a number with no name.
 */
TLSHS_API const char *tlshs_version_name(unsigned version);
TLSHS_API const char *tlshs_cipher_suite_name(unsigned suite);
TLSHS_API const char *tlshs_extension_name(unsigned type);
TLSHS_API const char *tlshs_group_name(unsigned group);
TLSHS_API const char *tlshs_sigalg_name(unsigned scheme);

/** "WANT_READ", "WANT_WRITE", "DONE", "CLOSED"; "UNKNOWN" otherwise.  Static. */
TLSHS_API const char *tlshs_result_name(tlshs_result r);

/**
 * The code of tlshs_error(hs): why the connection closed (TLSHS_E_ALERT,
 * TLSHS_E_VERIFY, TLSHS_E_EOF, ...); TLSHS_OK unless hs has answered
 * TLSHS_CLOSED; TLSHS_E_ARGUMENT for a NULL hs.
 */
TLSHS_API tlshs_code tlshs_error_code(const tlshs *hs);

/**
 * The code of tlshs_usage_error(hs): why the last call on hs that can be
 * refused was refused (TLSHS_E_ARGUMENT, TLSHS_E_STATE, TLSHS_E_SESSION,
 * ...); TLSHS_OK if it was not (each such call clears the code when it
 * starts); TLSHS_E_ARGUMENT for a NULL hs.
 */
TLSHS_API tlshs_code tlshs_usage_code(const tlshs *hs);

/**
 * The code of tlshs_config_error(cfg), per thread as it is: why this
 * thread's last call on cfg failed (TLSHS_E_UNKNOWN_KEY, TLSHS_E_BAD_VALUE,
 * TLSHS_E_FILE, TLSHS_E_INCOMPLETE, ...); TLSHS_OK if it succeeded or
 * nothing failed; TLSHS_E_ARGUMENT for a NULL cfg.
 */
TLSHS_API tlshs_code tlshs_config_error_code(const tlshs_config *cfg);

/** A code's name ("verify_failed"); "unknown" for a value not in TLSHS_CODES.  Static. */
TLSHS_API const char *tlshs_code_name(tlshs_code code);

/** A code's description, one sentence without a final stop; "" if unknown.  Static. */
TLSHS_API const char *tlshs_code_description(tlshs_code code);

/** The role hs plays. */
TLSHS_API tlshs_role tlshs_get_role(const tlshs *hs);

/* ------------------------------------------------------------------------
 * The hellos (both roles)
 * ------------------------------------------------------------------------ */

/**
 * The ClientHello, parsed from the message itself: on a server the one it
 * received, on a client the one it sent; after a HelloRetryRequest, the
 * second.  Unknown and GREASE extensions included (see tlshs_hello).
 * Over datagrams: a server's is the ClientHello with the valid cookie once
 * one came (the first, without, before); a client's own ClientHello sent in
 * several fragments (larger than mtu) is NULL on OpenSSL before 3.2, which
 * hands it over with later fragments' headers written into its bytes (see
 * tlshs_trace_event); the server's is whole.
 *
 * @returns the hello, owned by hs and valid until the next call that moves
 *          bytes (step, read, write, shutdown) or tlshs_free; NULL before the
 *          message was sent or received, or if it could not be parsed.
 */
TLSHS_API const tlshs_hello *tlshs_client_hello(const tlshs *hs);

/**
 * The JA3S string of the ServerHello hs sent or received
 * ("771,4865,43-51": version, cipher, extensions), and its MD5 in 32
 * lowercase hex digits.  A HelloRetryRequest is not a ServerHello here.
 * @returns strings owned by hs (valid as tlshs_client_hello's), or NULL
 *          before the ServerHello.
 */
TLSHS_API const char *tlshs_ja3s(const tlshs *hs);
TLSHS_API const char *tlshs_ja3s_hash(const tlshs *hs);

/**
 * A server's look at the ClientHello before it answers (see
 * tlshs_set_hello_cb).  Runs inside tlshs_step (or read or write), once
 * per ClientHello: twice when the server sends a HelloRetryRequest.
 *
 * @param hs    the server handshake.
 * @param hello the parsed ClientHello (never NULL; as tlshs_client_hello).
 * @param arg   tlshs_set_hello_cb's arg.
 * @returns 0 to go on; a TLS alert code (1..255, e.g. 40
 *          handshake_failure, 112 unrecognized_name) to refuse the client
 *          with that alert: hs then closes with TLSHS_E_REFUSED.  Any other
 *          value refuses with internal_error (80).
 */
typedef int (*tlshs_hello_cb)(tlshs *hs, const tlshs_hello *hello, void *arg);

/**
 * Sets a server's hello callback.  Call before the first step.
 * @returns 0, or -1 (reason in tlshs_usage_error) if hs is NULL, a client,
 *          or has started (TLSHS_E_STATE).  cb NULL removes the callback.
 */
TLSHS_API int tlshs_set_hello_cb(tlshs *hs, tlshs_hello_cb cb, void *arg);

/**
 * Only inside the hello callback: switches hs to another server config, as
 * for SNI-based certificate choice.  Its certificate and key, ALPN list,
 * versions, verify mode and trust store, tickets and security level apply
 * from then on (groups and signature algorithms stay the first config's).
 * hs holds a reference to cfg until tlshs_free; cfg becomes read-only.
 *
 * @returns 0, or -1 (reason in tlshs_usage_error): TLSHS_E_STATE outside the
 *          callback, TLSHS_E_ARGUMENT for a NULL or client config,
 *          TLSHS_E_INCOMPLETE when cfg cannot make handshakes (a server
 *          without a certificate...).
 */
TLSHS_API int tlshs_use_config(tlshs *hs, tlshs_config *cfg);

/**
 * Only inside the hello callback: the words tlshs_error() gives if the
 * callback then refuses (a binding passes on the exception that refused,
 * for instance).  Without it the error is "refused by the hello callback
 * with ALERT".  The text is copied (its first 255 bytes).
 * @returns 0, or -1 outside the callback or for NULL arguments.
 */
TLSHS_API int tlshs_set_hello_reason(tlshs *hs, const char *why);

/* ------------------------------------------------------------------------
 * Records: reshaping what goes on the wire
 *
 * In memory mode a flight is bytes the caller carries (tlshs_take, then
 * tlshs_feed).  These functions read and rebuild the TLS records in such
 * bytes.  They keep no state, allocate nothing, and never read outside the
 * buffer they are given.  They do not judge: a record is a 5-byte header
 * (content type, version, body length) followed by as many bytes as the
 * header announces, whatever the type, version and length say (a length
 * above the 2^14 + 256 bytes TLS allows, a zero-length handshake record and
 * bytes that are no TLS at all are all records here), so a test peer sees
 * exactly what was sent and can send exactly what it wants.
 * ------------------------------------------------------------------------ */

/**
 * TLS content types (RFC 8446 section 5.1), expanded by X(value, NAME, name):
 * the constants TLSHS_<NAME>; name is the bindings' spelling.
 */
#define TLSHS_CONTENT_TYPES(X)                                                                     \
    X(20, CHANGE_CIPHER_SPEC, change_cipher_spec)                                                  \
    X(21, ALERT, alert)                                                                            \
    X(22, HANDSHAKE, handshake)                                                                    \
    X(23, APPLICATION_DATA, application_data)

#define TLSHS_CONTENT_TYPE_ENUM_(value, NAME, name) TLSHS_##NAME = value,
enum { TLSHS_CONTENT_TYPES(TLSHS_CONTENT_TYPE_ENUM_) };
#undef TLSHS_CONTENT_TYPE_ENUM_

/**
 * One record as tlshs_records() found it.
 *
 * type:    the content type byte (0..255; TLSHS_HANDSHAKE, ... or any other).
 * version: the header's legacy version (0x0303 for TLS 1.2 and 1.3 records,
 *          0x0301 for a first ClientHello), 0..0xffff.
 * body:    points at the body inside the buffer given to tlshs_records():
 *          owned by the caller, valid as long as that buffer is.
 * len:     the body's length, as the header announced it (0..0xffff).
 */
typedef struct tlshs_record {
    int type;
    unsigned version;
    const unsigned char *body;
    size_t len;
} tlshs_record;

/**
 * Splits buf into whole records, in order.
 *
 * A record is whole when its 5-byte header and the body it announces are
 * all in buf; a partial record at the end (a header cut short, or a body
 * shorter than announced) is not reported and stays for the next flight:
 * keep buf + *used .. buf + len and prepend it to the next bytes.
 *
 * @param buf  the bytes; NULL is taken as empty.
 * @param len  their length.
 * @param out  receives up to max records, whose bodies point into buf;
 *             NULL asks for the count only (max is then ignored).
 * @param max  the room in out.  When there are more whole records than max,
 *             the first max are reported and *used spans only those: call
 *             again from buf + *used for the rest.
 * @param used receives the bytes the reported records span (0 if none); may
 *             be NULL.
 * @returns how many records were reported (with out NULL: how many whole
 *          records buf holds).  0 for none.
 */
TLSHS_API size_t tlshs_records(const void *buf, size_t len, tlshs_record *out, size_t max,
                               size_t *used);

/**
 * Writes one record: a 5-byte header (type, version, len) and the body.
 * The length is not judged against TLS's limit: any len up to 0xffff (what
 * the header can say) is written.
 *
 * @param type    the content type, 0..255.
 * @param version the header's version, 0..0xffff.
 * @param body    len bytes; may be NULL when len is 0; may lie inside out
 *                (it is moved, as memmove does).
 * @param out     receives the record; NULL asks for the size only.
 * @param cap     the room in out.
 * @returns the record's size (5 + len), also when out is NULL or cap is
 *          short (then nothing is written); 0 if type, version or len is
 *          out of range or body is NULL with len > 0.
 */
TLSHS_API size_t tlshs_record_write(int type, unsigned version, const void *body, size_t len,
                                    void *out, size_t cap);

/**
 * Re-cuts the handshake records of a flight into records whose bodies hold
 * at most max_body bytes.
 *
 * Each handshake record (type TLSHS_HANDSHAKE) longer than max_body is
 * split on its own into records of max_body bytes (the last one shorter),
 * each with the original's type and version; records are never joined, so
 * the handshake bytes stay in order and every record boundary of the input
 * is still one in the output.  Other records (alerts, ChangeCipherSpec,
 * TLS 1.3's encrypted records, which carry every handshake message after
 * the ServerHello as type TLSHS_APPLICATION_DATA), handshake records that
 * already fit, every record after a ChangeCipherSpec in the flight (TLS
 * 1.2's encrypted Finished is a handshake record: cut, its MAC would fail)
 * and a partial record at the end pass unchanged.  So in a TLS 1.3 flight
 * only the plaintext ClientHello, ServerHello or HelloRetryRequest is
 * re-cut, and in TLS 1.2 the plaintext messages before the
 * ChangeCipherSpec.  The flight is taken to start in plaintext: encrypted
 * TLS 1.2 handshake records of a later flight (a renegotiation) cannot be
 * told from plaintext ones and are cut.
 *
 * @param flight   the bytes of one flight (or more).
 * @param len      their length.
 * @param max_body the most body bytes a handshake record may hold, at
 *                 least 1.
 * @param out      receives the re-cut flight; NULL asks for the size only.
 *                 It must not overlap flight.
 * @param cap      the room in out.
 * @returns the re-cut flight's size, also when out is NULL or cap is short
 *          (then nothing is written); 0 for an empty flight, and 0 when
 *          max_body is 0 or flight is NULL (refused).
 */
TLSHS_API size_t tlshs_refragment(const void *flight, size_t len, size_t max_body, void *out,
                                  size_t cap);

/* ------------------------------------------------------------------------
 * DTLS records: reshaping a datagram
 *
 * A datagram handshake (transport "datagram") hands over one datagram per
 * tlshs_take; these functions read and rebuild the DTLS 1.2 records in it
 * (RFC 6347 4.1) and the handshake fragments in their bodies (4.2.2), with
 * the same rules as the TLS ones above: no state, no allocation, no read
 * outside the buffer given, and no judging: a record is a 13-byte header
 * (content type, version, epoch, 48-bit sequence number, body length) and
 * the bytes it announces; a fragment is a 12-byte header (message type,
 * message length, message_seq, fragment_offset, fragment_length) and
 * fragment_length bytes.
 * ------------------------------------------------------------------------ */

/**
 * One DTLS record as tlshs_dtls_records() found it.
 *
 * type:    the content type byte (0..255).
 * version: the header's version (0xfefd for DTLS 1.2, 0xfeff for DTLS 1.0,
 *          which a first ClientHello may carry), 0..0xffff.
 * epoch:   0..0xffff; 0 is plaintext, 1 and later are encrypted.
 * seq:     the 48-bit record sequence number, 0..2^48-1.
 * body:    points at the body inside the buffer given to
 *          tlshs_dtls_records(): owned by the caller, valid as that buffer.
 * len:     the body's length, as the header announced it (0..0xffff).
 */
typedef struct tlshs_dtls_record {
    int type;
    unsigned version;
    unsigned epoch;
    uint64_t seq;
    const unsigned char *body;
    size_t len;
} tlshs_dtls_record;

/**
 * Splits a datagram into whole DTLS records, in order.  As tlshs_records(),
 * with 13-byte headers: a partial record at the end is not reported
 * (*used stops before it; a datagram holds whole records, so a rest is
 * bytes that are not one).
 *
 * @returns how many records were reported (with out NULL: how many whole
 *          records buf holds).
 */
TLSHS_API size_t tlshs_dtls_records(const void *buf, size_t len, tlshs_dtls_record *out, size_t max,
                                    size_t *used);

/**
 * Writes one DTLS record: a 13-byte header and the body.  As
 * tlshs_record_write(), with the epoch (0..0xffff) and the sequence number
 * (0..2^48-1).
 *
 * @returns the record's size (13 + len), also when out is NULL or cap is
 *          short (then nothing is written); 0 if type, version, epoch, seq
 *          or len is out of range, or body is NULL with len > 0.
 */
TLSHS_API size_t tlshs_dtls_record_write(int type, unsigned version, unsigned epoch, uint64_t seq,
                                         const void *body, size_t len, void *out, size_t cap);

/**
 * One handshake fragment as tlshs_dtls_fragments() found it.
 *
 * msg_type:    the handshake message type (1 ClientHello, 2 ServerHello,
 *              3 HelloVerifyRequest, 11 Certificate, ...).
 * msg_len:     the whole message's length, as the header says (0..2^24-1).
 * message_seq: the message's sequence number in the handshake (0..0xffff).
 * offset:      fragment_offset: where body starts in the message.
 * body:        the fragment's bytes, inside the buffer given.
 * len:         fragment_length.
 */
typedef struct tlshs_dtls_fragment {
    int msg_type;
    size_t msg_len;
    unsigned message_seq;
    size_t offset;
    const unsigned char *body;
    size_t len;
} tlshs_dtls_fragment;

/**
 * Splits a plaintext handshake record's body (a tlshs_dtls_record's body,
 * epoch 0) into its fragments, in order.  As tlshs_records(), with 12-byte
 * fragment headers: a fragment cut short at the end is not reported and
 * *used stops before it.  Offsets and lengths are not judged against the
 * message length.
 *
 * @returns how many fragments were reported (with out NULL: how many whole
 *          fragments body holds).
 */
TLSHS_API size_t tlshs_dtls_fragments(const void *body, size_t len, tlshs_dtls_fragment *out,
                                      size_t max, size_t *used);

/**
 * Re-cuts the handshake fragments inside each plaintext record of a
 * datagram into fragments of at most max_body bytes, each with its own
 * 12-byte header (the original's message type, length and message_seq; its
 * offset advanced), in the same record.
 *
 * A record stays one record, with its type, version, epoch and sequence
 * number; only its length grows, by 12 bytes per new fragment.  It is not
 * cut into several records: they would repeat one sequence number, and a
 * DTLS receiver drops a record whose epoch and sequence number it has seen
 * (RFC 6347 4.1.2.6, OpenSSL's replay window) as a replay.  To spread a
 * message over several datagrams, set the key `mtu` instead.
 *
 * Only handshake records of epoch 0 whose body is whole fragments are
 * re-cut, and only when one of their fragments is longer than max_body;
 * a fragment of length 0 stays one.  Other records (encrypted ones, of
 * epoch 1 or later: the Finished; alerts, ChangeCipherSpec, application
 * data), handshake records whose body is not whole fragments and a partial
 * record at the end pass unchanged.
 *
 * @param datagram the bytes of one datagram (or more records).
 * @param len      their length.
 * @param max_body the most bytes a fragment may hold, at least 1.
 * @param out      receives the re-cut datagram; NULL asks for the size
 *                 only.  It must not overlap datagram.
 * @param cap      the room in out.
 * @returns the re-cut datagram's size, also when out is NULL or cap is
 *          short (then nothing is written); 0 for an empty datagram, and 0
 *          (refused) when max_body is 0, datagram is NULL, or a re-cut
 *          record's body would be longer than the 65535 bytes its header
 *          can say.
 */
TLSHS_API size_t tlshs_dtls_refragment(const void *datagram, size_t len, size_t max_body,
                                       void *out, size_t cap);

/* ------------------------------------------------------------------------
 * Two handshakes in memory
 * ------------------------------------------------------------------------ */

/** Which way a flight goes between two handshakes ("c2s", "s2c" in the bindings). */
typedef enum { TLSHS_C2S, TLSHS_S2C } tlshs_direction;

/**
 * A tamper callback of tlshs_pair: sees each flight before it is delivered
 * and answers what to deliver instead.
 *
 * @param direction TLSHS_C2S (the client's flight, to the server) or
 *                  TLSHS_S2C.
 * @param flight    every byte the sender had pending, len > 0; valid
 *                  during the call only.  The callback may rewrite it in
 *                  place.
 * @param out       in: points at flight.  The callback may point it at
 *                  other bytes, which it owns and keeps valid until it is
 *                  called again or tlshs_pair returns (a buffer in arg, a
 *                  static buffer).
 * @param arg       tlshs_pair's arg.
 * @returns how many bytes at *out to deliver: len delivers the flight
 *          unchanged (with *out untouched), 0 drops it.  Bytes the
 *          receiver refuses (it is CLOSED) are dropped.
 */
typedef size_t (*tlshs_tamper_cb)(tlshs_direction direction, unsigned char *flight, size_t len,
                                  const unsigned char **out, void *arg);

/** tlshs_pair's answer, bits: the client waits (is neither DONE nor CLOSED). */
#define TLSHS_PAIR_CLIENT_WAITS 1
/** tlshs_pair's answer, bits: the server waits (is neither DONE nor CLOSED). */
#define TLSHS_PAIR_SERVER_WAITS 2
/** tlshs_pair's answer, bits: the rounds ran out while bytes still moved. */
#define TLSHS_PAIR_ROUNDS_OUT 4

/**
 * Carries every flight between two memory-mode handshakes until both are
 * DONE or CLOSED, or nothing moves, or the rounds run out.
 *
 * A round steps the client, delivers what it has pending to the server (a
 * flight: through tamper if given), steps the server and delivers its
 * flight to the client.  Pending bytes are delivered whatever the sender's
 * state: a CLOSED side's last alert and a TLS 1.3 server's
 * NewSessionTickets after DONE reach the peer.  pair never reads: bytes fed
 * to a side that is already DONE (tickets) wait there for its tlshs_read.
 * It never calls tlshs_feed_eof.  It stops after the first round that ends
 * with both sides DONE or CLOSED, or in which neither side wrote a byte
 * (every byte fed has then been read by a step and no answer is stale, so
 * another round would change nothing), or after rounds rounds.  Without tamper it costs what the
 * hand-written loop does (bytes move through a 16 KiB buffer on the
 * stack); with tamper each flight is taken whole into one heap buffer,
 * kept for the call.
 *
 * @param client a client in memory mode (started or not).
 * @param server a server in memory mode, not client.
 * @param tamper NULL delivers every flight unchanged.
 * @param arg    passed to tamper.
 * @param rounds the most rounds, at least 1 (a full handshake takes 3).
 * @param rc     receives the client's last result; may be NULL.
 * @param rs     receives the server's last result; may be NULL.
 * @returns 0 when both are DONE or CLOSED; else the bits of the sides that
 *          wait (TLSHS_PAIR_CLIENT_WAITS, TLSHS_PAIR_SERVER_WAITS), with
 *          TLSHS_PAIR_ROUNDS_OUT added when the rounds ran out while bytes
 *          still moved (without it, nothing moves: the waiting sides wait
 *          for bytes that will not come).  -1 if client or server is NULL,
 *          in fd mode, both are one object or rounds < 1 (nothing is
 *          stepped; the reason is in tlshs_usage_error of the side named),
 *          or if memory for a tampered flight ran out (tlshs_usage_code of
 *          client: TLSHS_E_NOMEM).
 */
TLSHS_API int tlshs_pair(tlshs *client, tlshs *server, tlshs_tamper_cb tamper, void *arg,
                         int rounds, tlshs_result *rc, tlshs_result *rs);

#ifdef __cplusplus
}
#endif

#endif /* TLSHS_H */
