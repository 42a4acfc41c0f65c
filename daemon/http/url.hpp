// Splits the absolute http(s) URLs connectors pass to the Client into what a connection and a
// request line need; the pool key comes from here, so two spellings of one origin share it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace partnersync::http {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case, IPv6 literals without brackets
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" when the URL has no path; never a fragment

  bool tls() const { return scheme == "https"; }
  bool default_port() const { return port == (tls() ? 443 : 80); }
  // Host header value: host, bracketed when IPv6, with the port unless it is the default.
  std::string host_header() const;
  // Pool key: connections are reused only for the same scheme, host and port.
  std::string origin() const;
};

// nullopt for anything but an absolute http:// or https:// URL (RFC 3986, parsed by Boost.URL)
// with a host: a DNS name (letters, digits, '.', '-', '_'), IPv4 or [IPv6]; a port of 1-65535
// when one is written. Userinfo is refused because credentials travel in headers, never in the
// URL authority. A fragment is dropped: it never goes on the wire.
std::optional<Url> parse_url(std::string_view text);

// A configured base URL (sources[].base_url) that connectors append their paths and parameters
// to: what parse_url() accepts, without a query or a fragment. The one URL grammar for config
// and client, so a base URL the config accepts is one the client can request.
std::optional<Url> parse_base_url(std::string_view text);

// 127.0.0.0/8, ::1 and "localhost": hosts where plain HTTP is expected (simulator, tests).
bool is_loopback_host(std::string_view host);

// True when `host` is an IPv4 or IPv6 literal (SNI must not carry those, RFC 6066 section 3).
bool is_ip_literal(std::string_view host);

}  // namespace partnersync::http
