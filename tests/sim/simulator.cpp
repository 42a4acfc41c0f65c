// The simulator's HTTP(S) server: coroutine sessions in the style of Beast's
// server-flex-awaitable example, plus the fault queue and request log tests inspect.
#include "tests/sim/simulator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <map>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "daemon/obs/redact.hpp"
#include "tests/sim/control.hpp"
#include "tests/sim/tls_certificates.hpp"

#include <zlib.h>

namespace partnersync::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kBodyLimit = 1u << 20;  // control bodies are small; nothing else posts
constexpr std::uint32_t kHeaderLimit = 64u << 10;
constexpr auto kIoTimeout = std::chrono::seconds(30);
constexpr auto kShutdownTimeout = std::chrono::seconds(2);

// Accept-Encoding allows gzip: a "gzip" (or "x-gzip") coding whose q is not 0 (RFC 9110 12.5.3;
// "*" is not honoured, as a server may choose not to).
bool accepts_gzip(std::string_view header) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
      coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    if (!beast::iequals(coding, "gzip") && !beast::iequals(coding, "x-gzip")) continue;
    if (semi == std::string_view::npos) return true;
    std::string params(item.substr(semi + 1));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    // q=0, q=0.0, q=0.00, q=0.000 refuse it.
    const auto q = params.find("q=");
    if (q == std::string::npos) return true;
    const std::string value = params.substr(q + 2, params.find(';', q) - (q + 2));
    return value.find_first_not_of("0.") != std::string::npos;
  }
  return false;
}

std::string gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Malformed escapes are kept literally: the simulator answers what it got, it does not judge.
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void split_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query) {
  std::size_t mark = target.find('?');
  path = percent_decode(target.substr(0, mark), false);
  if (mark == std::string_view::npos) return;
  std::string_view rest = target.substr(mark + 1);
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      std::string_view name = pair.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      query.emplace_back(percent_decode(name, true), percent_decode(value, true));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
}

std::string fault_body(unsigned status) {
  return R"({"error":{"type":"simulated_fault","message":"injected HTTP )" +
         std::to_string(status) + R"("}})";
}

// Cutting a JSON object or array anywhere before its end leaves brackets unbalanced.
std::string break_json(const std::string& body) {
  if (body.size() < 2) return "{\"truncated\":";
  return body.substr(0, body.size() / 2);
}

const char* kind_name(Fault::Kind kind) {
  switch (kind) {
    case Fault::Kind::status: return "status";
    case Fault::Kind::delay: return "delay";
    case Fault::Kind::stall_body: return "stall_body";
    case Fault::Kind::close_mid_body: return "close_mid_body";
    case Fault::Kind::invalid_json: return "invalid_json";
    case Fault::Kind::body: return "body";
  }
  return "?";
}

std::string fault_name(const Fault& fault) {
  if (fault.kind == Fault::Kind::status) return "status " + std::to_string(fault.status);
  return kind_name(fault.kind);
}

// One draw of RandomFaults: the kinds its comment lists, uniformly.
Fault random_fault(const RandomFaults& options, std::string_view path, std::mt19937_64& random) {
  Fault fault;
  fault.path = std::string(path);
  switch (std::uniform_int_distribution<int>(0, 5)(random)) {
    case 0:
      fault.status = 429;
      fault.retry_after = options.retry_after;
      break;
    case 1: {
      constexpr unsigned kStatuses[] = {500, 502, 503};
      fault.status = kStatuses[std::uniform_int_distribution<int>(0, 2)(random)];
      break;
    }
    case 2: fault.kind = Fault::Kind::close_mid_body; break;
    case 3:
      fault.kind = Fault::Kind::stall_body;
      fault.delay = options.stall;
      break;
    case 4: fault.kind = Fault::Kind::invalid_json; break;
    default:
      if (path.starts_with("/api/")) {
        fault.kind = Fault::Kind::body;
        fault.body =
            R"({"response":{"status":"ERROR","statuscode":500,"errormessage":"simulated fault",)"
            R"("debugmessage":"random error envelope"}})";
      } else {
        fault.status = 400;
      }
  }
  return fault;
}

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "partnersync-sim-XXXXXX");
  if (!::mkdtemp(pattern.data()))
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  return pattern;
}

}  // namespace

