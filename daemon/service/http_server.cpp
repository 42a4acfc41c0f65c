// Beast's advanced server example, cut down to what a status server needs: one coroutine per
// connection on the daemon's executor, each operation under a deadline, no request bodies.
#include "daemon/service/http_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace partnersync::service {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
// After an answer that ends the connection, unread request bytes are drained for this long at
// most, so that closing does not reset the connection before the client read the answer.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr std::size_t kLingerBytes = std::size_t{64} * 1024;
constexpr std::size_t kReadSize = 4096;  // what one read of a request header asks for
const auto& kHttpErrors = bhttp::make_error_code(bhttp::error::bad_method).category();

constexpr std::string_view kBusyAnswer =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Server: partnersync\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 21\r\n"
    "Retry-After: 1\r\n"
    "Connection: close\r\n"
    "\r\n"
    "too many connections\n";

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const auto host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// "host:port" or "[v6]:port" into its two parts.
std::pair<std::string, std::string> split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
    throw HttpServerError("server.listen \"" + listen + "\": expected host:port");
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.front() == '[') {
    if (host.back() != ']')
      throw HttpServerError("server.listen \"" + listen + "\": expected [ipv6]:port");
    host = host.substr(1, host.size() - 2);
  }
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoul(port) > 65535)
    throw HttpServerError("server.listen \"" + listen + "\": \"" + port + "\" is not a port");
  return {host, port};
}

}  // namespace

struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
};

struct HttpServer::Impl {
  Impl(const asio::any_io_executor& executor, HttpHandlers handlers, HttpServerOptions options)
      : executor(executor), acceptor(executor), handlers(std::move(handlers)), options(options) {}

  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  HttpHandlers handlers;
  HttpServerOptions options;
  std::unordered_set<Connection*> connections;
  bool started = false;
  bool stopped = false;
};

namespace {

using Response = bhttp::response<bhttp::string_body>;

Response make_response(unsigned status, unsigned version, const std::string& content_type,
                       std::string body) {
  Response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::server, "partnersync");
  res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  // The status page has inline styles and SVG only: nothing else may load or run.
  if (content_type.starts_with("text/html"))
    res.set("Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'none'");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response answer_request(const HttpHandlers& handlers, const bhttp::request<bhttp::empty_body>& req,
                        const bhttp::request_parser<bhttp::empty_body>& parser) {
  const unsigned version = req.version();
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    auto res = make_response(405, version, "text/plain; charset=utf-8",
                             "method not allowed: only GET and HEAD\n");
    res.set(bhttp::field::allow, "GET, HEAD");
    return res;
  }
  if (parser.chunked() || parser.content_length().value_or(0) > 0)
    return make_response(400, version, "text/plain; charset=utf-8",
                         "a request body is not accepted\n");

  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const std::function<HttpAnswer()>* handler = nullptr;
  if (path == "/healthz")
    handler = &handlers.healthz;
  else if (path == "/readyz")
    handler = &handlers.readyz;
  else if (path == "/metrics")
    handler = &handlers.metrics;
  else if (path == "/")
    handler = &handlers.status_page;
  if (handler == nullptr || !*handler)
    return make_response(404, version, "text/plain; charset=utf-8",
                         "not found: try /, /healthz, /readyz or /metrics\n");
  try {
    auto answer = (*handler)();
    return make_response(answer.status, version, answer.content_type, std::move(answer.body));
  } catch (const std::exception& e) {
    spdlog::error("HTTP {}: {}", path, e.what());
    return make_response(500, version, "text/plain; charset=utf-8", "internal error\n");
  }
}

// Ends a connection after an answer that said "Connection: close".
asio::awaitable<void> close_gracefully(Connection& conn) {
  beast::error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> sink(4096);
  std::size_t drained = 0;
  conn.stream.expires_after(kLingerTimeout);
  while (!ec && drained < kLingerBytes) {
    auto [read_ec, n] = co_await conn.stream.async_read_some(asio::buffer(sink), nothrow);
    ec = read_ec;
    drained += n;
  }
  conn.stream.close();
}

