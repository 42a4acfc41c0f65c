// The HTTP client's engine: a keep-alive pool per origin, a slot channel bounding requests in
// flight, pacing, per-read deadlines and the retry loop. All Beast and OpenSSL code lives here.
#include "daemon/http/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include "daemon/http/gzip_body.hpp"
#include "daemon/http/retry_policy.hpp"
#include "daemon/http/url.hpp"
#include "daemon/obs/redact.hpp"

namespace partnersync::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Errors come back as values: a failed read is an outcome to classify, not an exception.
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kHeaderLimit = std::size_t{64} * 1024;
constexpr std::size_t kSimdjsonPadding = 64;
// What one socket read asks for. Every read is a syscall, a reactor round trip and a timer
// update; Beast's http::async_read_some asks for at most 64 KiB. With 256 KiB the 1M-row
// benchmark makes 2.4k reads instead of 7.6k (and 1.1k timer updates instead of 4.4k).
constexpr std::size_t kReadChunk = std::size_t{256} * 1024;
// A response's first read asks for this much: most answers (one record, one page of a small
// account) fit, and a connection's buffer grows to kReadChunk only for a body that needs more
// reads. An idle pooled connection keeps no buffer (put_idle): with 100 sources, 256 KiB per
// pooled connection was most of the daemon's memory after a pass (issue 16).
constexpr std::size_t kFirstRead = std::size_t{16} * 1024;
constexpr std::size_t kChunkedReserve = std::size_t{4} * 1024 * 1024;

std::string format_duration(Milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }
};

// Why one attempt did not produce an HTTP answer.
struct Failure {
  ErrorKind kind = ErrorKind::connect;
  std::string cause;
  bool retryable = false;
  // Failed before any response byte on a connection that may have been closed while idle.
  bool stale = false;
};

struct Attempt {
  std::optional<Failure> failure;
  Response response;
  bool keep_alive = false;
};

// Connection-level errors worth another attempt; malformed HTTP is not, the server would
// answer the same way again.
bool transient_io_error(const error_code& ec) {
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return true;
  // Anything else from Beast's HTTP category is a parse error.
  if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category()) return false;
  return true;
}

bool closed_by_peer(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

// Releases a request slot when an attempt ends, however it ends.
template <class Channel>
class SlotGuard {
 public:
  explicit SlotGuard(Channel* slots) : slots_(slots) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  ~SlotGuard() {
    if (slots_ != nullptr) slots_->try_receive([](error_code) {});
  }

 private:
  Channel* slots_;
};

}  // namespace

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_url:
      return "invalid_url";
    case ErrorKind::connect:
      return "connect";
    case ErrorKind::tls:
      return "tls";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::protocol:
      return "protocol";
    case ErrorKind::body_too_large:
      return "body_too_large";
    case ErrorKind::http_status:
      return "http_status";
    case ErrorKind::cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string Response::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

void throw_exception_from_error(const Error& error, const boost::source_location&) {
  throw std::runtime_error(error.message);
}

namespace {

// Beast's string_body, except that put() appends: string_body resizes (zero-filling the new
// bytes) and then copies over the zeros. A Content-Length body is reserved with simdjson's
// padding, so the parser gets it without a copy.
struct AppendedBody {
  using value_type = std::string;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, error_code& ec) {
      // The parser has checked the length against the body limit already.
      if (length) body_.reserve(static_cast<std::size_t>(*length) + kSimdjsonPadding);
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, error_code& ec) {
      std::size_t n = 0;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      ec = {};
      return n;
    }

