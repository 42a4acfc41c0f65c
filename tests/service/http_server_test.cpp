// HttpServer on a real loopback socket, driven by a plain blocking client whose every read has
// a timeout: routes, methods, limits, timeouts, the connection limit and stop().
#include "daemon/service/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

namespace partnersync {
namespace {

using service::HttpAnswer;
using service::HttpHandlers;
using service::HttpServer;
using service::HttpServerOptions;
using namespace std::chrono_literals;

// A blocking TCP client; every receive gives up after `timeout` (then recv fails).
class Client {
 public:
  explicit Client(const std::string& address, std::chrono::milliseconds timeout = 5000ms) {
    const auto colon = address.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Everything until the server closes; `closed` false when the timeout came first.
  std::string read_until_closed(bool* closed = nullptr) {
    std::string all;
    char buf[8192];
    for (;;) {
      const auto n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = n == 0 || errno == ECONNRESET;
        return all;
      }
      all.append(buf, static_cast<std::size_t>(n));
    }
  }
  // One response of a kept-alive connection: headers plus Content-Length bytes.
  std::string read_response() {
    std::string all;
    char buf[8192];
    for (;;) {
      const auto end = all.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto cl = all.find("Content-Length: ");
        const auto length = cl == std::string::npos ? 0 : std::stoul(all.substr(cl + 16));
        if (all.size() >= end + 4 + length) return all;
      }
      const auto n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return all;
      all.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

unsigned status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return static_cast<unsigned>(std::stoul(response.substr(9, 3)));
}

std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}, HttpHandlers handlers = default_handlers()) {
    server_ = std::make_unique<HttpServer>(io_.get_executor(), "127.0.0.1:0", std::move(handlers),
                                           options);
    server_->start();
    address_ = server_->local_address();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) on_loop([this] { server_.reset(); });
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }
  static HttpHandlers default_handlers() {
    HttpHandlers h;
    h.healthz = [] { return HttpAnswer{200, "text/plain; charset=utf-8", "ok\n"}; };
    h.readyz = [] {
      return HttpAnswer{503, "text/plain; charset=utf-8", "acme/earnings: 4 intervals behind\n"};
    };
    h.metrics = [] {
      return HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8", "up 1\n"};
    };
    h.status_page = [] { return HttpAnswer{200, "text/html; charset=utf-8", "<p>page</p>"}; };
    return h;
  }
  // Runs `f` on the server's loop and waits for it (the server is not thread-safe).
  template <class F>
  void on_loop(F f) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      f();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  }
  std::size_t open_connections() {
    std::size_t n = 0;
    on_loop([&] { n = server_->open_connections(); });
    return n;
  }
  // Polls (bounded) until the server has `n` connections open.
  bool wait_for_connections(std::size_t n) {
    for (int i = 0; i < 500; ++i) {
      if (open_connections() == n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  std::string request(const std::string& bytes) {
    Client client(address_);
    EXPECT_TRUE(client.connected());
    client.send(bytes);
    return client.read_until_closed();
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::unique_ptr<HttpServer> server_;
  std::string address_;
  std::thread thread_;
};

TEST_F(HttpServerTest, EachRouteAnswersFromItsHandler) {
  start();
  auto r = request(get("/healthz"));
  EXPECT_EQ(status_of(r), 200u);
  EXPECT_EQ(body_of(r), "ok\n");
  r = request(get("/readyz"));
  EXPECT_EQ(status_of(r), 503u);
  EXPECT_EQ(body_of(r), "acme/earnings: 4 intervals behind\n");
  r = request(get("/metrics?name[]=up"));
  EXPECT_EQ(status_of(r), 200u);
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_EQ(body_of(r), "up 1\n");
  r = request(get("/"));
  EXPECT_EQ(status_of(r), 200u);
  EXPECT_NE(r.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Security-Policy: default-src 'none'"), std::string::npos);
  EXPECT_EQ(body_of(r), "<p>page</p>");
}

TEST_F(HttpServerTest, HeadAnswersTheHeadersWithoutTheBody) {
  start();
  const auto r = request("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 200u);
  EXPECT_NE(r.find("Content-Length: 3\r\n"), std::string::npos) << r;
  EXPECT_EQ(body_of(r), "");
}

TEST_F(HttpServerTest, OtherMethodsAre405WithAllow) {
  start();
  for (const std::string method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    const auto r =
        request(method + " /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody");
    EXPECT_EQ(status_of(r), 405u) << method;
    EXPECT_NE(r.find("Allow: GET, HEAD\r\n"), std::string::npos) << r;
  }
}

TEST_F(HttpServerTest, UnknownPathsAre404AndNoFileIsServed) {
  start();
  for (const std::string path :
       {"/etc/passwd", "/../../etc/passwd", "/index.html", "/metrics/", "/healthz/x", "*"}) {
    EXPECT_EQ(status_of(request(get(path))), 404u) << path;
  }
}

TEST_F(HttpServerTest, HeaderOverTheLimitIs431) {
  HttpServerOptions options;
  options.max_header_bytes = 2048;
  start(options);
  auto with_filler = [](std::size_t n) {
    return "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Filler: " +
           std::string(n, 'a') + "\r\n\r\n";
  };
  EXPECT_EQ(status_of(request(with_filler(1500))), 200u);
  const auto r = request(with_filler(2500));
  EXPECT_EQ(status_of(r), 431u) << r.substr(0, 200);
}

TEST_F(HttpServerTest, MalformedRequestsAre400) {
  start();
  for (const std::string& bytes :
       {std::string("NOT HTTP AT ALL\r\n\r\n"), std::string("GET / HTTP/1.1\r\nHost x\r\n\r\n"),
        std::string("GET /\x01 HTTP/1.1\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")}) {
    const auto r = request(bytes);
    EXPECT_EQ(status_of(r), 400u) << bytes;
  }
}

// Beast's parser asks for more bytes when a request line ends too soon after the target, even
// with the whole header received; such a request is answered 400 at once, not after the
// read timeout with no answer (found by fuzzing the server).
TEST_F(HttpServerTest, CompleteHeaderWithAShortRequestLineIs400AtOnce) {
  HttpServerOptions options;
  options.read_timeout = 60s;  // far past the client's 3 s: only a prompt answer passes
  start(options);
  for (const std::string& bytes :
       {std::string("GET / x\r\n\r\n"), std::string("HEAD /healthz 1.1\r\n\r\n"),
        std::string("GET /metrics H/1\r\n\r\n")}) {
    Client client(address_, 3000ms);
    ASSERT_TRUE(client.connected());
    client.send(bytes);
    bool closed = false;
    const auto r = client.read_until_closed(&closed);
    EXPECT_EQ(status_of(r), 400u) << bytes;
    EXPECT_TRUE(closed) << bytes;
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  }
}

TEST_F(HttpServerTest, KeptAliveConnectionServesSeveralRequests) {
  start();
  Client client(address_);
  for (int i = 0; i < 3; ++i) {
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = client.read_response();
    EXPECT_EQ(status_of(r), 200u);
    EXPECT_EQ(body_of(r), "ok\n");
  }
}

TEST_F(HttpServerTest, SlowClientIsClosedAfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = 300ms;
  start(options);
  Client client(address_, 5000ms);  // the client would wait far longer than the server
  client.send("GET /healthz HTTP/1.1\r\nHost:");  // and never finishes the request
  bool closed = false;
  const auto r = client.read_until_closed(&closed);
  EXPECT_TRUE(closed) << "the server kept a stalled request open for 5 s";
  EXPECT_EQ(r, "");
  EXPECT_TRUE(wait_for_connections(0));
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitAre503UntilOneCloses) {
  HttpServerOptions options;
  options.max_connections = 2;
  start(options);
  auto first = std::make_unique<Client>(address_);
  Client second(address_);
  ASSERT_TRUE(wait_for_connections(2));
  {
    Client third(address_);
    bool closed = false;
    const auto r = third.read_until_closed(&closed);
    EXPECT_EQ(status_of(r), 503u) << r;
    EXPECT_TRUE(closed);
  }
  first.reset();
  ASSERT_TRUE(wait_for_connections(1));
  EXPECT_EQ(status_of(request(get("/healthz"))), 200u);
}

TEST_F(HttpServerTest, StopClosesTheListenerAndOpenConnections) {
  HttpServerOptions options;
  options.read_timeout = 60s;  // only stop() can end the idle connection within the test
  start(options);
  Client idle(address_, 5000ms);
  ASSERT_TRUE(wait_for_connections(1));
  on_loop([this] { server_->stop(); });
  bool closed = false;
  idle.read_until_closed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_FALSE(Client(address_).connected());
}

TEST_F(HttpServerTest, HandlerThatThrowsAnswers500) {
  auto handlers = default_handlers();
  handlers.metrics = []() -> HttpAnswer { throw std::runtime_error("database gone"); };
  start({}, handlers);
  const auto r = request(get("/metrics"));
  EXPECT_EQ(status_of(r), 500u);
  EXPECT_EQ(body_of(r), "internal error\n");
}

TEST_F(HttpServerTest, RawRequestsAreAnsweredAsOnASocket) {
  // answer_raw_requests, the fuzzer's way in, runs serve()'s code: the same bytes give the same
  // answers, whether they arrive at once or byte by byte.
  start();
  const std::string bytes =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET / x\r\n\r\n";
  Client client(address_);
  ASSERT_TRUE(client.connected());
  client.send(bytes);
  const std::string on_socket = client.read_until_closed();
  EXPECT_EQ(status_of(on_socket), 200u);
  EXPECT_NE(on_socket.find("HTTP/1.1 400 Bad Request"), std::string::npos) << on_socket;
  EXPECT_EQ(service::answer_raw_requests(bytes, default_handlers()), on_socket);
  EXPECT_EQ(service::answer_raw_requests(bytes, default_handlers(), {}, 1), on_socket);
}

TEST(HttpServerListen, BadAddressesAreOneClearError) {
  boost::asio::io_context io;
  auto error_of = [&](const std::string& listen) {
    try {
      HttpServer server(io.get_executor(), listen, {});
      return std::string("no error");
    } catch (const service::HttpServerError& e) {
      return std::string(e.what());
    }
  };
  EXPECT_EQ(error_of("127.0.0.1"), "server.listen \"127.0.0.1\": expected host:port");
  EXPECT_EQ(error_of("127.0.0.1:99999"),
            "server.listen \"127.0.0.1:99999\": \"99999\" is not a port");
  HttpServer taken(io.get_executor(), "127.0.0.1:0", {});
  const auto address = taken.local_address();
  EXPECT_NE(error_of(address).find("Address already in use"), std::string::npos)
      << error_of(address);
  EXPECT_EQ(HttpServer(io.get_executor(), "[::1]:0", {}).local_address().rfind("[::1]:", 0), 0u);
}

}  // namespace
}  // namespace partnersync
