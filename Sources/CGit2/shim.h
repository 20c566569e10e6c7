#pragma once
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <mbedtls/sha1.h>
#include <sys/vfs.h>
#include <zlib.h>

/// An object database backend of GitKit's own (the objects a repository batches in memory before writing them as
/// one pack): libgit2's struct first, so a `git_odb_backend *` is a `tollgate_memory_backend *`, then the Swift
/// store it serves.
typedef struct {
    git_odb_backend parent;
    void *store;
} tollgate_memory_backend;

/// `deflateInit2` for Swift, which cannot call the macro: a zlib stream at `level` with a 8 KiB window and
/// memLevel 6, 64 KiB of state in all (the defaults take a quarter of a megabyte, which malloc maps and unmaps
/// for every stream). GitKit compresses objects of a few kilobytes; any window size inflates alike.
static inline int tollgate_deflate_init(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 13, 6, Z_DEFAULT_STRATEGY);
}

/// Turns off libgit2's check that every object a new tree or commit names is in the object database
/// (`GIT_OPT_ENABLE_STRICT_OBJECT_CREATION`): `git_libgit2_opts` is variadic, which Swift cannot call.
static inline int tollgate_disable_strict_object_creation(void) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
}

/// The file system type (`statfs`'s `f_type`, a magic number) of the folder open as `descriptor`, or -1; Swift's
/// Glibc module has no `fstatfs`.
static inline long tollgate_filesystem_type(int descriptor) {
    struct statfs info;
    return fstatfs(descriptor, &info) == 0 ? (long)info.f_type : -1;
}

// Certificate checks for HTTPS remotes with a private certificate authority, done with mbedTLS, the TLS library
// Debian's libgit2 is built with (libgit2-dev depends on libmbedtls-dev). GitKit calls this from libgit2's
// `certificate_check` callback instead of changing libgit2's process-wide trust store (see docs/decisions.md).
#include <arpa/inet.h>
#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <string.h>

/// Whether `certificate` lists the IP address `host` among its subject alternative names.
///
/// mbedTLS 2.28 matches host names only, so an address (`127.0.0.1`, `::1`, without brackets) is checked here
/// against the iPAddress entries. Returns 1 on a match, 0 when none matches, -1 when `host` is not an address.
static inline int tollgate_certificate_names_address(const mbedtls_x509_crt *certificate, const char *host) {
    unsigned char address[16];
    size_t length;
    if (inet_pton(AF_INET, host, address) == 1) {
        length = 4;
    } else if (inet_pton(AF_INET6, host, address) == 1) {
        length = 16;
    } else {
        return -1;
    }
    for (const mbedtls_x509_sequence *name = &certificate->subject_alt_names; name != NULL; name = name->next) {
        if (name->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && name->buf.len == length
            && memcmp(name->buf.p, address, length) == 0) {
            return 1;
        }
    }
    return 0;
}

/// Whether the DER certificate lists the IP address `host` among its subject alternative names (see above).
static inline int tollgate_certificate_der_names_address(const unsigned char *der, size_t der_length,
                                                         const char *host) {
    mbedtls_x509_crt certificate;
    mbedtls_x509_crt_init(&certificate);
    int result = mbedtls_x509_crt_parse_der(&certificate, der, der_length) == 0
                     ? tollgate_certificate_names_address(&certificate, host)
                     : -1;
    mbedtls_x509_crt_free(&certificate);
    return result;
}

/// Verifies a server certificate (DER) for `host` against the certificate authorities in the PEM file `ca_file`.
///
/// Checks the signature chain up to a certificate of the file, the validity period and the host name (or IP
/// address). Returns 0 when the certificate is trusted; otherwise -1, with the reason written to `reason` (one
/// line per problem found).
static inline int tollgate_verify_certificate(
    const unsigned char *der, size_t der_length, const char *ca_file, const char *host, char *reason,
    size_t reason_size) {
    mbedtls_x509_crt certificate;
    mbedtls_x509_crt authorities;
    uint32_t flags = 0;
    int result;
    char detail[200] = "";
    reason[0] = '\0';
    mbedtls_x509_crt_init(&certificate);
    mbedtls_x509_crt_init(&authorities);
    if ((result = mbedtls_x509_crt_parse_der(&certificate, der, der_length)) != 0) {
        mbedtls_strerror(result, detail, sizeof(detail));
        snprintf(reason, reason_size, "the server's certificate cannot be read (%s)", detail);
    } else if ((result = mbedtls_x509_crt_parse_file(&authorities, ca_file)) < 0) {
        mbedtls_strerror(result, detail, sizeof(detail));
        snprintf(reason, reason_size, "the CA file %s holds no readable PEM certificate (%s)", ca_file, detail);
    } else {
        int address = tollgate_certificate_names_address(&certificate, host);
        result = mbedtls_x509_crt_verify(&certificate, &authorities, NULL, address < 0 ? host : NULL, &flags, NULL,
                                         NULL);
        if (address == 0) {
            flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
        }
        if (flags != 0) {
            mbedtls_x509_crt_verify_info(reason, reason_size, "", flags);
            result = -1;
        } else if (result != 0) {
            mbedtls_strerror(result, reason, reason_size);
        }
    }
    mbedtls_x509_crt_free(&certificate);
    mbedtls_x509_crt_free(&authorities);
    return result == 0 ? 0 : -1;
}
