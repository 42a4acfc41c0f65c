// The upstream-API simulator: a loopback HTTP(S) server that answers through sim::api::Api and
// can inject faults, so tests, benchmarks and the quickstart exercise the real client.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/sim/api.hpp"

namespace partnersync::sim {

// One injected misbehaviour. Faults are consumed in the order added by the next `count`
// requests whose path matches.
struct Fault {
  enum class Kind { status, delay, stall_body, close_mid_body, invalid_json, body };
  std::string path;  // exact request path without query; "" = every path
  int count = 1;
  Kind kind = Kind::status;
  unsigned status = 503;
  std::string retry_after;  // Retry-After header value, "" = none
  // delay: before answering; stall_body: pause after the first half of the body.
  std::chrono::milliseconds delay{0};
  // body: answered with status 200 instead of what the API would answer (hostile values).
  std::string body;
};

struct LoggedRequest {
  std::string method, target, path;
  std::vector<std::pair<std::string, std::string>> query, headers;  // query percent-decoded
  unsigned status = 0;         // 0 while the answer is still being prepared
  bool gzipped = false;        // answered with Content-Encoding: gzip (SimOptions::gzip)
  int in_flight_at_start = 0;  // requests in flight when it arrived, itself included
  std::uint64_t connection_id = 0;
  std::chrono::steady_clock::time_point received;
  // When the answer's last bytes were handed to the socket; received while still answering.
  std::chrono::steady_clock::time_point answered;
};

struct SimOptions {
  std::string host = "127.0.0.1";  // loopback only; anything else throws
  std::uint16_t port = 0;          // 0 = ephemeral
  bool tls = false;
  // Name in the certificate's SAN besides 127.0.0.1 and ::1 (which tls_wrong_host leaves out).
  std::string tls_hostname = "localhost";
  bool tls_wrong_host = false;
  std::filesystem::path cert_dir;  // where ca.pem goes; a temporary directory when empty
  int threads = 2;
  // Answer with Content-Encoding: gzip when the request's Accept-Encoding allows it (--gzip).
  // Prerendered bodies are compressed once, so a benchmark measures the client's inflate only.
  bool gzip = false;
  api::ApiOptions api;
  // Serve /__faults, /__requests, /__mutate and /__stats to loopback peers (README.md).
  bool control = false;
};

class Simulator {
 public:
  // Returns once the server listens. Throws std::invalid_argument for a non-loopback host and
  // boost::system::system_error (a std::runtime_error) when binding fails.
  explicit Simulator(SimOptions options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http(s)://127.0.0.1:PORT"
  std::string ca_file() const;   // PEM of the CA that signed the server cert; "" without TLS

  void add_fault(Fault fault);
  void clear_faults();
  std::vector<LoggedRequest> requests() const;
  void clear_requests();      // also resets max_in_flight()
  int max_in_flight() const;  // most concurrent requests since clear_requests()
  api::Api& api();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace partnersync::sim
