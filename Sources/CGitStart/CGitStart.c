// libgit2's start without its certificate load (see include/CGitStart.h and docs/decisions.md).
//
// libgit2 loads its default certificate authorities with mbedtls_x509_crt_parse_file (or _parse_path for a
// folder), called through the dynamic linker. The definitions below come first in the process's symbol search
// order, so they see those calls: while `deferring` is set they note the path and report success with an empty
// chain; otherwise they hand the call to mbedTLS's own function, found with dlsym(RTLD_NEXT).
#define _GNU_SOURCE
#include "CGitStart.h"

#include <dlfcn.h>
#include <git2.h>
#include <mbedtls/x509_crt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef int (*certificate_parser)(mbedtls_x509_crt *chain, const char *path);

static atomic_int deferring;
static char *deferred_file;
static char *deferred_folder;
static atomic_int loads;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result;

static void note(char **slot, const char *path) {
    free(*slot);
    *slot = path != NULL ? strdup(path) : NULL;
}

static int forward(const char *name, mbedtls_x509_crt *chain, const char *path, const char *deferred) {
    certificate_parser parser = (certificate_parser)dlsym(RTLD_NEXT, name);
    if (parser == NULL) {
        return MBEDTLS_ERR_X509_FILE_IO_ERROR;
    }
    int result = parser(chain, path);
    if (result >= 0 && path != NULL && deferred != NULL && strcmp(path, deferred) == 0) {
        atomic_fetch_add(&loads, 1);
    }
    return result;
}

int mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path) {
    if (atomic_load(&deferring)) {
        note(&deferred_file, path);
        return 0;
    }
    return forward("mbedtls_x509_crt_parse_file", chain, path, deferred_file);
}

int mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path) {
    if (atomic_load(&deferring)) {
        note(&deferred_folder, path);
        return 0;
    }
    return forward("mbedtls_x509_crt_parse_path", chain, path, deferred_folder);
}

int tollgate_libgit2_init(void) {
    atomic_store(&deferring, 1);
    int result = git_libgit2_init();
    atomic_store(&deferring, 0);
    return result;
}

static void load(void) {
    if (deferred_file == NULL && deferred_folder == NULL) {
        return;
    }
    load_result = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, deferred_file, deferred_folder) < 0 ? -1 : 0;
}

int tollgate_load_system_certificates(void) {
    pthread_once(&load_once, load);
    return load_result;
}

int tollgate_system_certificate_loads(void) {
    return atomic_load(&loads);
}

const char *tollgate_deferred_certificate_location(void) {
    return deferred_file != NULL ? deferred_file : deferred_folder;
}
