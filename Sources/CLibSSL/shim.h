#ifndef HAVEN_CLIBSSL_SHIM_H
#define HAVEN_CLIBSSL_SHIM_H
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif
