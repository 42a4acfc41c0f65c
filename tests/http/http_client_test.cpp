// The HTTP client against the API simulator over real loopback sockets: TLS verification,
// retries and their budget, Retry-After, timeouts, body limits, concurrency and redaction.
#include "daemon/http/http_client.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "tests/sim/simulator.hpp"

namespace partnersync::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using sim::Fault;
using sim::SimOptions;
using sim::Simulator;

constexpr const char* kStatusPath = "/v2/partners/status";
constexpr const char* kLicensesPath = "/v2/partners/affiliates/livechat/licenses";

std::vector<Header> bearer(const std::string& token = "sim-token") {
  return {Header{"Authorization", "Bearer " + token}};
}

// Fast retries so that retry tests take milliseconds, not seconds.
ClientOptions fast_options() {
  ClientOptions o;
  o.backoff_base = 1ms;
  o.backoff_cap = 10ms;
  o.connect_timeout = 5s;
  o.request_timeout = 20s;
  o.idle_timeout = 10s;
  return o;
}

Fault status_fault(unsigned status, int count, std::string path = kStatusPath) {
  Fault f;
  f.path = std::move(path);
  f.count = count;
  f.kind = Fault::Kind::status;
  f.status = status;
  return f;
}

class HttpClientTest : public ::testing::Test {
 protected:
  template <class T>
  T run(asio::awaitable<T> op) {
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(io_, std::move(op), [&](const std::exception_ptr& e, T value) {
      error = e;
      if (!e) out = std::move(value);
    });
    io_.restart();
    io_.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
  }

  Result get(Client& client, const std::string& url, std::vector<Header> headers = bearer()) {
    return run(client.get(Request{url, std::move(headers)}));
  }

  // Per-path view of the simulator log: each entry is one attempt that reached the server.
  static std::vector<sim::LoggedRequest> requests_to(const Simulator& s, const std::string& path) {
    std::vector<sim::LoggedRequest> out;
    for (auto& r : s.requests()) {
      if (r.path == path) out.push_back(r);
    }
    return out;
  }

  asio::io_context io_;
};

SimOptions tls_sim(bool wrong_host = false) {
  SimOptions o;
  o.tls = true;
  o.tls_wrong_host = wrong_host;
  return o;
}

// A loopback port nothing listens on: bound once to learn a free number, then released.
std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

TEST_F(HttpClientTest, PlainHttpGetReturnsBodyWithSimdjsonPadding) {
  Simulator s({});
  Client client(io_.get_executor(), fast_options());
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_FALSE(r->body.empty());
  EXPECT_GE(r->body.capacity(), r->body.size() + 64);
  EXPECT_FALSE(r->header("content-type").empty());
  EXPECT_EQ(client.counters().requests.load(), 1u);
  EXPECT_GT(client.counters().bytes_received.load(), 0u);
}

TEST_F(HttpClientTest, SequentialRequestsReuseOneKeepAliveConnection) {
  Simulator s({});
  Client client(io_.get_executor(), fast_options());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(get(client, s.base_url() + kStatusPath).has_value());
  auto log = s.requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].connection_id, log[1].connection_id);
  EXPECT_EQ(log[1].connection_id, log[2].connection_id);
}

TEST_F(HttpClientTest, CloseIdleMakesTheNextRequestConnectAgain) {
  Simulator s(tls_sim());
  auto options = fast_options();
  options.ca_file = s.ca_file();
  Client client(io_.get_executor(), options);
  ASSERT_TRUE(get(client, s.base_url() + kStatusPath).has_value());
  client.close_idle();
  ASSERT_TRUE(get(client, s.base_url() + kStatusPath).has_value());
  ASSERT_TRUE(get(client, s.base_url() + kStatusPath).has_value());
  auto log = s.requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_NE(log[0].connection_id, log[1].connection_id);  // closed, not kept
  EXPECT_EQ(log[1].connection_id, log[2].connection_id);  // and kept alive again after
}

