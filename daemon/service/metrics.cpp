// prometheus-cpp's core registry holds every series and its TextSerializer writes the
// exposition format; this file only names the families and maps engine events onto them.
#include "daemon/service/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <mutex>
#include <sstream>

#include "daemon/service/process_stats.hpp"

namespace partnersync::service {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::succeeded:
      return "succeeded";
    case RunStatus::failed:
      return "failed";
    case RunStatus::not_applicable:
      return "not_applicable";
  }
  return "failed";
}

namespace {

constexpr RunStatus kStatuses[] = {RunStatus::succeeded, RunStatus::failed,
                                   RunStatus::not_applicable};
constexpr const char* kOutcomes[] = {"inserted", "updated", "unchanged"};
constexpr const char* kCodeClasses[] = {"2xx", "3xx", "4xx", "5xx", "error"};

// Runs last from well under a second (an unchanged incremental window) to hours (a first
// backfill of years).
const Histogram::BucketBoundaries kDurationBuckets = {0.1, 0.5, 1,   2.5, 5,    10,
                                                      30,  60,  300, 900, 3600, 10800};

std::string code_class(unsigned status) {
  if (status >= 200 && status < 600) return std::to_string(status / 100) + "xx";
  return "error";  // no answer (connect, TLS, timeout) or nothing HTTP knows
}

}  // namespace

struct Metrics::Impl {
  prometheus::Registry registry;
  Family<Gauge>& build_info = BuildGauge()
                                  .Name("partnersync_build_info")
                                  .Help("Always 1; the version of this partnersync binary.")
                                  .Register(registry);
  Family<Counter>& runs = BuildCounter()
                              .Name("partnersync_stream_runs_total")
                              .Help("Stream runs by outcome.")
                              .Register(registry);
  Family<Counter>& rows = BuildCounter()
                              .Name("partnersync_rows_total")
                              .Help("Rows received by what they did to the database.")
                              .Register(registry);
  Family<Gauge>& last_success = BuildGauge()
                                    .Name("partnersync_stream_last_success_timestamp_seconds")
                                    .Help("Unix time of the last successful run.")
                                    .Register(registry);
  Family<Gauge>& coverage_end = BuildGauge()
                                    .Name("partnersync_stream_coverage_end_timestamp_seconds")
                                    .Help("End of the synced coverage of a windowed stream.")
                                    .Register(registry);
  Family<Histogram>& duration = BuildHistogram()
                                    .Name("partnersync_stream_run_duration_seconds")
                                    .Help("Stream run durations.")
                                    .Register(registry);
  Family<Counter>& http_requests = BuildCounter()
                                       .Name("partnersync_http_requests_total")
                                       .Help("Upstream requests by status class.")
                                       .Register(registry);
  Family<Counter>& http_retries = BuildCounter()
                                      .Name("partnersync_http_retries_total")
                                      .Help("Retried upstream requests.")
                                      .Register(registry);
  Family<Counter>& quarantined = BuildCounter()
                                     .Name("partnersync_quarantined_bodies_total")
                                     .Help("Bodies put in sync.quarantine.")
                                     .Register(registry);

  Gauge& resident = BuildGauge()
                        .Name("process_resident_memory_bytes")
                        .Help("Resident memory size in bytes.")
                        .Register(registry)
                        .Add({});
  Gauge& virtual_memory = BuildGauge()
                              .Name("process_virtual_memory_bytes")
                              .Help("Virtual memory size in bytes.")
                              .Register(registry)
                              .Add({});
  Gauge& start_time = BuildGauge()
                          .Name("process_start_time_seconds")
                          .Help("Start time of the process since unix epoch in seconds.")
                          .Register(registry)
                          .Add({});
  Counter& cpu = BuildCounter()
                     .Name("process_cpu_seconds_total")
                     .Help("Total user and system CPU time spent in seconds.")
                     .Register(registry)
                     .Add({});
  Gauge& open_fds = BuildGauge()
                        .Name("process_open_fds")
                        .Help("Number of open file descriptors.")
                        .Register(registry)
                        .Add({});
  Gauge& max_fds = BuildGauge()
                       .Name("process_max_fds")
                       .Help("Maximum number of open file descriptors.")
                       .Register(registry)
                       .Add({});

