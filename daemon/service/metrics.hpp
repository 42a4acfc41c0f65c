// The daemon's Prometheus metrics (names, types and labels of interface.md "HTTP endpoints"):
// event methods the engine calls where it writes sync.runs, and serialize() for /metrics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace partnersync::service {

enum class RunStatus { succeeded, failed, not_applicable };

std::string_view to_string(RunStatus status);

// Thread-safe: events may come from the io_context and the database thread alike.
class Metrics {
 public:
  explicit Metrics(std::string_view version = PARTNERSYNC_VERSION);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Creates a stream's counters at 0 (all statuses and outcomes) so that rate() and alerts
  // see the series before the first run ends. Idempotent; call at start and after a reload.
  void declare_stream(std::string_view source, std::string_view stream);
  void declare_source(std::string_view source);  // the http_* counters at 0

  // One finished stream run, from the place that writes its sync.runs row.
  // `finished_unix_time` becomes last_success when `status` is succeeded.
  void run_finished(std::string_view source, std::string_view stream, RunStatus status,
                    std::uint64_t inserted, std::uint64_t updated, std::uint64_t unchanged,
                    double duration_seconds, double finished_unix_time);
  // The end of a windowed stream's synced coverage (the last covered day's end, Unix time).
  void coverage_end(std::string_view source, std::string_view stream, double unix_time);
  // One upstream request answered with `status_code`, or 0 when no answer came.
  void http_request(std::string_view source, unsigned status_code);
  void http_retry(std::string_view source);
  void quarantined(std::string_view source, std::string_view stream);

  // The exposition format 0.0.4 text, process_* metrics read from /proc/self at this moment.
  std::string serialize();

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace partnersync::service
