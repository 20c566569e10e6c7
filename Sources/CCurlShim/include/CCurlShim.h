#ifndef CCURLSHIM_H
#define CCURLSHIM_H

#include <curl/curl.h>

/// Typed, non-variadic wrappers around libcurl: Swift cannot call C variadic functions such as
/// `curl_easy_setopt` and `curl_easy_getinfo`. Each wrapper passes its argument through unchanged;
/// integer options are always passed as `long`, which is what libcurl reads with `va_arg`.

/// Initialises libcurl once for the process; safe to call more than once (later calls do nothing).
/// Before `curl_global_init` it tells OpenSSL, when it is loaded, not to register its exit handler,
/// which otherwise frees state that curl handles still owned by Swift objects use at exit.
CURLcode ccurl_global_init(void);

CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);

/// The shape of `CURLOPT_WRITEFUNCTION` and `CURLOPT_HEADERFUNCTION` callbacks.
typedef size_t (*ccurl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
CURLcode ccurl_easy_setopt_write_function(CURL *handle, ccurl_data_callback callback);
CURLcode ccurl_easy_setopt_header_function(CURL *handle, ccurl_data_callback callback);

CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *out);
CURLcode ccurl_easy_getinfo_string(CURL *handle, CURLINFO info, const char **out);

#endif