TEST_F(HttpClientTest, ChunkedLargeBodyIsReadWhole) {
  SimOptions o;
  o.api.affiliate_licenses = 3000;
  Simulator s(o);
  Client client(io_.get_executor(), fast_options());
  auto r = get(client, s.base_url() + kLicensesPath + "?date_from=2000-01-01&date_to=2030-12-31");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GT(r->body.size(), 64u * 1024);
  EXPECT_EQ(r->body.back(), '}');
  EXPECT_GE(r->body.capacity(), r->body.size() + 64);
}

// One connection on a loopback port, answered with `response` written in the given pieces
// (so that the header, the body and chunk boundaries straddle the client's reads), then closed.
class RawServer {
 public:
  explicit RawServer(std::vector<std::string> pieces)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this, pieces = std::move(pieces)] {
          asio::ip::tcp::socket socket(io_);
          acceptor_.accept(socket);
          std::string request;
          std::array<char, 4096> buf{};
          while (request.find("\r\n\r\n") == std::string::npos)
            request.append(buf.data(), socket.read_some(asio::buffer(buf)));
          for (const auto& piece : pieces) {
            asio::write(socket, asio::buffer(piece));
            std::this_thread::sleep_for(2ms);
          }
          socket.shutdown(asio::ip::tcp::socket::shutdown_send);
        }) {}
  ~RawServer() { thread_.join(); }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/x";
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

// A body of `n` bytes that differ from one position to the next.
std::string patterned(std::size_t n) {
  std::string out(n, '\0');
  std::uint32_t x = 12345;
  for (auto& c : out) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>('a' + (x >> 16) % 26);
  }
  return out;
}

TEST_F(HttpClientTest, BodiesLongerThanOneReadArriveExactlyInEachFraming) {
  // 1 MiB + 3 bytes: several of the client's 256 KiB reads, never a whole number of them.
  const std::string body = patterned((std::size_t{1} << 20) + 3);
  auto options = fast_options();
  options.retries = 0;
  Client client(io_.get_executor(), options);

  {  // Content-Length, the header and the first body bytes in one write
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nConnection: close\r\n\r\n";
    RawServer server({head + body.substr(0, 100), body.substr(100, 300000), body.substr(300100)});
    auto r = get(client, server.url(), {});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_TRUE(r->body == body) << "Content-Length body differs, " << r->body.size() << " bytes";
    EXPECT_GE(r->body.capacity(), r->body.size() + 64);
  }
  {  // no length at all: the body ends where the server closes the connection
    RawServer server({"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", body.substr(0, 700000),
                      body.substr(700000)});
    auto r = get(client, server.url(), {});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_TRUE(r->body == body) << "close-delimited body differs, " << r->body.size() << " bytes";
  }
  {  // chunked, in chunks of odd sizes, with a chunk extension, split mid-chunk-header
    std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    for (std::size_t at = 0, size = 1; at < body.size(); at += size, size = size * 7 + 5) {
      const std::string part = body.substr(at, size);
      char length[32];
      std::snprintf(length, sizeof length, "%zx", part.size());
      wire += std::string(length) + (at == 0 ? ";ext=1" : "") + "\r\n" + part + "\r\n";
    }
    wire += "0\r\n\r\n";
    const std::size_t cut = wire.find("\r\n", wire.size() / 2) + 1;  // between '\r' and '\n'
    RawServer server({wire.substr(0, cut), wire.substr(cut)});
    auto r = get(client, server.url(), {});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_TRUE(r->body == body) << "chunked body differs, " << r->body.size() << " bytes";
  }
  {  // a Content-Length body cut short by the close is an error, not a short body
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nConnection: close\r\n\r\n";
    RawServer server({head + body.substr(0, 500000)});
    auto r = get(client, server.url(), {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::protocol) << r.error().message;
  }
}

TEST_F(HttpClientTest, HttpsWithCaFileSucceeds) {
  Simulator s(tls_sim());
  auto options = fast_options();
  options.ca_file = s.ca_file();
  Client client(io_.get_executor(), options);
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  // By name as well: SNI and DNS-name verification take the other path.
  auto by_name = get(client, "https://localhost:" + std::to_string(s.port()) + kStatusPath);
  ASSERT_TRUE(by_name.has_value()) << by_name.error().message;
}

// The simulator's CA as OpenSSL's hashed directory lookup expects it: DIR/<subject hash>.0.
void write_hashed_link(const std::string& ca_file, const std::filesystem::path& dir) {
  FILE* in = std::fopen(ca_file.c_str(), "r");
  ASSERT_NE(in, nullptr);
  X509* ca = PEM_read_X509(in, nullptr, nullptr, nullptr);
  std::fclose(in);
  ASSERT_NE(ca, nullptr);
  char name[16];
  std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(ca));
  X509_free(ca);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(ca_file, dir / name);
}

// Environment for one test (set, or unset with nullopt), put back afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_F(HttpClientTest, UnreadableCaFileIsAnErrorAtStartNotAtTheFirstRequest) {
  // The TLS context is otherwise made at the first https:// request; a configured ca_file
  // makes it at once, so a wrong path stops the daemon before any sync starts.
  auto options = fast_options();
  options.ca_file = "/nonexistent/partnersync-ca.pem";
  try {
    Client client(io_.get_executor(), options);
    FAIL() << "a client with an unreadable ca_file was created";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find("http.ca_file: cannot load /nonexistent/partnersync-ca.pem"),
        std::string::npos)
        << e.what();
  }
}

TEST_F(HttpClientTest, SystemStoreAsDirectoryOfHashedLinksIsTrusted) {
  // The system store is read through its directory (certificates loaded as needed): a CA
  // found only there verifies the server, with no ca_file.
  Simulator s(tls_sim());
  const auto dir =
      std::filesystem::path(::testing::TempDir()) / ("hashed-store-" + std::to_string(::getpid()));
  write_hashed_link(s.ca_file(), dir);
  ScopedEnv cert_dir("SSL_CERT_DIR", dir.string());
  ScopedEnv cert_file("SSL_CERT_FILE", std::nullopt);
  Client client(io_.get_executor(), fast_options());
  auto r = get(client, s.base_url() + kStatusPath);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
}

TEST_F(HttpClientTest, SystemStoreAsBundleFileIsTrusted) {
  // SSL_CERT_FILE names a bundle (the directory has no hashed links): the bundle is loaded.
  Simulator s(tls_sim());
  const auto empty =
      std::filesystem::path(::testing::TempDir()) / ("empty-store-" + std::to_string(::getpid()));
  std::filesystem::create_directories(empty);
  ScopedEnv cert_dir("SSL_CERT_DIR", empty.string());
  ScopedEnv cert_file("SSL_CERT_FILE", s.ca_file());
  Client client(io_.get_executor(), fast_options());
  auto r = get(client, s.base_url() + kStatusPath);
  std::filesystem::remove_all(empty);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
}

TEST_F(HttpClientTest, UntrustedCertificateIsRejectedWithoutRetry) {
  Simulator s(tls_sim());
  Client client(io_.get_executor(), fast_options());  // system store only: sim CA unknown
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::tls);
  EXPECT_EQ(r.error().attempts, 1);
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(s.base_url()), std::string::npos);
  EXPECT_TRUE(requests_to(s, kStatusPath).empty());
}

TEST_F(HttpClientTest, WrongHostnameIsRejectedEvenWithTrustedCa) {
  Simulator s(tls_sim(/*wrong_host=*/true));
  auto options = fast_options();
  options.ca_file = s.ca_file();
  Client client(io_.get_executor(), options);
  auto r = get(client, s.base_url() + kStatusPath);  // 127.0.0.1 is not in the certificate
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::tls);
  EXPECT_NE(r.error().message.find("mismatch"), std::string::npos) << r.error().message;
  EXPECT_TRUE(requests_to(s, kStatusPath).empty());
  // Same server, same CA, the name the certificate is for: accepted, so the refusal above
  // was about the name.
  auto ok = get(client, "https://localhost:" + std::to_string(s.port()) + kStatusPath);
  EXPECT_TRUE(ok.has_value()) << ok.error().message;
}

TEST_F(HttpClientTest, EachRetryableStatusIsRecoveredWithinBudget) {
  Simulator s({});
  auto options = fast_options();
  options.retries = 3;
  Client client(io_.get_executor(), options);
  for (unsigned status : {429u, 500u, 502u, 503u, 504u}) {
    s.clear_requests();
    s.add_fault(status_fault(status, 2));
    auto r = get(client, s.base_url() + kStatusPath);
    ASSERT_TRUE(r.has_value()) << status << ": " << r.error().message;
    EXPECT_EQ(r->attempts, 3) << status;
    EXPECT_EQ(requests_to(s, kStatusPath).size(), 3u) << status;
  }
  EXPECT_EQ(client.counters().retries.load(), 10u);
  EXPECT_EQ(client.counters().failures.load(), 0u);
}

TEST_F(HttpClientTest, ExhaustedRetriesReportStatusUrlAndAttempts) {
  Simulator s({});
  auto options = fast_options();
  options.retries = 2;
  Client client(io_.get_executor(), options);
  s.add_fault(status_fault(503, 10));
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::http_status);
  EXPECT_EQ(r.error().status, 503u);
  EXPECT_EQ(r.error().attempts, 3);
  EXPECT_EQ(r.error().message, "GET " + s.base_url() + kStatusPath + ": HTTP 503 after 3 attempts");
  EXPECT_FALSE(r.error().body.empty());
  EXPECT_EQ(requests_to(s, kStatusPath).size(), 3u);
  EXPECT_EQ(client.counters().failures.load(), 1u);
}

TEST_F(HttpClientTest, ConnectErrorIsRetriedThenReported) {
  auto options = fast_options();
  options.retries = 2;
  Client client(io_.get_executor(), options);
  auto r = get(client, "http://127.0.0.1:" + std::to_string(closed_port()) + kStatusPath);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::connect);
  EXPECT_EQ(r.error().attempts, 3);
  EXPECT_EQ(client.counters().retries.load(), 2u);
}

TEST_F(HttpClientTest, RetryAfterSecondsIsObeyed) {
  Simulator s({});
  Client client(io_.get_executor(), fast_options());
  auto fault = status_fault(429, 1);
  fault.retry_after = "1";
  s.add_fault(fault);
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  auto log = requests_to(s, kStatusPath);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_GE(log[1].received - log[0].received, 1000ms);
  EXPECT_LT(log[1].received - log[0].received, 10s);
}

TEST_F(HttpClientTest, RetryAfterHttpDateIsObeyed) {
  Simulator s({});
  Client client(io_.get_executor(), fast_options());
  const std::time_t until = std::time(nullptr) + 2;
  std::tm tm{};
  gmtime_r(&until, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  auto fault = status_fault(503, 1);
  fault.retry_after = date;
  s.add_fault(fault);
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GE(std::chrono::system_clock::now(), std::chrono::system_clock::from_time_t(until));
  EXPECT_EQ(requests_to(s, kStatusPath).size(), 2u);
}

TEST_F(HttpClientTest, LongRetryAfterIsCapped) {
  Simulator s({});
  auto options = fast_options();
  options.retry_after_cap = 100ms;
  Client client(io_.get_executor(), options);
  auto fault = status_fault(503, 1);
  fault.retry_after = "3600";
  s.add_fault(fault);
  const auto start = Clock::now();
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  // Capped, not ignored: the retry waited the cap, and not the hour asked for.
  EXPECT_GE(Clock::now() - start, 100ms);
  EXPECT_LT(Clock::now() - start, 30s);
}

TEST_F(HttpClientTest, StalledBodyTimesOut) {
  Simulator s({});
  auto options = fast_options();
  options.retries = 0;
  options.idle_timeout = 300ms;
  Client client(io_.get_executor(), options);
  Fault fault;
  fault.path = kStatusPath;
  fault.kind = Fault::Kind::stall_body;
  fault.delay = 5s;
  s.add_fault(fault);
  const auto start = Clock::now();
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::timeout);
  EXPECT_NE(r.error().message.find("timed out (idle 300ms) after 1 attempt"), std::string::npos)
      << r.error().message;
  EXPECT_GE(Clock::now() - start, 300ms);
  EXPECT_LT(Clock::now() - start, 4s);
}

