// LiveChat authenticates with a bearer token (../shared/api-docs/001), LiveAgent with an
// `apikey` query parameter (../shared/api-docs/003): from the moment it is built, such a URL is
// a secret and is only ever shown through obs::redact.
#include "daemon/sync/requester.hpp"

#include <simdjson.h>

#include <array>

#include "daemon/obs/redact.hpp"

namespace partnersync::sync {
namespace {

enum class Auth { bearer_header, apikey_query };

// What differs between source kinds in how requests are made.
struct KindRequests {
  SourceKind kind;
  Auth auth;
  std::string_view status_path;  // an unauthenticated "is the API up" call, if there is one
  std::string_view check_path;   // a cheap authenticated read
  std::string_view check_what;   // what an accepted check_path answer says
  // 004 "Error messages formats": 400 is "athentification with API key failed".
  bool bad_request_is_credentials = false;
};

constexpr std::array<KindRequests, 3> kKinds{{
    {SourceKind::livechat_partner, Auth::bearer_header, "/v2/partners/status", "/v2/partners/stats",
     "token accepted", false},
    // LiveAgent documents no status call: the variations list is small and authenticated.
    {SourceKind::liveagent_reseller, Auth::apikey_query, "", "/api/resellers/{reseller}/variations",
     "API key accepted", false},
    // helpdesk.md "Source": --check reads application/status.
    {SourceKind::liveagent_helpdesk, Auth::apikey_query, "", "/api/application/status",
     "API key accepted", true},
}};

const KindRequests& requests_of(SourceKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k;
  return kKinds.front();
}

void append_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

}  // namespace

std::string envelope_message(const std::string& body) {
  if (body.empty()) return {};
  try {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(body);
    std::string_view message = doc["response"]["errormessage"];
    return std::string(message);
  } catch (const simdjson::simdjson_error&) {
    return {};
  }
}

Requester::Requester(const config::Source& source, http::Client& client)
    : source_(source), client_(client) {}

std::string Requester::url(std::string_view path_template, const Params& params,
                           std::string_view key) const {
  std::string path(path_template);
  auto replace = [&](std::string_view placeholder, std::string_view value) {
    for (auto pos = path.find(placeholder); pos != std::string::npos;
         pos = path.find(placeholder)) {
      std::string encoded;
      append_encoded(encoded, value);
      path.replace(pos, placeholder.size(), encoded);
    }
  };
  replace("{reseller}", source_.reseller);
  replace("{parent}", key);
  replace("{key}", key);
  std::string out = source_.base_url + path;
  char sep = '?';
  auto add = [&](std::string_view name, std::string_view value) {
    out.push_back(sep);
    sep = '&';
    out += name;
    out.push_back('=');
    append_encoded(out, value);
  };
  for (const auto& [name, value] : params) add(name, value);
  if (requests_of(source_.kind).auth == Auth::apikey_query) add("apikey", source_.secret);
  return out;
}

http::Request Requester::request(std::string url) const {
  http::Request r;
  r.url = std::move(url);
  r.headers.push_back({"Accept", "application/json"});
  if (requests_of(source_.kind).auth == Auth::bearer_header)
    r.headers.push_back({"Authorization", "Bearer " + source_.secret});
  return r;
}

boost::asio::awaitable<Fetched> Requester::get(const EndpointSpec& endpoint, std::size_t first_path,
                                               const Params& params, std::string_view key,
                                               std::size_t body_limit) {
  Fetched out;
  for (std::size_t i = first_path; i < endpoint.paths.size(); ++i) {
    out.url = url(endpoint.paths[i], params, key);
    out.path_index = i;
    http::Request req = request(out.url);
    req.max_body_bytes = body_limit;
    auto result = co_await client_.get(std::move(req));
    ++out.requests;
    const unsigned refused = requests_of(source_.kind).bad_request_is_credentials ? 400u : 401u;
    if (result || (result.error().kind == http::ErrorKind::http_status &&
                   result.error().status != 401 && result.error().status != refused))
      credentials_confirmed_ = true;
    if (result) {
      out.status = FetchStatus::ok;
      out.response = std::move(*result);
      co_return out;
    }
    const http::Error& error = result.error();
    const bool status = error.kind == http::ErrorKind::http_status;
    if (status && error.status == 404 && i + 1 < endpoint.paths.size()) continue;
    out.reason = error.message;
    const auto upstream = envelope_message(error.body);
    if (!upstream.empty()) out.reason += " (upstream: " + obs::redact(upstream) + ")";
    if (status && error.status == 404) {
      out.status = FetchStatus::not_found;
    } else if (status && (error.status == 401 || error.status == refused)) {
      out.status = FetchStatus::credentials_rejected;
    } else if (status && error.status == 403) {
      out.status = FetchStatus::forbidden;
    } else if (error.kind == http::ErrorKind::body_too_large) {
      out.status = FetchStatus::too_large;
    } else if (error.kind == http::ErrorKind::cancelled) {
      out.status = FetchStatus::cancelled;
    } else {
      out.status = FetchStatus::failed;
    }
    co_return out;
  }
  out.reason = "no path left to try";
  co_return out;
}

boost::asio::awaitable<std::pair<bool, std::string>> Requester::check() {
  const KindRequests& kind = requests_of(source_.kind);
  if (!kind.status_path.empty()) {
    http::Request status;
    status.url = source_.base_url + std::string(kind.status_path);
    auto up = co_await client_.get(std::move(status));
    if (!up) co_return std::pair{false, up.error().message};
  }
  const std::string checked = url(kind.check_path, {});
  http::Request read = request(checked);
  auto result = co_await client_.get(std::move(read));
  if (!result) co_return std::pair{false, result.error().message};
  std::string detail;
  if (!kind.status_path.empty()) detail = "API up (" + std::string(kind.status_path) + "), ";
  detail += std::string(kind.check_what) + " (HTTP " + std::to_string(result->status) + " from " +
            obs::redact(checked) + ")";
  co_return std::pair{true, detail};
}

}  // namespace partnersync::sync