struct Simulator::Impl {
  explicit Impl(SimOptions opts)
      : options(std::move(opts)),
        api(options.api),
        random_rate(options.random_faults.rate),
        random(options.random_faults.seed) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    // Here rather than in ~Simulator so a constructor that throws after setup_tls() cleans up.
    if (own_cert_dir) {
      std::error_code ignored;
      std::filesystem::remove_all(cert_dir, ignored);
    }
  }

  SimOptions options;
  api::Api api;
  Simulator* self = nullptr;

  mutable std::mutex mutex;  // guards everything down to in_flight
  std::deque<Fault> faults;
  double random_rate = 0;  // RandomFaults::rate, changed by set_random_fault_rate
  std::mt19937_64 random;
  std::vector<LoggedRequest> log;
  std::uint64_t log_generation = 0;  // bumped by clear_requests so stale slots are not updated
  int in_flight = 0;
  int max_in_flight = 0;

  std::atomic<std::uint64_t> next_connection_id{1};
  std::filesystem::path cert_dir;
  bool own_cert_dir = false;
  std::string ca_file;
  std::uint16_t port = 0;

  // Declared after everything coroutine frames touch: destroying the io_context destroys the
  // suspended sessions, whose guards still lock `mutex`.
  std::optional<ssl::context> tls;
  asio::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;

  // --gzip with --prerender: each prerendered body compressed once, keyed by the body object
  // (the weak pointer tells a reused address from the body it was made of).
  std::mutex gzip_mutex;
  std::map<const std::string*,
           std::pair<std::weak_ptr<const std::string>, std::shared_ptr<const std::string>>>
      gzip_cache;

  std::shared_ptr<const std::string> gzipped(const std::shared_ptr<const std::string>& body) {
    {
      std::lock_guard lock(gzip_mutex);
      auto it = gzip_cache.find(body.get());
      if (it != gzip_cache.end() && it->second.first.lock() == body) return it->second.second;
    }
    auto encoded = std::make_shared<const std::string>(gzip(*body));
    std::lock_guard lock(gzip_mutex);
    std::erase_if(gzip_cache, [](const auto& entry) { return entry.second.first.expired(); });
    gzip_cache[body.get()] = {body, encoded};
    return encoded;
  }

  struct Ticket {
    std::size_t index;
    std::uint64_t generation;
    std::optional<Fault> fault;
  };

  Ticket begin(const http::request<http::string_body>& req, const api::ApiRequest& api_request,
               std::uint64_t connection_id) {
    LoggedRequest entry;
    entry.method = api_request.method;
    entry.target = std::string(req.target());
    entry.path = api_request.path;
    entry.query = api_request.query;
    for (const auto& field : req)
      entry.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    entry.connection_id = connection_id;
    entry.received = std::chrono::steady_clock::now();

    std::lock_guard lock(mutex);
    entry.in_flight_at_start = ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    log.push_back(std::move(entry));
    Ticket ticket{log.size() - 1, log_generation, std::nullopt};
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (!it->path.empty() && it->path != api_request.path) continue;
      if (it->skip > 0) {
        --it->skip;
        break;
      }
      ticket.fault = *it;
      if (--it->count <= 0) faults.erase(it);
      break;
    }
    if (!ticket.fault && random_rate > 0 &&
        std::uniform_real_distribution<double>(0, 1)(random) < random_rate)
      ticket.fault = random_fault(options.random_faults, api_request.path, random);
    if (ticket.fault) log.back().fault = fault_name(*ticket.fault);
    return ticket;
  }

  void record_gzipped(const Ticket& ticket) {
    std::lock_guard lock(mutex);
    if (ticket.generation == log_generation && ticket.index < log.size())
      log[ticket.index].gzipped = true;
  }

  void record_status(const Ticket& ticket, unsigned status) {
    std::lock_guard lock(mutex);
    if (ticket.generation == log_generation && ticket.index < log.size())
      log[ticket.index].status = status;
  }

  // Counts a request as in flight until just before its last bytes are written, so a client
  // that starts its next request on receiving a whole answer never sees its old one counted.
  class InFlight {
   public:
    InFlight(Impl& impl, const Ticket& ticket)
        : impl_(&impl), index_(ticket.index), generation_(ticket.generation) {}
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    ~InFlight() { release(); }
    void release() {
      if (!impl_) return;
      const auto now = std::chrono::steady_clock::now();
      std::lock_guard lock(impl_->mutex);
      --impl_->in_flight;
      if (generation_ == impl_->log_generation && index_ < impl_->log.size())
        impl_->log[index_].answered = now;
      impl_ = nullptr;
    }

   private:
    Impl* impl_;
    std::size_t index_;
    std::uint64_t generation_;
  };

  template <class Stream>
  asio::awaitable<bool> write_string(Stream& stream, http::response<http::string_body>& res) {
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, res, kNoThrow);
    co_return !ec && res.keep_alive();
  }

  // Sends the header with the full Content-Length and the first half of the body; the caller
  // decides what happens to the second half.
  template <class Stream>
  asio::awaitable<bool> write_head_and_half(Stream& stream, http::response<http::empty_body>& head,
                                            const std::string& body) {
    head.content_length(body.size());
    http::response_serializer<http::empty_body> serializer(head);
    auto [ec, n] = co_await http::async_write_header(stream, serializer, kNoThrow);
    if (ec) co_return false;
    auto [ec2, n2] =
        co_await asio::async_write(stream, asio::buffer(body.data(), body.size() / 2), kNoThrow);
    co_return !ec2;
  }

  // Answers one request; returns whether the connection stays open for the next one.
  template <class Stream>
  asio::awaitable<bool> answer(Stream& stream, http::request<http::string_body>& req,
                               std::uint64_t connection_id, const asio::ip::address& peer) {
    api::ApiRequest api_request;
    api_request.method = std::string(req.method_string());
    split_target(req.target(), api_request.path, api_request.query);
    api_request.authorization = std::string(req[http::field::authorization]);
    const bool keep_alive = req.keep_alive();

    if (options.control && api_request.path.starts_with("/__")) {
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::server, "partnersync-sim");
      res.set(http::field::content_type, "application/json");
      res.keep_alive(keep_alive);
      std::optional<control::ControlResponse> answered;
      if (!peer.is_loopback()) {
        answered = control::ControlResponse{403, R"({"error":"control is loopback-only"})"};
      } else {
        answered = control::handle(*self, api_request.method, api_request.path, req.body());
      }
      if (answered) {
        res.result(answered->status);
        res.body() = std::move(answered->body);
        co_return co_await write_string(stream, res);
      }
    }

    Ticket ticket = begin(req, api_request, connection_id);
    InFlight in_flight(*this, ticket);
    const Fault::Kind kind = ticket.fault ? ticket.fault->kind : Fault::Kind::status;

    api::ApiResponse api_response;
    if (ticket.fault && kind == Fault::Kind::body) {
      api_response.status = 200;
      api_response.body = ticket.fault->body;
    } else if (ticket.fault && kind == Fault::Kind::status) {
      api_response.status = ticket.fault->status;
      api_response.body = fault_body(ticket.fault->status);
      if (!ticket.fault->retry_after.empty())
        api_response.headers.emplace_back("Retry-After", ticket.fault->retry_after);
    } else {
      if (ticket.fault && kind == Fault::Kind::delay) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(ticket.fault->delay);
        co_await timer.async_wait(kNoThrow);
      }
      api_response = api.handle(api_request);
    }
    record_status(ticket, api_response.status);
    spdlog::debug("sim: {} {} -> {} conn={}{}", api_request.method,
                  obs::redact(std::string(req.target())), api_response.status, connection_id,
                  ticket.fault ? " (fault)" : "");

    const bool body_fault =
        ticket.fault && (kind == Fault::Kind::stall_body || kind == Fault::Kind::close_mid_body ||
                         kind == Fault::Kind::invalid_json);
    if (api_response.stream && body_fault) {
      // Faults cut the body at a known point, so a streamed body is materialised first.
      std::string part;
      while (api_response.stream(part)) {
      }
      api_response.body += part;
      api_response.stream = nullptr;
    }
    if (ticket.fault && kind == Fault::Kind::invalid_json) {
      // A success status, so the client gets past its status handling into the JSON parser.
      api_response.status = 200;
      api_response.body = break_json(api_response.body);
      record_status(ticket, api_response.status);
    }

    http::response<http::empty_body> head{static_cast<http::status>(api_response.status),
                                          req.version()};
    head.set(http::field::server, "partnersync-sim");
    head.set(http::field::content_type, api_response.content_type);
    for (const auto& [name, value] : api_response.headers) head.set(name, value);
    head.keep_alive(keep_alive);

    if (body_fault && kind != Fault::Kind::invalid_json) {
      if (!co_await write_head_and_half(stream, head, api_response.body)) co_return false;
      if (kind == Fault::Kind::close_mid_body) {
        in_flight.release();
        beast::error_code ignored;
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(stream).close();
        co_return false;
      }
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(ticket.fault->delay);
      co_await timer.async_wait(kNoThrow);
      in_flight.release();
      const std::string& body = api_response.body;
      auto [ec, n] = co_await asio::async_write(
          stream, asio::buffer(body.data() + body.size() / 2, body.size() - body.size() / 2),
          kNoThrow);
      co_return !ec && keep_alive;
    }

    if (options.gzip && api_response.status == 200 &&
        accepts_gzip(req[http::field::accept_encoding])) {
      // The whole encoded body with its Content-Length, as servers that compress usually send.
      std::shared_ptr<const std::string> encoded;
      if (api_response.prerendered) {
        encoded = gzipped(api_response.prerendered);
      } else {
        std::string plain = std::move(api_response.body);
        if (api_response.stream)
          while (api_response.stream(plain)) {
          }
        encoded = std::make_shared<const std::string>(gzip(plain));
      }
      record_gzipped(ticket);
      head.set(http::field::content_encoding, "gzip");
      head.set(http::field::vary, "Accept-Encoding");
      head.content_length(encoded->size());
      http::response_serializer<http::empty_body> serializer(head);
      auto [ec, n] = co_await http::async_write_header(stream, serializer, kNoThrow);
      if (ec) co_return false;
      in_flight.release();
      auto [ec2, n2] =
          co_await asio::async_write(stream, asio::buffer(*encoded), kNoThrow);
      co_return !ec2 && keep_alive;
    }

    if (api_response.stream) {
      head.chunked(true);
      http::response_serializer<http::empty_body> serializer(head);
      auto [ec, n] = co_await http::async_write_header(stream, serializer, kNoThrow);
      if (ec) co_return false;
      std::string part;
      for (bool more = true; more;) {
        part.clear();
        more = api_response.stream(part);
        if (part.empty()) continue;
        auto [ec2, n2] =
            co_await asio::async_write(stream, http::make_chunk(asio::buffer(part)), kNoThrow);
        if (ec2) co_return false;
      }
      in_flight.release();
      auto [ec3, n3] = co_await asio::async_write(stream, http::make_chunk_last(), kNoThrow);
      co_return !ec3 && keep_alive;
    }

    http::response<http::string_body> res{std::move(head)};
    res.body() = std::move(api_response.body);
    in_flight.release();
    co_return co_await write_string(stream, res);
  }

  // Ends when the peer closes, times out or sends garbage, or an answer ends the connection
  // (close_mid_body closes the socket itself, so no orderly shutdown is owed then).
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, std::uint64_t connection_id, asio::ip::address peer) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(kBodyLimit);
      beast::get_lowest_layer(stream).expires_after(kIoTimeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
      if (ec) co_return;
      beast::get_lowest_layer(stream).expires_never();
      auto req = parser.release();
      if (!co_await answer(stream, req, connection_id, peer)) co_return;
    }
  }

  asio::awaitable<void> run_connection(tcp::socket socket) {
    const std::uint64_t connection_id = next_connection_id++;
    beast::error_code peer_ec;
    asio::ip::address peer = socket.remote_endpoint(peer_ec).address();
    beast::tcp_stream tcp_stream(std::move(socket));
    if (!tls) {
      co_await serve(tcp_stream, connection_id, peer);
      beast::error_code ignored;
      tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
    beast::get_lowest_layer(stream).expires_after(kIoTimeout);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
    if (ec) co_return;  // e.g. a client that rejected our certificate
    co_await serve(stream, connection_id, peer);
    if (beast::get_lowest_layer(stream).socket().is_open()) {
      beast::get_lowest_layer(stream).expires_after(kShutdownTimeout);
      co_await stream.async_shutdown(kNoThrow);
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(asio::make_strand(ioc), kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, run_connection(tcp::socket(std::move(socket))), asio::detached);
    }
  }

  void setup_tls() {
    TlsMaterial material = make_tls_material(options.tls_hostname, options.tls_wrong_host);
    cert_dir = options.cert_dir;
    if (cert_dir.empty()) {
      cert_dir = make_temp_dir();
      own_cert_dir = true;
    } else {
      std::filesystem::create_directories(cert_dir);
    }
    ca_file = (cert_dir / "ca.pem").string();
    std::ofstream out(ca_file, std::ios::binary | std::ios::trunc);
    out << material.ca_cert_pem;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + ca_file);

    tls.emplace(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls->use_certificate_chain(asio::buffer(material.server_cert_pem));
    tls->use_private_key(asio::buffer(material.server_key_pem), ssl::context::pem);
  }
};