    void finish(error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// The system CA store. Where OpenSSL's default certificate directory holds hashed links
// (Debian's /etc/ssl/certs, kept by ca-certificates), only that directory is registered: its
// certificates are read one at a time as a verification needs them. The default bundle file
// (~140 certificates, over 1 MiB once parsed and kept for the process's life) is loaded too
// only when SSL_CERT_FILE names one or no such directory exists.
void load_system_ca_store(ssl::context& context, error_code& ec) {
  const char* dir_env = std::getenv(X509_get_default_cert_dir_env());
  const std::string dirs = dir_env != nullptr ? dir_env : X509_get_default_cert_dir();
  bool hashed = false;
  std::error_code fs_error;
  const std::string first_dir = dirs.substr(0, dirs.find(':'));
  for (std::filesystem::directory_iterator it(first_dir, fs_error), end;
       !fs_error && it != end && !hashed; it.increment(fs_error)) {
    const std::string name = it->path().filename().string();
    hashed = name.size() == 10 && name.ends_with(".0") &&
             name.find_first_not_of("0123456789abcdef") == 8;
  }
  if (!hashed || std::getenv(X509_get_default_cert_file_env()) != nullptr) {
    context.set_default_verify_paths(ec);
    return;
  }
  for (std::size_t start = 0; start <= dirs.size();) {
    const auto colon = std::min(dirs.find(':', start), dirs.size());
    if (colon > start) context.add_verify_path(dirs.substr(start, colon - start), ec);
    if (ec) return;
    start = colon + 1;
  }
}

ssl::context make_tls_context(const std::string& ca_file) {
  ssl::context context{ssl::context::tls_client};
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  error_code ec;
  load_system_ca_store(context, ec);
  if (ec) spdlog::warn("http: cannot load the system CA store: {}", ec.message());
  if (!ca_file.empty()) {
    context.load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("http.ca_file: cannot load " + ca_file + ": " + ec.message());
  }
  context.set_verify_mode(ssl::verify_peer);
  return context;
}

// One TLS context per CA file for the whole process, shared by every source's client while
// any holds it: each context holds its own copy of the CA store and OpenSSL's state, which
// 100 sources in one daemon paid 100 times (many_sources_bench, issue 16).
std::shared_ptr<ssl::context> shared_tls_context(const std::string& ca_file) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ssl::context>> contexts;
  std::lock_guard lock(mutex);
  auto& slot = contexts[ca_file];
  if (auto existing = slot.lock()) return existing;
  auto made = std::make_shared<ssl::context>(make_tls_context(ca_file));
  slot = made;
  return made;
}

}  // namespace

struct Client::Impl {
  using SlotChannel = asio::experimental::concurrent_channel<void(error_code)>;

  asio::any_io_executor executor;
  ClientOptions options;
  RetryPolicy policy;
  // Made at the first https:// connection (or at once when http.ca_file is set, so a bad file
  // is a startup error): loading OpenSSL's providers and the system CA store costs ~3 MiB of
  // resident memory that a plain-http source never needs.
  std::shared_ptr<ssl::context> tls;
  std::once_flag tls_once;
  ClientCounters counters;
  // Holding a slot = one message in this bounded channel; a full channel makes senders
  // wait in FIFO order, which is the semaphore we need, and it is thread-safe.
  SlotChannel slots;

  std::mutex mutex;  // guards everything below
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::set<std::string> warned_plain_hosts;
  // The get() calls in flight, each with the signal that cancels it (cancel()); touched only
  // on the client's executor.
  std::list<asio::cancellation_signal*> in_flight;
  bool cancelled = false;
  Clock::time_point next_start{};
  std::mt19937_64 random_engine{std::random_device{}()};

  Impl(asio::any_io_executor ex, ClientOptions opts)
      : executor(std::move(ex)),
        options(std::move(opts)),
        policy(options.retries, options.backoff_base, options.backoff_cap, options.retry_after_cap),
        slots(executor, static_cast<std::size_t>(std::max(1, options.max_in_flight))) {
    if (!options.ca_file.empty()) tls_context();
  }

  ssl::context& tls_context() {
    std::call_once(tls_once, [this] { tls = shared_tls_context(options.ca_file); });
    return *tls;
  }

  ~Impl() {
    for (auto& [origin, connections] : idle) {
      for (auto& c : connections) c->close();
    }
  }

  double random_unit() {
    std::lock_guard lock(mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random_engine);
  }

  void warn_plain_once(const Url& url) {
    if (url.tls() || is_loopback_host(url.host)) return;
    std::lock_guard lock(mutex);
    if (warned_plain_hosts.insert(url.host).second) {
      spdlog::warn("http: plain http:// to {} - requests and credentials are not encrypted",
                   obs::redact(url.host));
    }
  }

  std::unique_ptr<Connection> take_idle(const std::string& origin) {
    std::lock_guard lock(mutex);
    auto it = idle.find(origin);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    return conn;
  }

