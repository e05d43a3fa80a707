// Small HTTP client helpers (libcurl) for the InfluxDB tests: GET or POST on 127.0.0.1.
#pragma once

#include <curl/curl.h>

#include <string>

namespace meterlab::reader::test {

struct HttpResult {
  long status = 0;  // 0: no connection
  std::string body;
};

inline std::size_t http_collect(char* d, std::size_t s, std::size_t n, void* u) {
  static_cast<std::string*>(u)->append(d, s * n);
  return s * n;
}

// GET (post_body empty and !post) or POST to `url` on 127.0.0.1.
inline HttpResult http(const std::string& url, bool post = false,
                       const std::string& post_body = "") {
  HttpResult r;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &http_collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  if (post) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body.size()));
  }
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  return r;
}

inline std::string url_escape(const std::string& s) {
  CURL* c = curl_easy_init();
  char* e = curl_easy_escape(c, s.c_str(), static_cast<int>(s.size()));
  std::string out = e;
  curl_free(e);
  curl_easy_cleanup(c);
  return out;
}

}  // namespace meterlab::reader::test
