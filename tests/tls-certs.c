/*
 * tls-certs.c: see tls-certs.h.
 */
#include "config.h"

#ifdef HAVE_OPENSSL
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls-certs.h"

static int add_name(X509 *x)
{
    X509_NAME *name = X509_get_subject_name(x);

    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"localhost",
                                    -1, -1, 0))
        return -1;
    if (!X509_set_issuer_name(x, name))
        return -1;
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, NULL,
                                              NID_subject_alt_name,
                                              "DNS:localhost");
    int ok = san && X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
    return ok ? 0 : -1;
}

static int write_pem(const char *cert_path, const char *key_path, X509 *x,
                     EVP_PKEY *key)
{
    FILE *c = fopen(cert_path, "w"), *k = fopen(key_path, "w");
    int ok = c && k && PEM_write_X509(c, x) &&
             PEM_write_PrivateKey(k, key, NULL, NULL, 0, NULL, NULL);

    if (c)
        ok = (fclose(c) == 0) && ok;
    if (k)
        ok = (fclose(k) == 0) && ok;
    return ok ? 0 : -1;
}

int tls_test_make_cert(const char *cert_path, const char *key_path,
                       long from, long to)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int rc = -1;

    if (key && x && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
        X509_gmtime_adj(X509_getm_notBefore(x), from) &&
        X509_gmtime_adj(X509_getm_notAfter(x), to) &&
        X509_set_pubkey(x, key) && add_name(x) == 0 &&
        X509_sign(x, key, EVP_sha256()) > 0)
        rc = write_pem(cert_path, key_path, x, key);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

#endif /* HAVE_OPENSSL */
