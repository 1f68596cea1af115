#ifndef CCURL_H
#define CCURL_H

// Plain functions over libcurl for Swift: `curl_easy_setopt`, `curl_easy_getinfo`, `curl_multi_setopt` and
// `curl_share_setopt` are variadic, which Swift cannot call, and a few struct layouts (`struct curl_sockaddr`,
// the union in `CURLMsg`) are easier to read in C. The non-variadic curl API (curl_easy_init,
// curl_multi_add_handle, curl_multi_poll, curl_slist_append...) is used directly.

#include <curl/curl.h>
#include <stdint.h>

/// Calls `curl_global_init(CURL_GLOBAL_DEFAULT)` exactly once per process, whichever thread gets here first.
/// Returns that call's result on every call.
CURLcode ccurl_global_init(void);

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
/// libcurl copies string options, except CURLOPT_POSTFIELDS: use CURLOPT_COPYPOSTFIELDS with ccurl_setopt_pointer.
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);

CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
/// Shares `data` (CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION...) between the easy handles that use `share`.
CURLSHcode ccurl_share_data(CURLSH *share, curl_lock_data data);

/// The next finished transfer of `multi`: its easy handle and result. Returns 0 when none is left.
int ccurl_multi_next_done(CURLM *multi, CURL **easy, CURLcode *result);

CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);
/// The string stays owned by the handle; copy it before `curl_easy_cleanup`.
CURLcode ccurl_getinfo_string(CURL *handle, CURLINFO info, const char **value);

/// CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION: bytes received; return `size * count` to go on.
typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *userdata);
/// CURLOPT_XFERINFOFUNCTION: called at least once a second; return nonzero to abort the transfer.
typedef int (*ccurl_progress_callback)(void *userdata, curl_off_t download_total, curl_off_t download_now,
                                        curl_off_t upload_total, curl_off_t upload_now);
/// CURLOPT_OPENSOCKETFUNCTION: open a socket for `address` or refuse with CURL_SOCKET_BAD.
typedef curl_socket_t (*ccurl_opensocket_callback)(void *userdata, curlsocktype purpose,
                                                   struct curl_sockaddr *address);
/// CURLOPT_PREREQFUNCTION: a connection is established (or reused) and the request is about to go out.
typedef int (*ccurl_prereq_callback)(void *userdata, char *primary_ip, char *local_ip,
                                     int primary_port, int local_port);

CURLcode ccurl_set_write_callback(CURL *handle, ccurl_data_callback callback, void *userdata);
CURLcode ccurl_set_header_callback(CURL *handle, ccurl_data_callback callback, void *userdata);
/// Also turns progress reporting on (CURLOPT_NOPROGRESS 0), without which the callback is never called.
CURLcode ccurl_set_progress_callback(CURL *handle, ccurl_progress_callback callback, void *userdata);
CURLcode ccurl_set_opensocket_callback(CURL *handle, ccurl_opensocket_callback callback, void *userdata);
CURLcode ccurl_set_prereq_callback(CURL *handle, ccurl_prereq_callback callback, void *userdata);

/// Copies the IP address curl is about to dial into `out` (network byte order): returns 4 for IPv4,
/// 16 for IPv6, 0 for any other family.
int ccurl_sockaddr_ip(const struct curl_sockaddr *address, uint8_t out[16]);
/// What libcurl would do without an opensocket callback: `socket(family, socktype, protocol)`, close-on-exec.
curl_socket_t ccurl_open_socket(const struct curl_sockaddr *address);

#endif