  // Stands in for the start time when /proc/stat cannot be read: Metrics is built at start.
  double created_at = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()) /
                      1000;
  std::mutex process_mutex;  // the CPU counter moves by the difference since the last scrape
  double cpu_reported = 0;
};

Metrics::Metrics(std::string_view version) : impl_(std::make_unique<Impl>()) {
  impl_->build_info.Add({{"version", std::string(version)}}).Set(1);
}

Metrics::~Metrics() = default;

void Metrics::declare_stream(std::string_view source, std::string_view stream) {
  const std::string src(source), str(stream);
  for (const auto status : kStatuses)
    impl_->runs.Add({{"source", src}, {"stream", str}, {"status", std::string(to_string(status))}});
  for (const char* outcome : kOutcomes)
    impl_->rows.Add({{"source", src}, {"stream", str}, {"outcome", outcome}});
  impl_->duration.Add({{"source", src}, {"stream", str}}, kDurationBuckets);
  impl_->quarantined.Add({{"source", src}, {"stream", str}});
}

void Metrics::declare_source(std::string_view source) {
  const std::string src(source);
  for (const char* code : kCodeClasses) impl_->http_requests.Add({{"source", src}, {"code", code}});
  impl_->http_retries.Add({{"source", src}});
}

void Metrics::run_finished(std::string_view source, std::string_view stream, RunStatus status,
                           std::uint64_t inserted, std::uint64_t updated, std::uint64_t unchanged,
                           double duration_seconds, double finished_unix_time) {
  const std::string src(source), str(stream);
  impl_->runs.Add({{"source", src}, {"stream", str}, {"status", std::string(to_string(status))}})
      .Increment();
  const std::uint64_t counts[] = {inserted, updated, unchanged};
  for (int i = 0; i < 3; ++i)
    impl_->rows.Add({{"source", src}, {"stream", str}, {"outcome", kOutcomes[i]}})
        .Increment(static_cast<double>(counts[i]));
  impl_->duration.Add({{"source", src}, {"stream", str}}, kDurationBuckets)
      .Observe(duration_seconds);
  if (status == RunStatus::succeeded)
    impl_->last_success.Add({{"source", src}, {"stream", str}}).Set(finished_unix_time);
}

void Metrics::coverage_end(std::string_view source, std::string_view stream, double unix_time) {
  impl_->coverage_end.Add({{"source", std::string(source)}, {"stream", std::string(stream)}})
      .Set(unix_time);
}

void Metrics::http_request(std::string_view source, unsigned status_code) {
  impl_->http_requests.Add({{"source", std::string(source)}, {"code", code_class(status_code)}})
      .Increment();
}

void Metrics::http_retry(std::string_view source) {
  impl_->http_retries.Add({{"source", std::string(source)}}).Increment();
}

void Metrics::quarantined(std::string_view source, std::string_view stream) {
  impl_->quarantined.Add({{"source", std::string(source)}, {"stream", std::string(stream)}})
      .Increment();
}

std::string Metrics::serialize() {
  {
    const auto stats = read_process_stats();
    std::lock_guard lock(impl_->process_mutex);
    impl_->resident.Set(static_cast<double>(stats.resident_bytes));
    impl_->virtual_memory.Set(static_cast<double>(stats.virtual_bytes));
    impl_->start_time.Set(stats.start_time_seconds > 0 ? stats.start_time_seconds
                                                       : impl_->created_at);
    impl_->open_fds.Set(static_cast<double>(stats.open_fds));
    impl_->max_fds.Set(static_cast<double>(stats.max_fds));
    if (stats.cpu_seconds > impl_->cpu_reported) {
      impl_->cpu.Increment(stats.cpu_seconds - impl_->cpu_reported);
      impl_->cpu_reported = stats.cpu_seconds;
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, impl_->registry.Collect());
  return out.str();
}

}  // namespace partnersync::service
