#include "CCurlShim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>

/* OPENSSL_INIT_NO_ATEXIT from <openssl/crypto.h>, spelled out so that no OpenSSL header is needed. */
#define CCURL_OPENSSL_INIT_NO_ATEXIT 0x00080000L

static pthread_once_t ccurl_once = PTHREAD_ONCE_INIT;
static CURLcode ccurl_init_result = CURLE_OK;

static void ccurl_global_init_once(void) {
    typedef int (*openssl_init_fn)(uint64_t, const void *);
    openssl_init_fn openssl_init = (openssl_init_fn)dlsym(RTLD_DEFAULT, "OPENSSL_init_crypto");
    if (openssl_init != NULL) {
        openssl_init(CCURL_OPENSSL_INIT_NO_ATEXIT, NULL);
    }
    ccurl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode ccurl_global_init(void) {
    pthread_once(&ccurl_once, ccurl_global_init_once);
    return ccurl_init_result;
}

CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }

CURLcode ccurl_easy_setopt_write_function(CURL *h, ccurl_data_callback cb) {
    return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb);
}
CURLcode ccurl_easy_setopt_header_function(CURL *h, ccurl_data_callback cb) {
    return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb);
}

CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *out) { return curl_easy_getinfo(h, i, out); }
CURLcode ccurl_easy_getinfo_string(CURL *h, CURLINFO i, const char **out) { return curl_easy_getinfo(h, i, out); }
