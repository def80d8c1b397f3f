#include "CCurl.h"

CURLcode nox_curl_setopt_long(CURL *curl, CURLoption option, long value) { return curl_easy_setopt(curl, option, value); }
CURLcode nox_curl_setopt_off(CURL *curl, CURLoption option, curl_off_t value) { return curl_easy_setopt(curl, option, value); }
CURLcode nox_curl_setopt_string(CURL *curl, CURLoption option, const char *value) { return curl_easy_setopt(curl, option, value); }
CURLcode nox_curl_setopt_pointer(CURL *curl, CURLoption option, void *value) { return curl_easy_setopt(curl, option, value); }
// CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION share the write callback's signature.
CURLcode nox_curl_setopt_write_function(CURL *curl, CURLoption option, curl_write_callback function) {
    return curl_easy_setopt(curl, option, function);
}
CURLcode nox_curl_setopt_read_function(CURL *curl, curl_read_callback function) { return curl_easy_setopt(curl, CURLOPT_READFUNCTION, function); }
CURLcode nox_curl_setopt_xferinfo_function(CURL *curl, curl_xferinfo_callback function) {
    return curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, function);
}
CURLcode nox_curl_getinfo_long(CURL *curl, CURLINFO info, long *value) { return curl_easy_getinfo(curl, info, value); }