// Parses what `buffer` holds into `parser`: {} once the header is complete, need_more when the
// parser wants more bytes, another error for a malformed request. Beast 1.81's parser asks for
// more input when fewer than 8 bytes follow the target, even after the blank line that ends the
// header arrived ("GET / x\r\n\r\n"): waiting would be for bytes that never come, so such a
// request is `cut_short` (bad_version) at once.
beast::error_code parse_buffered(beast::flat_buffer& buffer,
                                 bhttp::request_parser<bhttp::empty_body>& parser,
                                 bool& cut_short) {
  beast::error_code ec;
  buffer.consume(parser.put(buffer.data(), ec));
  if (!ec && parser.is_header_done()) return ec;
  if (ec && ec != bhttp::error::need_more) return ec;
  // The parser looks for the blank line before it parses: once it was seen, "need more"
  // means a part of the request line or of a field ended too soon.
  const std::string_view unparsed(static_cast<const char*>(buffer.data().data()), buffer.size());
  if (ec && unparsed.find("\r\n\r\n") != std::string_view::npos) {
    cut_short = true;
    return bhttp::error::bad_version;
  }
  return bhttp::error::need_more;
}

// What a read that ended with the connection's end leaves: nothing (end_of_stream) or a
// partial request.
beast::error_code ended(const beast::flat_buffer& buffer,
                        const bhttp::request_parser<bhttp::empty_body>& parser) {
  if (!parser.got_some() && buffer.size() == 0) return bhttp::error::end_of_stream;
  return bhttp::error::partial_message;
}

// Reads one request header into `parser`, as bhttp::async_read_header does, but through
// parse_buffered (a request cut short is answered at once, not left to the read timeout).
asio::awaitable<beast::error_code> read_header(Connection& conn, beast::flat_buffer& buffer,
                                               bhttp::request_parser<bhttp::empty_body>& parser,
                                               bool& cut_short) {
  cut_short = false;
  for (;;) {
    if (buffer.size() > 0) {
      const beast::error_code ec = parse_buffered(buffer, parser, cut_short);
      if (ec != bhttp::error::need_more) co_return ec;
    }
    auto space = buffer.prepare(kReadSize);
    auto [read_ec, n] = co_await conn.stream.async_read_some(space, nothrow);
    buffer.commit(n);
    if (read_ec == asio::error::eof) co_return ended(buffer, parser);
    if (read_ec) co_return read_ec;
  }
}

// The answer to what read_header found, and whether the connection carries another request
// afterwards; no answer when there is nobody to answer (the client left, went quiet past the
// read timeout, or the socket failed).
struct Reply {
  std::optional<Response> response;
  bool reuse = false;
};

Reply reply_to(const HttpHandlers& handlers, const HttpServerOptions& options,
               beast::error_code read_ec, bool cut_short,
               const bhttp::request_parser<bhttp::empty_body>& parser) {
  std::optional<Response> res;
  if (cut_short) {
    res = make_response(400, 11, "text/plain; charset=utf-8",
                        "malformed request: the request line or a header field is cut short\n");
  } else if (read_ec == bhttp::error::header_limit) {
    res = make_response(
        431, 11, "text/plain; charset=utf-8",
        "request header over " + std::to_string(options.max_header_bytes) + " bytes\n");
  } else if (read_ec && read_ec.category() == kHttpErrors &&
             read_ec != bhttp::error::end_of_stream && read_ec != bhttp::error::partial_message) {
    res = make_response(400, 11, "text/plain; charset=utf-8",
                        "malformed request: " + read_ec.message() + "\n");
  } else if (read_ec) {
    return {};
  }
  const bool keep_alive = !res && parser.get().keep_alive();
  bool head = false;
  if (!res) {
    head = parser.get().method() == bhttp::verb::head;
    res = answer_request(handlers, parser.get(), parser);
    spdlog::debug("HTTP {} {} {}", std::string_view(parser.get().method_string()),
                  std::string_view(parser.get().target())
                      .substr(0, std::string_view(parser.get().target()).find('?')),
                  res->result_int());
  }
  // Nothing of the request body was read: the connection cannot carry another request.
  const bool reuse = keep_alive && res->result_int() < 400;
  res->keep_alive(reuse);
  if (head) {
    const auto length = res->body().size();
    res->body().clear();
    res->content_length(length);
  }
  return {std::move(res), reuse};
}

