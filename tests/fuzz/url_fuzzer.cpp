// libFuzzer target: URLs through parse_url/parse_base_url (Boost.URL plus our rules) and
// redact(). An accepted URL is http(s) with a plain host and a port, its target starts with
// '/' and holds nothing a request line cannot carry, it reads back the same from its origin
// and target, a base URL is a URL, and a secret query parameter added to an accepted URL
// never survives redaction.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/http/url.hpp"
#include "daemon/obs/redact.hpp"

namespace {

using partnersync::http::Url;

constexpr std::string_view kSecret = "SECRETVALUE";

bool same(const Url& a, const Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port && a.target == b.target;
}

void check_url(const Url& url) {
  if (url.scheme != "http" && url.scheme != "https") __builtin_trap();
  if (url.host.empty() || url.port == 0) __builtin_trap();
  if (url.target.empty() || url.target.front() != '/') __builtin_trap();
  for (const unsigned char c : url.target)
    if (c <= ' ' || c == 0x7f || c == '#') __builtin_trap();  // nothing to split a request line
  for (const unsigned char c : url.host)
    if (c <= ' ' || c == 0x7f || c == '/' || c == '@' || c == '?' || c == '#') __builtin_trap();
  // What the client sends (scheme, Host header, target) names the same URL again.
  std::string again = url.scheme + "://" + url.host_header() + url.target;
  const auto reparsed = partnersync::http::parse_url(again);
  if (!reparsed || !same(*reparsed, url)) __builtin_trap();
  if (reparsed->origin() != url.origin()) __builtin_trap();
}

// `text` with `parameter` inserted as the first query parameter and appended as the last one.
void check_redaction(std::string_view text, const std::string& parameter) {
  const std::string url(text);
  const auto hash = url.find('#');
  const std::string before_fragment = url.substr(0, hash);
  const std::string fragment = hash == std::string::npos ? std::string() : url.substr(hash);
  const auto question = before_fragment.find('?');
  std::string first, last;
  if (question == std::string::npos) {
    first = before_fragment + "?" + parameter + fragment;
    last = first;
  } else {
    first = before_fragment.substr(0, question + 1) + parameter + "&" +
            before_fragment.substr(question + 1) + fragment;
    last = before_fragment + "&" + parameter + fragment;
  }
  for (const std::string& candidate : {first, last}) {
    if (!partnersync::http::parse_url(candidate)) continue;  // only what the client requests
    if (partnersync::obs::redact(candidate).find(kSecret) != std::string::npos) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto url = partnersync::http::parse_url(text);
  if (url) {
    check_url(*url);
    partnersync::http::is_loopback_host(url->host);
    partnersync::http::is_ip_literal(url->host);
  }
  const auto base = partnersync::http::parse_base_url(text);
  if (base) {
    check_url(*base);
    if (!url || !same(*url, *base)) __builtin_trap();  // a base URL is a URL
    if (base->target.find('?') != std::string::npos) __builtin_trap();
  }
  // The secret is added by check_redaction, never taken from the input (which may spell it).
  if (url && text.find(kSecret) == std::string_view::npos) {
    for (const char* key : {"apikey=", "APIKEY=", "api_key=", "access_token=", "token=",
                            "password=", "client_secret="})
      check_redaction(text, std::string(key) + std::string(kSecret));
  }
  // redact() takes any text, URLs or not: it must not crash on it.
  partnersync::obs::redact(text);
  return 0;
}
