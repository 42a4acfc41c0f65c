// How a source's requests are made: URL templating and encoding, authentication per source
// kind (one table, used by the streams and --check alike), the fallback to deprecated paths,
// and what an answer means, returned as a typed outcome instead of thrown.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/http/http_client.hpp"
#include "daemon/sync/stream_spec.hpp"

namespace partnersync::sync {

using Params = std::vector<std::pair<std::string, std::string>>;

enum class FetchStatus {
  ok,
  not_found,             // 404 on the last path
  too_large,             // the body outgrew the request's limit
  forbidden,             // 403
  credentials_rejected,  // 401, or an error envelope with status 401
  cancelled,             // shutdown
  failed,                // anything else, after the client's retries
};

struct Fetched {
  FetchStatus status = FetchStatus::failed;
  http::Response response;     // FetchStatus::ok
  std::string url;             // the URL asked; LiveAgent's carries the API key: log it redacted
  std::string reason;          // one redacted line for every status but ok
  std::size_t path_index = 0;  // the endpoint path that answered
  int requests = 0;            // requests sent (paths tried, retries not counted)
};

class Requester {
 public:
  Requester(const config::Source& source, http::Client& client);

  // base_url + the path with {reseller}, {parent} and {key} percent-encoded, the query, and
  // the credentials when the kind passes them in the query.
  std::string url(std::string_view path_template, const Params& params,
                  std::string_view key = {}) const;

  // GETs endpoint.paths[first_path], then the deprecated paths after it on 404.
  // body_limit: 0 = http.max_body.
  boost::asio::awaitable<Fetched> get(const EndpointSpec& endpoint, std::size_t first_path,
                                      const Params& params, std::string_view key = {},
                                      std::size_t body_limit = 0);

  // An answer other than 401 came from upstream: the credentials are good.
  bool credentials_confirmed() const { return credentials_confirmed_; }

  // --check: is the API up, and are the credentials accepted? One line either way.
  boost::asio::awaitable<std::pair<bool, std::string>> check();

 private:
  http::Request request(std::string url) const;

  const config::Source& source_;
  http::Client& client_;
  bool credentials_confirmed_ = false;
};

// The message of a LiveAgent error envelope ({"response":{"errormessage":...}}) in a body.
std::string envelope_message(const std::string& body);

}  // namespace partnersync::sync
