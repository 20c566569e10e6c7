#include "CCurlShim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

/* OPENSSL_INIT_NO_ATEXIT from <openssl/crypto.h>, spelled out so that no OpenSSL header is needed. */
#define CCURL_OPENSSL_INIT_NO_ATEXIT 0x00080000L

/// The libcurl functions HTTPKit uses, found in the loaded library.
static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *handle);
    void (*easy_reset)(CURL *handle);
    CURLcode (*easy_perform)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *line);
    void (*slist_free_all)(struct curl_slist *list);
} curl;

static pthread_once_t ccurl_once = PTHREAD_ONCE_INIT;
static CURLcode ccurl_init_result = CURLE_OK;
static char ccurl_error[512];
static const char *ccurl_error_text = NULL;

/// Finds `name` in `library`; on failure records the loader's message and returns NULL.
static void *ccurl_find(void *library, const char *name) {
    void *function = dlsym(library, name);
    if (function == NULL && ccurl_error_text == NULL) {
        snprintf(ccurl_error, sizeof(ccurl_error), "libcurl.so.4 has no %s", name);
        ccurl_error_text = ccurl_error;
    }
    return function;
}

static void ccurl_global_init_once(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(ccurl_error, sizeof(ccurl_error), "%s", reason != NULL ? reason : "libcurl.so.4 cannot be loaded");
        ccurl_error_text = ccurl_error;
        ccurl_init_result = CURLE_FAILED_INIT;
        return;
    }
    *(void **)&curl.global_init = ccurl_find(library, "curl_global_init");
    *(void **)&curl.easy_init = ccurl_find(library, "curl_easy_init");
    *(void **)&curl.easy_cleanup = ccurl_find(library, "curl_easy_cleanup");
    *(void **)&curl.easy_reset = ccurl_find(library, "curl_easy_reset");
    *(void **)&curl.easy_perform = ccurl_find(library, "curl_easy_perform");
    *(void **)&curl.easy_strerror = ccurl_find(library, "curl_easy_strerror");
    *(void **)&curl.easy_setopt = ccurl_find(library, "curl_easy_setopt");
    *(void **)&curl.easy_getinfo = ccurl_find(library, "curl_easy_getinfo");
    *(void **)&curl.slist_append = ccurl_find(library, "curl_slist_append");
    *(void **)&curl.slist_free_all = ccurl_find(library, "curl_slist_free_all");
    if (ccurl_error_text != NULL) {
        ccurl_init_result = CURLE_FAILED_INIT;
        return;
    }
    // Searched in libcurl and the libraries it loaded, which is where its OpenSSL is.
    typedef int (*openssl_init_fn)(uint64_t, const void *);
    openssl_init_fn openssl_init = (openssl_init_fn)dlsym(library, "OPENSSL_init_crypto");
    if (openssl_init != NULL) {
        openssl_init(CCURL_OPENSSL_INIT_NO_ATEXIT, NULL);
    }
    ccurl_init_result = curl.global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode ccurl_global_init(void) {
    pthread_once(&ccurl_once, ccurl_global_init_once);
    return ccurl_init_result;
}

const char *ccurl_load_error(void) { return ccurl_error_text; }

CURL *ccurl_easy_init(void) { return curl.easy_init(); }
void ccurl_easy_cleanup(CURL *h) { curl.easy_cleanup(h); }
void ccurl_easy_reset(CURL *h) { curl.easy_reset(h); }
CURLcode ccurl_easy_perform(CURL *h) { return curl.easy_perform(h); }
const char *ccurl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }
struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *line) {
    return curl.slist_append(list, line);
}
void ccurl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }

CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl.easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl.easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl.easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl.easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl.easy_setopt(h, o, v); }

CURLcode ccurl_easy_setopt_write_function(CURL *h, ccurl_data_callback cb) {
    return curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, cb);
}
CURLcode ccurl_easy_setopt_header_function(CURL *h, ccurl_data_callback cb) {
    return curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, cb);
}

CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *out) { return curl.easy_getinfo(h, i, out); }
CURLcode ccurl_easy_getinfo_string(CURL *h, CURLINFO i, const char **out) { return curl.easy_getinfo(h, i, out); }
