// The async HTTP(S) client every connector fetches through: keep-alive per host, a bound on
// requests in flight, timeouts, retries with backoff, body limits. Beast lives in the .cpp.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace partnersync::http {

using Milliseconds = std::chrono::milliseconds;

struct ClientOptions {
  Milliseconds connect_timeout{10'000};
  Milliseconds request_timeout{30'000};  // whole request, headers to last body byte
  Milliseconds idle_timeout{15'000};     // no byte received for this long = stalled
  int retries = 5;                       // retries after the first attempt
  Milliseconds backoff_base{500};        // full jitter: sleep uniform(0, min(cap, base*2^n))
  Milliseconds backoff_cap{30'000};
  Milliseconds retry_after_cap{300'000};  // a Retry-After longer than this is capped
  std::string ca_file;                    // extra CA bundle on top of the system store
  std::size_t max_body_bytes = 32u << 20;
  int max_in_flight = 4;  // requests in flight through this client at most
  double rate_limit = 0;  // requests per second started at most; 0 = unlimited
  std::string user_agent = "partnersync/" PARTNERSYNC_VERSION;
  // Called on the client's executor after every attempt with the answer's status (0 when no
  // answer came), and before every retry's wait: the daemon's metrics.
  std::function<void(unsigned status)> on_attempt;
  std::function<void()> on_retry;
};

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string url;  // absolute http:// or https:// URL, query included
  std::vector<Header> headers;
  // A tighter body limit for this request (0 = ClientOptions::max_body_bytes). The sync
  // engine uses it to split a window as soon as its answer outgrows the window budget,
  // instead of reading it whole first.
  std::size_t max_body_bytes = 0;
};

struct Response {
  unsigned status = 0;
  // The body. Its capacity() is at least size() + 64 so simdjson can parse it in place.
  std::string body;
  std::vector<Header> headers;
  int attempts = 1;
  std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

enum class ErrorKind {
  invalid_url,     // not a parsable http(s) URL
  connect,         // resolve/connect failed
  tls,             // handshake, untrusted certificate, wrong hostname
  timeout,         // connect, whole-request or idle timeout
  protocol,        // malformed HTTP, connection closed mid-body
  body_too_large,  // body over max_body_bytes
  http_status,     // a non-2xx answer (after retries for 429 and 5xx)
  cancelled,       // the operation was cancelled (shutdown)
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::connect;
  unsigned status = 0;  // HTTP status for http_status, else 0
  int attempts = 0;     // attempts made, first one included
  std::string url;      // redacted
  std::string message;  // one line, redacted, names URL, status/cause and attempts
  std::string body;     // the body of an http_status answer (bounded by max_body_bytes)
};

using Result = boost::system::result<Response, Error>;

// Lets Result::value() throw (std::runtime_error carrying the redacted message) for callers
// that prefer exceptions; found by argument-dependent lookup.
[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& loc);

// Counts for metrics; read with relaxed loads.
struct ClientCounters {
  std::atomic<std::uint64_t> requests{0};  // attempts sent
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> failures{0};  // get() calls that returned an Error
  std::atomic<std::uint64_t> bytes_received{0};
};

// One Client per source (its limits are per source). It must outlive every get() it started.
class Client {
 public:
  Client(boost::asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET with retries on connect errors, timeouts, 429, 500, 502, 503, 504; 2xx is a Response,
  // anything else an Error. Safe to call from many coroutines on the client's executor.
  boost::asio::awaitable<Result> get(Request request);

  const ClientCounters& counters() const;

  // Closes the kept-alive connections (and frees their TLS state and buffers): for a caller
  // about to sleep longer than any server keeps an idle connection open.
  void close_idle();

  // Ends every get() in flight with ErrorKind::cancelled, and every later one at once: for
  // shutdown. Call it on the client's executor.
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace partnersync::http