TEST_F(HttpClientTest, StalledBodyIsRecoveredByRetry) {
  Simulator s({});
  auto options = fast_options();
  options.retries = 2;
  options.idle_timeout = 200ms;
  Client client(io_.get_executor(), options);
  Fault fault;
  fault.path = kStatusPath;
  fault.kind = Fault::Kind::stall_body;
  fault.delay = 3s;
  s.add_fault(fault);
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->attempts, 2);
}

TEST_F(HttpClientTest, SlowAnswerHitsWholeRequestTimeout) {
  Simulator s({});
  auto options = fast_options();
  options.retries = 0;
  options.request_timeout = 300ms;
  Client client(io_.get_executor(), options);
  Fault fault;
  fault.path = kStatusPath;
  fault.kind = Fault::Kind::delay;
  fault.delay = 3s;
  s.add_fault(fault);
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::timeout);
  EXPECT_NE(r.error().message.find("timed out (request 300ms)"), std::string::npos)
      << r.error().message;
}

TEST_F(HttpClientTest, ConnectionClosedMidBodyIsRetried) {
  Simulator s({});
  auto options = fast_options();
  options.retries = 1;
  Client client(io_.get_executor(), options);
  Fault fault;
  fault.path = kStatusPath;
  fault.kind = Fault::Kind::close_mid_body;
  s.add_fault(fault);
  auto r = get(client, s.base_url() + kStatusPath);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->attempts, 2);

  fault.count = 5;
  s.add_fault(fault);
  auto failed = get(client, s.base_url() + kStatusPath);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, ErrorKind::protocol);
  EXPECT_EQ(failed.error().attempts, 2);
}

TEST_F(HttpClientTest, OversizedBodyIsRefused) {
  SimOptions o;
  o.api.affiliate_licenses = 3000;
  Simulator s(o);
  auto options = fast_options();
  options.max_body_bytes = std::size_t{64} * 1024;
  Client client(io_.get_executor(), options);
  const std::string path = std::string(kLicensesPath) + "?date_from=2000-01-01&date_to=2030-12-31";
  auto r = get(client, s.base_url() + path);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::body_too_large);
  EXPECT_NE(r.error().message.find("body exceeds 65536 bytes after 1 attempt"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(requests_to(s, kLicensesPath).size(), 1u);
}

TEST_F(HttpClientTest, ClientErrorsAreNotRetried) {
  Simulator s({});
  auto options = fast_options();
  options.retries = 5;
  Client client(io_.get_executor(), options);
  for (unsigned status : {401u, 403u, 404u}) {
    s.clear_requests();
    s.clear_faults();
    s.add_fault(status_fault(status, 5));
    auto r = get(client, s.base_url() + kStatusPath);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::http_status);
    EXPECT_EQ(r.error().status, status);
    EXPECT_EQ(r.error().attempts, 1);
    EXPECT_EQ(requests_to(s, kStatusPath).size(), 1u) << status;
  }
  EXPECT_EQ(client.counters().retries.load(), 0u);
}

TEST_F(HttpClientTest, ConcurrencyLimitIsHeld) {
  Simulator s({});
  auto options = fast_options();
  options.max_in_flight = 3;
  Client client(io_.get_executor(), options);
  Fault slow;
  slow.kind = Fault::Kind::delay;
  slow.path = kStatusPath;
  slow.delay = 100ms;
  slow.count = 12;
  s.add_fault(slow);
  int ok = 0;
  for (int i = 0; i < 12; ++i) {
    asio::co_spawn(
        io_, client.get(Request{s.base_url() + kStatusPath, bearer()}),
        [&](const std::exception_ptr& e, const Result& r) { ok += (!e && r.has_value()); });
  }
  io_.run();
  EXPECT_EQ(ok, 12);
  EXPECT_LE(s.max_in_flight(), 3);
  EXPECT_GE(s.max_in_flight(), 2);  // the client did run requests side by side
  for (const auto& r : s.requests()) EXPECT_LE(r.in_flight_at_start, 3);
}

TEST_F(HttpClientTest, RateLimitSpacesRequestStarts) {
  Simulator s({});
  auto options = fast_options();
  options.rate_limit = 20;  // one start per 50 ms
  Client client(io_.get_executor(), options);
  const auto start = Clock::now();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(get(client, s.base_url() + kStatusPath).has_value());
  EXPECT_GE(Clock::now() - start, 200ms);
}

