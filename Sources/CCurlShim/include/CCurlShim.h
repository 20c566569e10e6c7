#ifndef CCURLSHIM_H
#define CCURLSHIM_H

#include <curl/curl.h>

/// libcurl for Swift, loaded the first time an HTTP client starts rather than when the process starts.
///
/// libcurl brings some twenty libraries of its own (GnuTLS, LDAP, Kerberos, SSH, IDN...); linked, the dynamic
/// loader maps and binds them in every tollgate process, 3 ms a start, though most commands never make an HTTP
/// request. Here only its header is used at build time; `ccurl_global_init` opens `libcurl.so.4` (the soname of
/// every libcurl since 7.16) and finds its functions, and every other function below calls through them.
///
/// The wrappers are also typed and non-variadic: Swift cannot call C variadic functions such as
/// `curl_easy_setopt` and `curl_easy_getinfo`. Each passes its argument through unchanged; integer options are
/// always passed as `long`, which is what libcurl reads with `va_arg`.

/// Loads and initialises libcurl once for the process; safe to call more than once (later calls do nothing).
///
/// Before `curl_global_init` it tells OpenSSL, when it is loaded, not to register its exit handler, which otherwise
/// frees state that curl handles still owned by Swift objects use at exit. Returns `CURLE_FAILED_INIT` when the
/// library cannot be loaded (``ccurl_load_error`` says why). No other function may be called before this one
/// returned `CURLE_OK`.
CURLcode ccurl_global_init(void);

/// Why libcurl could not be loaded (the dynamic loader's message), or NULL when it was.
const char *ccurl_load_error(void);

CURL *ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *handle);
void ccurl_easy_reset(CURL *handle);
CURLcode ccurl_easy_perform(CURL *handle);
const char *ccurl_easy_strerror(CURLcode code);
struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *line);
void ccurl_slist_free_all(struct curl_slist *list);

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