  void put_idle(const std::string& origin, std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mutex);
    auto& list = idle[origin];
    // More idle connections than requests in flight could never be used at once.
    if (list.size() >= static_cast<std::size_t>(std::max(1, options.max_in_flight))) {
      conn->close();
      return;
    }
    // Nothing buffered between responses: give the read buffer back while idle.
    if (conn->buffer.size() == 0) conn->buffer.shrink_to_fit();
    list.push_back(std::move(conn));
  }

  // Token bucket of depth one: request starts are spaced 1/rate apart, reserved in order.
  asio::awaitable<bool> pace() {
    if (options.rate_limit <= 0) co_return true;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / options.rate_limit));
    Clock::time_point start;
    {
      std::lock_guard lock(mutex);
      const auto now = Clock::now();
      start = std::max(now, next_start);
      next_start = start + interval;
    }
    if (start <= Clock::now()) co_return true;
    asio::steady_timer timer(executor, start);
    auto [ec] = co_await timer.async_wait(nothrow);
    co_return !ec;
  }

  Failure tls_failure(const error_code& ec, SSL* native) {
    const long verify = SSL_get_verify_result(native);
    if (verify != X509_V_OK) {
      return Failure{ErrorKind::tls,
                     std::string("TLS: certificate verify failed (") +
                         X509_verify_cert_error_string(verify) + ")",
                     false};
    }
    return Failure{ErrorKind::tls, "TLS: " + ec.message(), false};
  }

  // Resolves, connects and (for https) handshakes within connect_timeout.
  asio::awaitable<std::pair<std::unique_ptr<Connection>, std::optional<Failure>>> connect(
      const Url& url) {
    using namespace asio::experimental::awaitable_operators;
    const auto deadline = Clock::now() + options.connect_timeout;
    const Failure timed_out{ErrorKind::timeout,
                            "timed out (connect " + format_duration(options.connect_timeout) + ")",
                            true};
    tcp::resolver resolver(executor);
    asio::steady_timer timer(executor, deadline);
    auto resolved = co_await (resolver.async_resolve(url.host, std::to_string(url.port), nothrow) ||
                              timer.async_wait(nothrow));
    if (resolved.index() == 1) {
      if (std::get<0>(std::get<1>(resolved)) == asio::error::operation_aborted)
        co_return std::pair{nullptr, Failure{ErrorKind::cancelled, "cancelled", false}};
      co_return std::pair{nullptr, timed_out};
    }
    auto [rec, endpoints] = std::get<0>(std::move(resolved));
    if (rec == asio::error::operation_aborted)
      co_return std::pair{nullptr, Failure{ErrorKind::cancelled, "cancelled", false}};
    if (rec) {
      co_return std::pair{nullptr, Failure{ErrorKind::connect, "resolve: " + rec.message(), true}};
    }

    auto conn = std::make_unique<Connection>();
    if (url.tls()) {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, tls_context());
      // SNI carries names only (RFC 6066 section 3), never an IP literal.
      if (!is_ip_literal(url.host) &&
          SSL_set_tlsext_host_name(conn->tls->native_handle(), url.host.c_str()) != 1) {
        co_return std::pair{nullptr, Failure{ErrorKind::tls, "TLS: cannot set SNI", false}};
      }
      conn->tls->set_verify_mode(ssl::verify_peer);
      // host_name_verification fails without saying why; record the reason so the error
      // names a hostname mismatch instead of a bare "certificate verify failed".
      conn->tls->set_verify_callback(
          [check = ssl::host_name_verification(url.host), ip = is_ip_literal(url.host)](
              bool preverified, ssl::verify_context& ctx) mutable {
            if (!preverified) return false;
            if (check(preverified, ctx)) return true;
            X509_STORE_CTX_set_error(ctx.native_handle(), ip ? X509_V_ERR_IP_ADDRESS_MISMATCH
                                                             : X509_V_ERR_HOSTNAME_MISMATCH);
            return false;
          });
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(executor);
    }

    auto& low = conn->lowest();
    low.expires_at(deadline);
    auto [cec, endpoint] = co_await low.async_connect(endpoints, nothrow);
    if (cec == beast::error::timeout) co_return std::pair{nullptr, timed_out};
    if (cec == asio::error::operation_aborted)
      co_return std::pair{nullptr, Failure{ErrorKind::cancelled, "cancelled", false}};
    if (cec)
      co_return std::pair{nullptr, Failure{ErrorKind::connect, "connect: " + cec.message(), true}};

    if (conn->tls) {
      low.expires_at(deadline);
      auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, nothrow);
      if (hec == beast::error::timeout) co_return std::pair{nullptr, timed_out};
      if (hec == asio::error::operation_aborted)
        co_return std::pair{nullptr, Failure{ErrorKind::cancelled, "cancelled", false}};
      if (hec) co_return std::pair{nullptr, tls_failure(hec, conn->tls->native_handle())};
    }
    low.expires_never();
    co_return std::pair{std::move(conn), std::nullopt};
  }

  // http::async_read_some with reads of kReadChunk: what the buffer holds goes to the parser
  // first; the socket is read only when the parser needs more. Returns the bytes read.
  template <class Stream, class Parser>
  static asio::awaitable<std::tuple<error_code, std::size_t>> read_some(Stream& stream,
                                                                        beast::flat_buffer& buffer,
                                                                        Parser& parser,
                                                                        std::size_t chunk) {
    error_code ec;
    if (buffer.size() > 0) {
      buffer.consume(parser.put(buffer.data(), ec));
      if (ec != bhttp::error::need_more) co_return std::tuple{ec, std::size_t{0}};
    }
    auto [rec, n] = co_await stream.async_read_some(buffer.prepare(chunk), nothrow);
    buffer.commit(n);
    if (rec == asio::error::eof) {
      // The end of a body delimited by the connection's close; before any byte, a stale
      // keep-alive connection (classify() tells them apart by got_some()).
      if (!parser.got_some()) co_return std::tuple{error_code(bhttp::error::end_of_stream), n};
      ec = {};
      parser.put_eof(ec);
      co_return std::tuple{ec, n};
    }
    if (rec) co_return std::tuple{rec, n};
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec == bhttp::error::need_more) ec = {};
    co_return std::tuple{ec, n};
  }

  // One request/response on an open connection. Every read gets the earlier of the idle
  // deadline and the whole-request deadline, so a server that stalls mid-body is caught.
  template <class Stream>
  asio::awaitable<Attempt> exchange(Stream& stream, Connection& conn, const Url& url,
                                    const Request& request) {
    Attempt out;
    const auto deadline = Clock::now() + options.request_timeout;
    auto& low = conn.lowest();

    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, url.target, 11};
    req.set(bhttp::field::host, url.host_header());
    req.set(bhttp::field::user_agent, options.user_agent);
    req.set(bhttp::field::accept_encoding, "gzip");
    for (const auto& h : request.headers) req.set(h.name, h.value);

    low.expires_at(deadline);
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    auto [wec, written] = co_await bhttp::async_write(stream, req, nothrow);
    if (wec) {
      out.failure = classify(wec, false, deadline);
      co_return out;
    }

    const std::size_t body_limit = request.max_body_bytes != 0
                                       ? std::min(request.max_body_bytes, options.max_body_bytes)
                                       : options.max_body_bytes;
    bhttp::response_parser<AppendedBody> parser;
    parser.body_limit(body_limit);
    parser.header_limit(kHeaderLimit);
    bool reserved = false;
    std::size_t chunk = kFirstRead;
    while (!parser.is_done()) {
      if (parser.is_header_done() && !reserved) {
        reserved = true;
        parser.eager(true);  // the body: everything buffered at once, not a chunk per put()
        // A chunked body has no length (AppendedBody reserves the others): reserving up to
        // the limit (at most kChunkedReserve) saves the string's doubling copies; pages never
        // written cost no memory.
        if (!parser.content_length() && parser.chunked())
          parser.get().body().reserve(std::min(body_limit, kChunkedReserve) + kSimdjsonPadding);
      }
      const auto now = Clock::now();
      if (now >= deadline) {
        out.failure =
            Failure{ErrorKind::timeout,
                    "timed out (request " + format_duration(options.request_timeout) + ")", true};
        co_return out;
      }
      const auto idle_end = now + options.idle_timeout;
      const bool idle_bound = idle_end < deadline;
      low.expires_at(idle_bound ? idle_end : deadline);
      auto [rec, n] = co_await read_some(stream, conn.buffer, parser, chunk);
      chunk = kReadChunk;
      counters.bytes_received.fetch_add(n, std::memory_order_relaxed);
      if (rec) {
        out.failure =
            classify(rec, parser.got_some(), idle_bound ? Clock::time_point::max() : deadline);
        if (out.failure->kind == ErrorKind::body_too_large)
          out.failure->cause = "body exceeds " + std::to_string(body_limit) + " bytes";
        co_return out;
      }
    }
    low.expires_never();

    auto& res = parser.get();
    out.keep_alive = res.keep_alive();
    out.response.status = res.result_int();
    for (const auto& field : res) {
      out.response.headers.push_back(
          Header{std::string(field.name_string()), std::string(field.value())});
    }
    out.response.body = std::move(res.body());
    if (iequals(out.response.header("Content-Encoding"), "gzip")) {
      switch (gunzip_body(out.response.body, body_limit)) {
        case GunzipStatus::ok:
          break;
        case GunzipStatus::too_large:
          out.failure = Failure{
              ErrorKind::body_too_large,
              "body exceeds " + std::to_string(body_limit) + " bytes (gzip-decoded)", false};
          co_return out;
        case GunzipStatus::truncated:
          out.failure = Failure{ErrorKind::protocol, "gzip body truncated", true};
          co_return out;
        case GunzipStatus::corrupt:
          out.failure = Failure{ErrorKind::protocol, "gzip body corrupt", false};
          co_return out;
      }
    }
    if (out.response.body.capacity() < out.response.body.size() + kSimdjsonPadding)
      out.response.body.reserve(out.response.body.size() + kSimdjsonPadding);
    co_return out;
  }

  // `request_deadline` is max() when the idle timer, not the request deadline, was armed.
  Failure classify(const error_code& ec, bool got_some, Clock::time_point request_deadline) {
    if (ec == beast::error::timeout) {
      if (request_deadline != Clock::time_point::max() && Clock::now() >= request_deadline) {
        return Failure{ErrorKind::timeout,
                       "timed out (request " + format_duration(options.request_timeout) + ")",
                       true};
      }
      return Failure{ErrorKind::timeout,
                     "timed out (idle " + format_duration(options.idle_timeout) + ")", true};
    }
    if (ec == asio::error::operation_aborted)
      return Failure{ErrorKind::cancelled, "cancelled", false};
    if (ec == bhttp::error::body_limit) {
      return Failure{ErrorKind::body_too_large,
                     "body exceeds " + std::to_string(options.max_body_bytes) + " bytes", false};
    }
    Failure f{ErrorKind::protocol, ec.message(), transient_io_error(ec)};
    if (ec == bhttp::error::partial_message || (got_some && closed_by_peer(ec)))
      f.cause = "connection closed mid-response (" + ec.message() + ")";
    f.stale = !got_some && closed_by_peer(ec);
    return f;
  }

  asio::awaitable<Attempt> attempt_once(const Url& url, const Request& request) {
    const std::string origin = url.origin();
    std::unique_ptr<Connection> conn = take_idle(origin);
    bool reused = conn != nullptr;
    for (;;) {
      if (!conn) {
        auto [fresh, failure] = co_await connect(url);
        if (failure) {
          Attempt out;
          out.failure = std::move(failure);
          co_return out;
        }
        conn = std::move(fresh);
      }
      // Two statements, not a conditional expression: GCC 12 miscompiles co_await inside ?:
      // (the temporary is destroyed twice).
      Attempt out;
      if (conn->tls) {
        out = co_await exchange(*conn->tls, *conn, url, request);
      } else {
        out = co_await exchange(*conn->plain, *conn, url, request);
      }
      if (out.failure && out.failure->stale && reused) {
        // The server closed the idle connection; that says nothing about this request, so
        // it goes out again at once on a new connection without using up a retry.
        spdlog::debug("GET {}: reused connection was closed by the server, reconnecting",
                      obs::redact(request.url));
        conn->close();
        conn.reset();
        reused = false;
        continue;
      }
      if (!out.failure && out.keep_alive) {
        put_idle(origin, std::move(conn));
      } else {
        conn->close();
      }
      co_return out;
    }
  }

  Error make_error(ErrorKind kind, unsigned status, int attempts, const std::string& shown,
                   const std::string& cause, std::string body = {}) {
    Error e;
    e.kind = kind;
    e.status = status;
    e.attempts = attempts;
    e.url = shown;
    // `shown` is redacted already; redacting it twice would eat the ':' after a masked value.
    e.message = "GET " + shown + ": " + obs::redact(cause);
    if (attempts > 0)
      e.message +=
          " after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    e.body = std::move(body);
    counters.failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("{}", e.message);
    return e;
  }

  asio::awaitable<Result> get(Request request) {
    // Cancelled operations answer operation_aborted as values, which become ErrorKind::cancelled.
    co_await asio::this_coro::throw_if_cancelled(false);
    const std::string shown = obs::redact(request.url);
    const auto url = parse_url(request.url);
    if (!url) {
      co_return make_error(ErrorKind::invalid_url, 0, 0, shown,
                           "not an absolute http:// or https:// URL");
    }
    warn_plain_once(*url);
    const int max_attempts = policy.max_attempts();
    for (int attempt = 1;; ++attempt) {
      const auto started = Clock::now();
      Attempt result;
      {
        auto [sec] = co_await slots.async_send(error_code{}, nothrow);
        if (sec) co_return make_error(ErrorKind::cancelled, 0, attempt - 1, shown, "cancelled");
        SlotGuard<SlotChannel> guard(&slots);
        if (!co_await pace())
          co_return make_error(ErrorKind::cancelled, 0, attempt - 1, shown, "cancelled");
        result = co_await attempt_once(*url, request);
      }
      const auto elapsed = std::chrono::duration_cast<Milliseconds>(Clock::now() - started).count();
      if (options.on_attempt) {
        const bool cancelled = result.failure && result.failure->kind == ErrorKind::cancelled;
        if (!cancelled) options.on_attempt(result.failure ? 0 : result.response.status);
      }

      ErrorKind kind = ErrorKind::http_status;
      std::string cause;
      bool retryable = false;
      std::optional<Milliseconds> retry_after;
      const unsigned status = result.failure ? 0 : result.response.status;
      if (result.failure) {
        kind = result.failure->kind;
        cause = result.failure->cause;
        retryable = result.failure->retryable;
        spdlog::debug("GET {} -> {} ({} ms, attempt {}/{})", shown, obs::redact(cause), elapsed,
                      attempt, max_attempts);
      } else {
        spdlog::debug("GET {} -> {} ({} bytes, {} ms, attempt {}/{})", shown, status,
                      result.response.body.size(), elapsed, attempt, max_attempts);
        if (status >= 200 && status < 300) {
          result.response.attempts = attempt;
          co_return std::move(result.response);
        }
        cause = "HTTP " + std::to_string(status);
        retryable = RetryPolicy::retryable_status(status);
        if (retryable) {
          const std::string value = result.response.header("Retry-After");
          if (!value.empty())
            retry_after = policy.retry_after(value, std::chrono::system_clock::now());
        }
      }

      if (kind == ErrorKind::cancelled || !retryable || attempt >= max_attempts) {
        co_return make_error(kind, status, attempt, shown, cause,
                             result.failure ? std::string{} : std::move(result.response.body));
      }
      const Milliseconds wait = policy.wait(attempt, retry_after, random_unit());
      spdlog::warn("GET {}: {} on attempt {}/{}, retrying in {} ms{}", shown, obs::redact(cause),
                   attempt, max_attempts, wait.count(), retry_after ? " (Retry-After)" : "");
      counters.retries.fetch_add(1, std::memory_order_relaxed);
      if (options.on_retry) options.on_retry();
      asio::steady_timer timer(executor, wait);
      auto [tec] = co_await timer.async_wait(nothrow);
      if (tec) co_return make_error(ErrorKind::cancelled, 0, attempt, shown, "cancelled");
    }
  }
};