TEST_F(HttpClientTest, ServerClosedIdleConnectionIsReplacedWithoutRetry) {
  auto options = fast_options();
  options.retries = 0;
  Client client(io_.get_executor(), options);
  std::uint16_t port = 0;
  {
    Simulator first({});
    port = first.port();
    ASSERT_TRUE(get(client, first.base_url() + kStatusPath).has_value());
  }  // the server goes away, closing the connection the client keeps idle
  SimOptions again;
  again.port = port;
  Simulator second(again);
  auto r = get(client, second.base_url() + kStatusPath);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->attempts, 1);
  EXPECT_EQ(client.counters().retries.load(), 0u);
}

TEST_F(HttpClientTest, InvalidUrlFailsWithoutIo) {
  Client client(io_.get_executor(), fast_options());
  auto r = get(client, "ftp://127.0.0.1/x?apikey=abc");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::invalid_url);
  EXPECT_EQ(client.counters().requests.load(), 0u);
}

TEST(HttpResultTest, ValueOnErrorThrowsTheRedactedMessage) {
  Error e;
  e.message = "GET http://x/?apikey=***: HTTP 503 after 6 attempts";
  Result r(e);
  EXPECT_THROW(
      {
        try {
          (void)r.value();
        } catch (const std::runtime_error& ex) {
          EXPECT_EQ(std::string(ex.what()), e.message);
          throw;
        }
      },
      std::runtime_error);
}

// Collects every formatted line, unredacted by any sink, so only the client's own redaction
// stands between a secret and this vector.
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    lines_.emplace_back(buf.data(), buf.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

TEST_F(HttpClientTest, NoSecretInAnyLogLineOrError) {
  const std::string apikey = "SECRETAPIKEY4711";
  const std::string token = "SECRETBEARER0815";
  auto sink = std::make_shared<CaptureSink>();
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  std::vector<std::string> errors;
  {
    SimOptions o;
    o.api.apikey = apikey;
    o.api.token = token;
    Simulator s(o);
    Simulator tls(tls_sim());
    auto options = fast_options();
    options.retries = 2;
    options.idle_timeout = 200ms;
    Client client(io_.get_executor(), options);
    const std::string q = "?apikey=" + apikey;
    const auto headers = bearer(token);
    auto record = [&](const Result& r) {
      if (!r.has_value()) errors.push_back(r.error().message + " " + r.error().url);
    };
    record(get(client, s.base_url() + kStatusPath + q, headers));  // success
    s.add_fault(status_fault(503, 10));
    record(get(client, s.base_url() + kStatusPath + q, headers));  // retried, exhausted
    s.clear_faults();
    s.add_fault(status_fault(401, 1));
    record(get(client, s.base_url() + kStatusPath + q, headers));  // rejected
    Fault stall;
    stall.kind = Fault::Kind::stall_body;
    stall.delay = 2s;
    stall.count = 5;
    s.add_fault(stall);
    record(get(client, s.base_url() + kStatusPath + q, headers));  // timeouts
    s.clear_faults();
    record(get(client, "http://127.0.0.1:" + std::to_string(closed_port()) + "/x" + q, headers));
    record(get(client, tls.base_url() + kStatusPath + q, headers));  // untrusted certificate
    record(get(client, "http://203.0.113.1:99999/x" + q, headers));  // invalid URL
  }
  spdlog::set_default_logger(previous);

  const auto lines = sink->lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(errors.size(), 6u);
  bool saw_retry = false;
  for (const auto& line : lines) {
    EXPECT_EQ(line.find(apikey), std::string::npos) << line;
    EXPECT_EQ(line.find(token), std::string::npos) << line;
    if (line.find("attempt 1/3, retrying in") != std::string::npos) saw_retry = true;
  }
  EXPECT_TRUE(saw_retry) << "retry warnings should name attempt n/N and the wait";
  for (const auto& e : errors) {
    EXPECT_EQ(e.find(apikey), std::string::npos) << e;
    EXPECT_EQ(e.find(token), std::string::npos) << e;
    EXPECT_NE(e.find("apikey=***"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace partnersync::http
