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
  int skip = 0;  // the first `skip` requests it matches are answered normally
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
  // The fault it was answered with ("" = none): a Fault::Kind name, "status 503" for a status.
  std::string fault;
};

// Faults drawn at random (tests/soak, issue 15): a request that no queued fault matched is
// faulted with probability `rate`, its kind drawn uniformly from 429 with Retry-After, a 5xx
// (500, 502 or 503), a body cut by a closed socket, a body stalled for `stall`, invalid JSON, and
// an error envelope (LiveAgent's {"response":{"status":"ERROR"...}} with HTTP 200 under /api/,
// a 400 with an error body elsewhere: LiveChat has no 200 error envelope). Same seed, same draws
// for the same order of requests.
struct RandomFaults {
  double rate = 0;  // 0 = off
  std::uint64_t seed = 1;
  std::chrono::milliseconds stall{3000};
  std::string retry_after = "1";
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
  RandomFaults random_faults;
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
  // Changes RandomFaults::rate (0 stops random faults; the draws go on from where they were).
  void set_random_fault_rate(double rate);
  std::vector<LoggedRequest> requests() const;
  void clear_requests();      // also resets max_in_flight()
  int max_in_flight() const;  // most concurrent requests since clear_requests()
  api::Api& api();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace partnersync::sim
