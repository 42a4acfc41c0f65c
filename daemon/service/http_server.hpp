// The daemon's own small HTTP server (/healthz, /readyz, /metrics, "/") on its io_context:
// GET/HEAD only, bounded requests, connections and time; the answers come from HttpHandlers.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace partnersync::service {

struct HttpAnswer {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// One callback per route, called on the server's executor: each must be cheap (it shares the
// loop with the sync). An empty one answers 404; one that throws answers 500 (and is logged).
struct HttpHandlers {
  std::function<HttpAnswer()> healthz;      // GET /healthz
  std::function<HttpAnswer()> readyz;       // GET /readyz
  std::function<HttpAnswer()> metrics;      // GET /metrics
  std::function<HttpAnswer()> status_page;  // GET /
};

struct HttpServerOptions {
  std::size_t max_header_bytes = 8 * 1024;          // request line and headers; larger -> 431
  std::chrono::milliseconds read_timeout{10'000};   // for a whole request (or the next one)
  std::chrono::milliseconds write_timeout{10'000};  // for a whole answer
  std::size_t max_connections = 32;                 // more are answered 503 at once and closed
};

// server.listen cannot be used (unparsable, unresolvable, address in use): says which.
class HttpServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpServer {
 public:
  // Binds and listens on `listen` ("127.0.0.1:9187", "[::1]:9187", "localhost:0") at once,
  // so a bad address fails the start; accepting begins with start().
  HttpServer(const boost::asio::any_io_executor& executor, const std::string& listen,
             HttpHandlers handlers, HttpServerOptions options = {});
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();
  // Closes the listening socket and every connection; no handler is called afterwards.
  // Call it on the executor's thread (the daemon's signal handler runs there), not from
  // inside a handler. Idempotent. Destroy the server before its io_context.
  void stop();

  // The bound address as "host:port" (the real port when `listen` asked for port 0).
  std::string local_address() const;
  std::size_t open_connections() const;

  struct Impl;  // opaque: shared with the connections' coroutines, which may outlive *this

 private:
  std::shared_ptr<Impl> impl_;
};

// What serve() writes on a connection that receives `bytes` and then ends, without a socket:
// the same parsing, limits and routing, each request answered in turn while the connection
// would be kept, reads of at most `read_size` bytes (1 to 4096) as a socket may deliver them.
// For the fuzzer (tests/fuzz/http_server_fuzzer.cpp); timeouts and the connection limit are
// the socket's part and not covered.
std::string answer_raw_requests(std::string_view bytes, const HttpHandlers& handlers,
                                const HttpServerOptions& options = {},
                                std::size_t read_size = 4096);

}  // namespace partnersync::service
