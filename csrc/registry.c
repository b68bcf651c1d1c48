/*
 * registry.c - IANA's names for the numbers a hello carries: protocol
 * versions, cipher suites, extensions, supported groups and signature
 * schemes (the TLS registries at iana.org/assignments/tls-parameters and
 * tls-extensiontype-values), so that a test peer can print what the other
 * side offered.  GREASE values (RFC 8701) read "GREASE".  Cipher suites come
 * from OpenSSL's own table (every suite it knows, enabled or not); the
 * other registries are tables here.
 */
#include <openssl/ssl.h>

#include "tlshs_internal.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct entry {
    unsigned value;
    const char *name;
};

static const char *lookup(const struct entry *t, size_t n, unsigned value) {
    for (size_t i = 0; i < n; i++)
        if (t[i].value == value) return t[i].name;
    return NULL;
}

/* RFC 8701: 0x0A0A, 0x1A1A, ..., 0xFAFA */
static int is_grease(unsigned v) {
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

#define TLSHS_VERSIONS(X)                                                                          \
    X(0x0300, "SSLv3")                                                                             \
    X(0x0301, "TLSv1.0")                                                                           \
    X(0x0302, "TLSv1.1")                                                                           \
    X(0x0303, "TLSv1.2")                                                                           \
    X(0x0304, "TLSv1.3")

/* The ExtensionType registry (RFC 8446 4.2 and the registry's later entries). */
#define TLSHS_EXTENSIONS(X)                                                                        \
    X(0, "server_name")                                                                            \
    X(1, "max_fragment_length")                                                                    \
    X(2, "client_certificate_url")                                                                 \
    X(3, "trusted_ca_keys")                                                                        \
    X(4, "truncated_hmac")                                                                         \
    X(5, "status_request")                                                                         \
    X(6, "user_mapping")                                                                           \
    X(7, "client_authz")                                                                           \
    X(8, "server_authz")                                                                           \
    X(9, "cert_type")                                                                              \
    X(10, "supported_groups")                                                                      \
    X(11, "ec_point_formats")                                                                      \
    X(12, "srp")                                                                                   \
    X(13, "signature_algorithms")                                                                  \
    X(14, "use_srtp")                                                                              \
    X(15, "heartbeat")                                                                             \
    X(16, "application_layer_protocol_negotiation")                                                \
    X(17, "status_request_v2")                                                                     \
    X(18, "signed_certificate_timestamp")                                                          \
    X(19, "client_certificate_type")                                                               \
    X(20, "server_certificate_type")                                                               \
    X(21, "padding")                                                                               \
    X(22, "encrypt_then_mac")                                                                      \
    X(23, "extended_master_secret")                                                                \
    X(24, "token_binding")                                                                         \
    X(25, "cached_info")                                                                           \
    X(26, "tls_lts")                                                                               \
    X(27, "compress_certificate")                                                                  \
    X(28, "record_size_limit")                                                                     \
    X(29, "pwd_protect")                                                                           \
    X(30, "pwd_clear")                                                                             \
    X(31, "password_salt")                                                                         \
    X(32, "ticket_pinning")                                                                        \
    X(33, "tls_cert_with_extern_psk")                                                              \
    X(34, "delegated_credential")                                                                  \
    X(35, "session_ticket")                                                                        \
    X(36, "TLMSP")                                                                                 \
    X(37, "TLMSP_proxying")                                                                        \
    X(38, "TLMSP_delegate")                                                                        \
    X(39, "supported_ekt_ciphers")                                                                 \
    X(41, "pre_shared_key")                                                                        \
    X(42, "early_data")                                                                            \
    X(43, "supported_versions")                                                                    \
    X(44, "cookie")                                                                                \
    X(45, "psk_key_exchange_modes")                                                                \
    X(47, "certificate_authorities")                                                               \
    X(48, "oid_filters")                                                                           \
    X(49, "post_handshake_auth")                                                                   \
    X(50, "signature_algorithms_cert")                                                             \
    X(51, "key_share")                                                                             \
    X(52, "transparency_info")                                                                     \
    X(53, "connection_id_deprecated")                                                              \
    X(54, "connection_id")                                                                         \
    X(55, "external_id_hash")                                                                      \
    X(56, "external_session_id")                                                                   \
    X(57, "quic_transport_parameters")                                                             \
    X(58, "ticket_request")                                                                        \
    X(59, "dnssec_chain")                                                                          \
    X(17513, "application_settings")                                                               \
    X(65037, "encrypted_client_hello")                                                             \
    X(65281, "renegotiation_info")

/* The Supported Groups registry. */
#define TLSHS_GROUPS(X)                                                                            \
    X(1, "sect163k1")                                                                              \
    X(2, "sect163r1")                                                                              \
    X(3, "sect163r2")                                                                              \
    X(4, "sect193r1")                                                                              \
    X(5, "sect193r2")                                                                              \
    X(6, "sect233k1")                                                                              \
    X(7, "sect233r1")                                                                              \
    X(8, "sect239k1")                                                                              \
    X(9, "sect283k1")                                                                              \
    X(10, "sect283r1")                                                                             \
    X(11, "sect409k1")                                                                             \
    X(12, "sect409r1")                                                                             \
    X(13, "sect571k1")                                                                             \
    X(14, "sect571r1")                                                                             \
    X(15, "secp160k1")                                                                             \
    X(16, "secp160r1")                                                                             \
    X(17, "secp160r2")                                                                             \
    X(18, "secp192k1")                                                                             \
    X(19, "secp192r1")                                                                             \
    X(20, "secp224k1")                                                                             \
    X(21, "secp224r1")                                                                             \
    X(22, "secp256k1")                                                                             \
    X(23, "secp256r1")                                                                             \
    X(24, "secp384r1")                                                                             \
    X(25, "secp521r1")                                                                             \
    X(26, "brainpoolP256r1")                                                                       \
    X(27, "brainpoolP384r1")                                                                       \
    X(28, "brainpoolP512r1")                                                                       \
    X(29, "x25519")                                                                                \
    X(30, "x448")                                                                                  \
    X(31, "brainpoolP256r1tls13")                                                                  \
    X(32, "brainpoolP384r1tls13")                                                                  \
    X(33, "brainpoolP512r1tls13")                                                                  \
    X(34, "GC256A")                                                                                \
    X(35, "GC256B")                                                                                \
    X(36, "GC256C")                                                                                \
    X(37, "GC256D")                                                                                \
    X(38, "GC512A")                                                                                \
    X(39, "GC512B")                                                                                \
    X(40, "GC512C")                                                                                \
    X(41, "curveSM2")                                                                              \
    X(256, "ffdhe2048")                                                                            \
    X(257, "ffdhe3072")                                                                            \
    X(258, "ffdhe4096")                                                                            \
    X(259, "ffdhe6144")                                                                            \
    X(260, "ffdhe8192")                                                                            \
    X(0x0200, "MLKEM512")                                                                          \
    X(0x0201, "MLKEM768")                                                                          \
    X(0x0202, "MLKEM1024")                                                                         \
    X(0x11eb, "SecP256r1MLKEM768")                                                                 \
    X(0x11ec, "X25519MLKEM768")                                                                    \
    X(0x11ed, "SecP384r1MLKEM1024")                                                                \
    X(0x6399, "X25519Kyber768Draft00")                                                             \
    X(0x639a, "SecP256r1Kyber768Draft00")                                                          \
    X(0xff01, "arbitrary_explicit_prime_curves")                                                   \
    X(0xff02, "arbitrary_explicit_char2_curves")

/* The SignatureScheme registry (RFC 8446 4.2.3), with TLS 1.2's
   hash/signature pairs that have no TLS 1.3 name spelled the same way. */
#define TLSHS_SIGALGS(X)                                                                           \
    X(0x0201, "rsa_pkcs1_sha1")                                                                    \
    X(0x0202, "dsa_sha1")                                                                          \
    X(0x0203, "ecdsa_sha1")                                                                        \
    X(0x0301, "rsa_pkcs1_sha224")                                                                  \
    X(0x0302, "dsa_sha224")                                                                        \
    X(0x0303, "ecdsa_sha224")                                                                      \
    X(0x0401, "rsa_pkcs1_sha256")                                                                  \
    X(0x0402, "dsa_sha256")                                                                        \
    X(0x0403, "ecdsa_secp256r1_sha256")                                                            \
    X(0x0420, "rsa_pkcs1_sha256_legacy")                                                           \
    X(0x0501, "rsa_pkcs1_sha384")                                                                  \
    X(0x0502, "dsa_sha384")                                                                        \
    X(0x0503, "ecdsa_secp384r1_sha384")                                                            \
    X(0x0520, "rsa_pkcs1_sha384_legacy")                                                           \
    X(0x0601, "rsa_pkcs1_sha512")                                                                  \
    X(0x0602, "dsa_sha512")                                                                        \
    X(0x0603, "ecdsa_secp521r1_sha512")                                                            \
    X(0x0620, "rsa_pkcs1_sha512_legacy")                                                           \
    X(0x0704, "eccsi_sha256")                                                                      \
    X(0x0705, "iso_ibs1")                                                                          \
    X(0x0706, "iso_ibs2")                                                                          \
    X(0x0707, "iso_chinese_ibs")                                                                   \
    X(0x0708, "sm2sig_sm3")                                                                        \
    X(0x0709, "gostr34102012_256a")                                                                \
    X(0x070a, "gostr34102012_256b")                                                                \
    X(0x070b, "gostr34102012_256c")                                                                \
    X(0x070c, "gostr34102012_256d")                                                                \
    X(0x070d, "gostr34102012_512a")                                                                \
    X(0x070e, "gostr34102012_512b")                                                                \
    X(0x070f, "gostr34102012_512c")                                                                \
    X(0x0804, "rsa_pss_rsae_sha256")                                                               \
    X(0x0805, "rsa_pss_rsae_sha384")                                                               \
    X(0x0806, "rsa_pss_rsae_sha512")                                                               \
    X(0x0807, "ed25519")                                                                           \
    X(0x0808, "ed448")                                                                             \
    X(0x0809, "rsa_pss_pss_sha256")                                                                \
    X(0x080a, "rsa_pss_pss_sha384")                                                                \
    X(0x080b, "rsa_pss_pss_sha512")                                                                \
    X(0x081a, "ecdsa_brainpoolP256r1tls13_sha256")                                                 \
    X(0x081b, "ecdsa_brainpoolP384r1tls13_sha384")                                                 \
    X(0x081c, "ecdsa_brainpoolP512r1tls13_sha512")                                                 \
    X(0x0904, "mldsa44")                                                                           \
    X(0x0905, "mldsa65")                                                                           \
    X(0x0906, "mldsa87")

#define ROW(value, name) {value, name},
static const struct entry versions[] = {TLSHS_VERSIONS(ROW)};
static const struct entry extensions[] = {TLSHS_EXTENSIONS(ROW)};
static const struct entry groups[] = {TLSHS_GROUPS(ROW)};
static const struct entry sigalgs[] = {TLSHS_SIGALGS(ROW)};
#undef ROW

const char *tlshs_version_name(unsigned version) { /* see tlshs.h */
    return is_grease(version) ? "GREASE" : lookup(versions, COUNT(versions), version);
}

const char *tlshs_extension_name(unsigned type) { /* see tlshs.h */
    return is_grease(type) ? "GREASE" : lookup(extensions, COUNT(extensions), type);
}

const char *tlshs_group_name(unsigned group) { /* see tlshs.h */
    return is_grease(group) ? "GREASE" : lookup(groups, COUNT(groups), group);
}

const char *tlshs_sigalg_name(unsigned scheme) { /* see tlshs.h */
    return is_grease(scheme) ? "GREASE" : lookup(sigalgs, COUNT(sigalgs), scheme);
}

/* OpenSSL finds a suite by its two bytes only through an SSL; one is made
   once, for the life of the process, from a context that refuses nothing. */
static SSL *lookup_ssl;
static CRYPTO_ONCE lookup_once = CRYPTO_ONCE_STATIC_INIT;

static void make_lookup_ssl(void) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (ctx) lookup_ssl = SSL_new(ctx);
    SSL_CTX_free(ctx); /* the SSL holds its own reference */
    ERR_clear_error();
}

__attribute__((destructor)) static void free_lookup_ssl(void) {
    SSL_free(lookup_ssl);
    lookup_ssl = NULL;
}

const char *tlshs_cipher_suite_name(unsigned suite) { /* see tlshs.h */
    unsigned char id[2] = {(unsigned char)(suite >> 8), (unsigned char)suite};
    const SSL_CIPHER *c;
    if (is_grease(suite)) return "GREASE";
    if (suite == 0x00ff) return "TLS_EMPTY_RENEGOTIATION_INFO_SCSV";
    if (suite == 0x5600) return "TLS_FALLBACK_SCSV";
    if (suite > 0xffff || !CRYPTO_THREAD_run_once(&lookup_once, make_lookup_ssl) || !lookup_ssl)
        return NULL;
    c = SSL_CIPHER_find(lookup_ssl, id);
    return c ? SSL_CIPHER_standard_name(c) : NULL;
}