Client::Client(boost::asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

Client::~Client() = default;

boost::asio::awaitable<Result> Client::get(Request request) {
  Impl& impl = *impl_;
  if (impl.cancelled) {
    co_return impl.make_error(ErrorKind::cancelled, 0, 0, obs::redact(request.url), "cancelled");
  }
  // Each get() runs as its own coroutine with a cancellation slot, so cancel() reaches the
  // operation it waits on, whichever it is: a slot, the pacing or backoff timer, a socket.
  asio::cancellation_signal signal;
  const auto entry = impl.in_flight.insert(impl.in_flight.end(), &signal);
  auto operation = asio::co_spawn(
      impl.executor, impl.get(std::move(request)),
      asio::bind_cancellation_slot(signal.slot(), asio::as_tuple(asio::use_awaitable)));
  auto [error, result] = co_await std::move(operation);
  impl.in_flight.erase(entry);
  if (error) std::rethrow_exception(error);
  co_return std::move(result);
}

void Client::cancel() {
  impl_->cancelled = true;
  for (auto* signal : impl_->in_flight) signal->emit(asio::cancellation_type::terminal);
}

const ClientCounters& Client::counters() const { return impl_->counters; }

void Client::close_idle() {
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  {
    std::lock_guard lock(impl_->mutex);
    idle.swap(impl_->idle);
  }
  for (auto& [origin, connections] : idle)
    for (auto& c : connections) c->close();
}

}  // namespace partnersync::http