asio::awaitable<void> serve(std::shared_ptr<HttpServer::Impl> impl,
                            std::shared_ptr<Connection> conn) {
  impl->connections.insert(conn.get());
  struct Unregister {
    HttpServer::Impl& impl;
    Connection* conn;
    ~Unregister() { impl.connections.erase(conn); }
  } unregister{*impl, conn.get()};

  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(impl->options.max_header_bytes));
    conn->stream.expires_after(impl->options.read_timeout);
    bool cut_short = false;
    const auto read_ec = co_await read_header(*conn, buffer, parser, cut_short);
    if (impl->stopped) co_return;
    auto [res, reuse] = reply_to(impl->handlers, impl->options, read_ec, cut_short, parser);
    if (!res) {
      conn->stream.close();
      co_return;
    }
    conn->stream.expires_after(impl->options.write_timeout);
    auto [write_ec, write_n] = co_await bhttp::async_write(conn->stream, *res, nothrow);
    if (impl->stopped) co_return;
    if (write_ec) {
      conn->stream.close();
      co_return;
    }
    if (!reuse) {
      co_await close_gracefully(*conn);
      co_return;
    }
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<HttpServer::Impl> impl) {
  for (;;) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(nothrow);
    if (impl->stopped) co_return;
    if (ec) {
      // Out of descriptors or memory: wait a little instead of spinning on the error.
      spdlog::warn("HTTP accept on {}: {}", endpoint_text(impl->acceptor.local_endpoint()),
                   ec.message());
      asio::steady_timer pause(impl->executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(nothrow);
      if (impl->stopped) co_return;
      continue;
    }
    if (impl->connections.size() >= impl->options.max_connections) {
      // Answered without waiting: a fresh socket's send buffer takes these few bytes at once.
      beast::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kBusyAnswer), ignored);
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      continue;
    }
    auto conn = std::make_shared<Connection>(std::move(socket));
    asio::co_spawn(impl->executor, serve(impl, std::move(conn)), asio::detached);
  }
}

}  // namespace

HttpServer::HttpServer(const asio::any_io_executor& executor, const std::string& listen,
                       HttpHandlers handlers, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(executor, std::move(handlers), options)) {
  const auto [host, port] = split_listen(listen);
  tcp::resolver resolver(executor);
  beast::error_code ec;
  const auto results =
      resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) throw HttpServerError("server.listen \"" + listen + "\": " + ec.message());
  std::string last_error = "no address";
  for (const auto& entry : results) {
    auto& acceptor = impl_->acceptor;
    const auto endpoint = entry.endpoint();
    if (acceptor.is_open()) acceptor.close(ec);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      last_error = endpoint_text(endpoint) + ": " + ec.message();
      acceptor.close(ec);
      continue;
    }
    return;
  }
  throw HttpServerError("server.listen \"" + listen + "\": " + last_error);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  asio::co_spawn(impl_->executor, accept_loop(impl_), asio::detached);
}

void HttpServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  const std::vector<Connection*> open(impl_->connections.begin(), impl_->connections.end());
  for (auto* conn : open) conn->stream.close();
  // The callbacks may hold references to the engine: released now, never called again.
  impl_->handlers = {};
}

std::string HttpServer::local_address() const {
  beast::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? std::string() : endpoint_text(endpoint);
}

std::size_t HttpServer::open_connections() const { return impl_->connections.size(); }

std::string answer_raw_requests(std::string_view bytes, const HttpHandlers& handlers,
                                const HttpServerOptions& options, std::size_t read_size) {
  read_size = std::clamp<std::size_t>(read_size, 1, kReadSize);
  beast::flat_buffer buffer;
  std::string out;
  for (;;) {
    // serve()'s loop, with reads of at most read_size bytes from `bytes` for the socket's.
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    bool cut_short = false;
    beast::error_code read_ec;
    for (;;) {
      if (buffer.size() > 0) {
        read_ec = parse_buffered(buffer, parser, cut_short);
        if (read_ec != bhttp::error::need_more) break;
      }
      if (bytes.empty()) {
        read_ec = ended(buffer, parser);
        break;
      }
      const std::size_t n = std::min(read_size, bytes.size());
      buffer.commit(asio::buffer_copy(buffer.prepare(n), asio::buffer(bytes.data(), n)));
      bytes.remove_prefix(n);
    }
    auto [res, reuse] = reply_to(handlers, options, read_ec, cut_short, parser);
    if (!res) return out;
    std::ostringstream written;
    written << *res;
    out += written.str();
    if (!reuse) return out;
  }
}

}  // namespace partnersync::service
