#ifndef NOX_CCURL_H
#define NOX_CCURL_H
// libcurl for Swift. curl_easy_setopt and curl_easy_getinfo are variadic C functions, which
// Swift cannot call, so each use is a typed wrapper here; everything else is libcurl's own API.
#include <curl/curl.h>

CURLcode nox_curl_setopt_long(CURL *curl, CURLoption option, long value);
CURLcode nox_curl_setopt_off(CURL *curl, CURLoption option, curl_off_t value);
CURLcode nox_curl_setopt_string(CURL *curl, CURLoption option, const char *value);
CURLcode nox_curl_setopt_pointer(CURL *curl, CURLoption option, void *value);
CURLcode nox_curl_setopt_write_function(CURL *curl, CURLoption option, curl_write_callback function);
CURLcode nox_curl_setopt_read_function(CURL *curl, curl_read_callback function);
CURLcode nox_curl_setopt_xferinfo_function(CURL *curl, curl_xferinfo_callback function);
CURLcode nox_curl_getinfo_long(CURL *curl, CURLINFO info, long *value);

#endif
