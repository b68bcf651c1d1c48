/* certs.c - the config's own certificates: PEM without a prompt, the
 * getters' PEM and fingerprint, the throwaway self-signed certificate, the
 * OCSP response stapled, and the certificates against the security level. */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tlshs_internal.h"

/* A password callback that never prompts: an encrypted key fails to load
   instead of blocking on the terminal. */
int tlshs__no_password(char *buf, int size, int rwflag, void *userdata) {
    (void)buf, (void)size, (void)rwflag, (void)userdata;
    return 0;
}

/* The own certificate's PEM and SHA-256 fingerprint, for the getters. */
int tlshs__note_own_cert(tlshs_config *cfg, X509 *leaf) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL, *data;
    long len;
    if (!bio || !PEM_write_bio_X509(bio, leaf) || !X509_digest(leaf, EVP_sha256(), md, &mdlen) ||
        (len = BIO_get_mem_data(bio, &data)) <= 0 || !(pem = malloc((size_t)len + 1))) {
        BIO_free(bio);
        return -1;
    }
    memcpy(pem, data, (size_t)len);
    pem[len] = '\0';
    BIO_free(bio);
    free(cfg->cert_pem);
    cfg->cert_pem = pem;
    for (unsigned i = 0; i < mdlen && 3 * i + 3 <= sizeof cfg->fingerprint; i++)
        snprintf(cfg->fingerprint + 3 * i, 4, i + 1 < mdlen ? "%02X:" : "%02X", md[i]);
    return 0;
}

const char *tlshs_config_fingerprint(const tlshs_config *cfg) { /* see tlshs.h */
    return cfg ? cfg->fingerprint : "";
}

const char *tlshs_config_cert_pem(const tlshs_config *cfg) { /* see tlshs.h */
    return cfg ? cfg->cert_pem : NULL;
}

/* A throwaway P-256 key and a self-signed certificate for the name: CN and
   subjectAltName (DNS, or IP for an address), valid from an hour ago for 30
   days, a random serial, signed with SHA-256. */
X509 *tlshs__make_self_signed(EVP_PKEY *key, const char *name) {
    unsigned char serial[16];
    int ip = tlshs__is_ip_literal(name);
    char san[300];
    X509 *x = X509_new();
    X509_NAME *subject = X509_NAME_new();
    BIGNUM *bn = NULL;
    X509_EXTENSION *ext = NULL;
    X509V3_CTX v3;
    int ok = x && subject && RAND_bytes(serial, sizeof serial) == 1;
    serial[0] &= 0x7F; /* positive */
    snprintf(san, sizeof san, "%s:%s", ip ? "IP" : "DNS", name);
    ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && X509_set_version(x, X509_VERSION_3) &&
         X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)name, -1, -1, 0) &&
         X509_set_subject_name(x, subject) && X509_set_issuer_name(x, subject) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) && X509_set_pubkey(x, key);
    if (ok) {
        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        ok = (ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san)) != NULL &&
             X509_add_ext(x, ext, -1) && X509_sign(x, key, EVP_sha256()) > 0;
    }
    X509_EXTENSION_free(ext);
    BN_free(bn);
    X509_NAME_free(subject);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* The server's status callback, called when a client asks: staples a copy
   of the response (OpenSSL frees it with the connection). */
int tlshs__staple_ocsp(SSL *ssl, void *arg) {
    const tlshs_config *cfg = arg;
    unsigned char *copy = OPENSSL_memdup(cfg->ocsp, cfg->ocsp_len);
    if (!copy) return SSL_TLSEXT_ERR_NOACK;
    if (!SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)cfg->ocsp_len)) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
}

/* The bits of security each level asks of keys and signatures
   (SSL_CTX_set_security_level(3)). */
static const int level_bits[] = {0, 80, 112, 128, 192, 256};

/* The own certificates and their chains against the security level, as
   OpenSSL checks them when one is set (they were loaded at level 0): the
   key's bits, and the signature's unless the certificate is self-signed. */
int tlshs__check_certs_level(tlshs_config *cfg, int level) {
    int min = level_bits[level];
    if (level == 0) return 0;
    for (int more = SSL_CTX_set_current_cert(cfg->ctx, SSL_CERT_SET_FIRST); more;
         more = SSL_CTX_set_current_cert(cfg->ctx, SSL_CERT_SET_NEXT)) {
        X509 *leaf = SSL_CTX_get0_certificate(cfg->ctx);
        STACK_OF(X509) *chain = NULL;
        int n;
        SSL_CTX_get0_chain_certs(cfg->ctx, &chain);
        n = chain ? sk_X509_num(chain) : 0; /* sk_X509_num(NULL) is -1 */
        for (int i = -1; leaf && i < n; i++) {
            X509 *x = i < 0 ? leaf : sk_X509_value(chain, i);
            EVP_PKEY *pub = X509_get0_pubkey(x);
            int bits = pub ? EVP_PKEY_get_security_bits(pub) : -1;
            const char *what = "key";
            if (bits >= min && !(X509_get_extension_flags(x) & EXFLAG_SS)) {
                if (!X509_get_signature_info(x, NULL, NULL, &bits, NULL)) bits = -1;
                what = "signature";
            }
            if (bits < min) {
                tlshs__config_fail_locked(cfg, TLSHS_E_INCOMPLETE,
                     "%s: the %s certificate's %s gives %d bits of security, below the %d of "
                     "security_level %d",
                     cfg->cert_key, i < 0 ? "own" : "chain", what, bits, min, level);
                return -1;
            }
        }
    }
    return 0;
}
