/* names.c - tables: TLS alert names, handshake message names, result names, error codes. */
#include <string.h>

#include "tlshs_internal.h"

/* TLS alerts (RFC 8446 section 6, RFC 5246, RFC 7301). */
#define TLSHS_ALERTS(X)                                                                            \
    X(0, close_notify)                                                                             \
    X(10, unexpected_message)                                                                      \
    X(20, bad_record_mac)                                                                          \
    X(21, decryption_failed)                                                                       \
    X(22, record_overflow)                                                                         \
    X(30, decompression_failure)                                                                   \
    X(40, handshake_failure)                                                                       \
    X(41, no_certificate)                                                                          \
    X(42, bad_certificate)                                                                         \
    X(43, unsupported_certificate)                                                                 \
    X(44, certificate_revoked)                                                                     \
    X(45, certificate_expired)                                                                     \
    X(46, certificate_unknown)                                                                     \
    X(47, illegal_parameter)                                                                       \
    X(48, unknown_ca)                                                                              \
    X(49, access_denied)                                                                           \
    X(50, decode_error)                                                                            \
    X(51, decrypt_error)                                                                           \
    X(60, export_restriction)                                                                      \
    X(70, protocol_version)                                                                        \
    X(71, insufficient_security)                                                                   \
    X(80, internal_error)                                                                          \
    X(86, inappropriate_fallback)                                                                  \
    X(90, user_canceled)                                                                           \
    X(100, no_renegotiation)                                                                       \
    X(109, missing_extension)                                                                      \
    X(110, unsupported_extension)                                                                  \
    X(111, certificate_unobtainable)                                                               \
    X(112, unrecognized_name)                                                                      \
    X(113, bad_certificate_status_response)                                                        \
    X(114, bad_certificate_hash_value)                                                             \
    X(115, unknown_psk_identity)                                                                   \
    X(116, certificate_required)                                                                   \
    X(120, no_application_protocol)

static const struct {
    int code;
    const char *name, *warning, *fatal;
} alerts[] = {
#define ALERT_ROW(code, name) {code, #name, "warning:" #name, "fatal:" #name},
    TLSHS_ALERTS(ALERT_ROW)
#undef ALERT_ROW
};

/* TLS handshake message types (RFC 8446 section 4, RFC 5246 section 7.4). */
#define TLSHS_HANDSHAKE_TYPES(X)                                                                   \
    X(0, HelloRequest)                                                                             \
    X(1, ClientHello)                                                                              \
    X(2, ServerHello)                                                                              \
    X(3, HelloVerifyRequest)                                                                       \
    X(4, NewSessionTicket)                                                                         \
    X(5, EndOfEarlyData)                                                                           \
    X(6, HelloRetryRequest)                                                                        \
    X(8, EncryptedExtensions)                                                                      \
    X(11, Certificate)                                                                             \
    X(12, ServerKeyExchange)                                                                       \
    X(13, CertificateRequest)                                                                      \
    X(14, ServerHelloDone)                                                                         \
    X(15, CertificateVerify)                                                                       \
    X(16, ClientKeyExchange)                                                                       \
    X(20, Finished)                                                                                \
    X(21, CertificateURL)                                                                          \
    X(22, CertificateStatus)                                                                       \
    X(23, SupplementalData)                                                                        \
    X(24, KeyUpdate)                                                                               \
    X(25, CompressedCertificate)                                                                   \
    X(254, MessageHash)

static const struct {
    unsigned type;
    const char *name;
} handshake_types[] = {
#define HS_ROW(type, name) {type, #name},
    TLSHS_HANDSHAKE_TYPES(HS_ROW)
#undef HS_ROW
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *tlshs_alert_name(int code) { /* see tlshs.h */
    for (size_t i = 0; i < COUNT(alerts); i++)
        if (alerts[i].code == code) return alerts[i].name;
    return "unknown";
}

int tlshs_alert_from_name(const char *name) { /* see tlshs.h */
    if (!name) return -1;
    for (size_t i = 0; i < COUNT(alerts); i++)
        if (strcmp(alerts[i].name, name) == 0) return alerts[i].code;
    return -1;
}

const char *tlshs__alert_event_name(int level, int code) {
    for (size_t i = 0; i < COUNT(alerts); i++)
        if (alerts[i].code == code) return level == 2 ? alerts[i].fatal : alerts[i].warning;
    return level == 2 ? "fatal:unknown" : "warning:unknown";
}

const char *tlshs__handshake_name(unsigned type) {
    for (size_t i = 0; i < COUNT(handshake_types); i++)
        if (handshake_types[i].type == type) return handshake_types[i].name;
    return "Unknown";
}

const char *tlshs_result_name(tlshs_result r) { /* see tlshs.h */
    switch (r) {
#define RESULT_CASE(value, NAME, lua_name)                                                         \
    case TLSHS_##NAME: return #NAME;
        TLSHS_RESULTS(RESULT_CASE)
#undef RESULT_CASE
    }
    return "UNKNOWN";
}

static const struct {
    tlshs_code code;
    const char *name, *description;
} codes[] = {
#define CODE_ROW(value, NAME, name, description) {TLSHS_##NAME, #name, description},
    TLSHS_CODES(CODE_ROW)
#undef CODE_ROW
};

const char *tlshs_code_name(tlshs_code code) { /* see tlshs.h */
    for (size_t i = 0; i < COUNT(codes); i++)
        if (codes[i].code == code) return codes[i].name;
    return "unknown";
}

const char *tlshs_code_description(tlshs_code code) { /* see tlshs.h */
    for (size_t i = 0; i < COUNT(codes); i++)
        if (codes[i].code == code) return codes[i].description;
    return "";
}

/* ---- roles ---- */

_Static_assert(TLSHS_CLIENT == 0 && TLSHS_SERVER == 1, "role_names is indexed by tlshs_role");
static const char *const role_names[] = {"client", "server"};

const char *tlshs_role_name(tlshs_role role) { /* see tlshs.h */
    return (unsigned)role < sizeof role_names / sizeof role_names[0] ? role_names[role] : "unknown";
}

int tlshs_role_from_name(const char *name, tlshs_role *out) { /* see tlshs.h */
    for (size_t i = 0; name && out && i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (tlshs_role)i;
            return 0;
        }
    }
    return -1;
}