Simulator::Simulator(SimOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl& impl = *impl_;
  impl.self = this;
  std::string host = impl.options.host == "localhost" ? "127.0.0.1" : impl.options.host;
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec || !address.is_loopback())
    throw std::invalid_argument("simulator listens on loopback only, not '" + impl.options.host +
                                "'");
  if (impl.options.threads < 1) throw std::invalid_argument("simulator needs at least one thread");
  if (impl.options.tls) impl.setup_tls();

  tcp::endpoint endpoint(address, impl.options.port);
  impl.acceptor.emplace(impl.ioc);
  impl.acceptor->open(endpoint.protocol());
  impl.acceptor->set_option(asio::socket_base::reuse_address(true));
  impl.acceptor->bind(endpoint);
  impl.acceptor->listen(asio::socket_base::max_listen_connections);
  impl.port = impl.acceptor->local_endpoint().port();

  asio::co_spawn(impl.ioc, impl.accept_loop(), asio::detached);
  for (int i = 0; i < impl.options.threads; ++i)
    impl.threads.emplace_back([&impl] { impl.ioc.run(); });
}

Simulator::~Simulator() {
  Impl& impl = *impl_;
  impl.ioc.stop();
  for (auto& thread : impl.threads) thread.join();
  impl.acceptor.reset();
  impl.threads.clear();
}

std::uint16_t Simulator::port() const { return impl_->port; }

std::string Simulator::base_url() const {
  std::string host = impl_->options.host == "localhost" ? "127.0.0.1" : impl_->options.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return (impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->port);
}

std::string Simulator::ca_file() const { return impl_->ca_file; }

void Simulator::add_fault(Fault fault) {
  if (fault.count <= 0) return;
  std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(std::move(fault));
}

void Simulator::set_random_fault_rate(double rate) {
  std::lock_guard lock(impl_->mutex);
  impl_->random_rate = rate;
}

void Simulator::clear_faults() {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.clear();
}

std::vector<LoggedRequest> Simulator::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

void Simulator::clear_requests() {
  std::lock_guard lock(impl_->mutex);
  impl_->log.clear();
  ++impl_->log_generation;
  impl_->max_in_flight = impl_->in_flight;
}

int Simulator::max_in_flight() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->max_in_flight;
}

api::Api& Simulator::api() { return impl_->api; }

}  // namespace partnersync::sim
