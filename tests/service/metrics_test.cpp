// Metrics serialized and read back by prometheus_client's parser: names, types, labels and
// values as interface.md lists them. process_stats parsing on its own.
#include "daemon/service/metrics.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <sstream>

#include "daemon/service/process_stats.hpp"
#include "tests/support/process.hpp"

namespace partnersync {
namespace {

using service::Metrics;
using service::RunStatus;

struct Parsed {
  std::map<std::string, std::string> types;  // family name -> type
  std::map<std::string, double> samples;     // name{k=v,...} -> value
};

Parsed parse_with_prometheus_client(const std::string& text) {
  const auto file = testing::write_temp_file("metrics.txt", text);
  const auto result = testing::run_process(
      {"/usr/bin/python3", testing::source_dir() + "/tests/service/metrics_families.py", file}, {},
      60);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  Parsed parsed;
  std::istringstream lines(result.out);
  std::string kind, name, value;
  while (lines >> kind >> name >> value) {
    if (kind == "family")
      parsed.types[name] = value;
    else
      parsed.samples[name] = std::stod(value);
  }
  return parsed;
}

TEST(Metrics, EventsAppearUnderTheNamesTypesAndLabelsOfTheContract) {
  Metrics metrics("9.8.7");
  metrics.declare_source("acme");
  metrics.declare_stream("acme", "earnings");
  metrics.declare_stream("acme", "affiliate_licenses");
  metrics.run_finished("acme", "earnings", RunStatus::succeeded, 5, 2, 40, 1.5, 1764620000);
  metrics.run_finished("acme", "earnings", RunStatus::succeeded, 1, 0, 46, 0.2, 1764620900);
  metrics.run_finished("acme", "affiliate_licenses", RunStatus::failed, 0, 0, 0, 31, 1764620100);
  metrics.run_finished("acme", "affiliate_licenses", RunStatus::not_applicable, 0, 0, 0, 0.05,
                       1764620200);
  metrics.coverage_end("acme", "earnings", 1764547200);
  metrics.http_request("acme", 200);
  metrics.http_request("acme", 204);
  metrics.http_request("acme", 429);
  metrics.http_request("acme", 503);
  metrics.http_request("acme", 0);
  metrics.http_retry("acme");
  metrics.http_retry("acme");
  metrics.quarantined("acme", "earnings");

  const auto p = parse_with_prometheus_client(metrics.serialize());
  // prometheus_client names a counter family without its _total suffix.
  EXPECT_EQ(p.types.at("partnersync_build_info"), "gauge");
  EXPECT_EQ(p.types.at("partnersync_stream_runs"), "counter");
  EXPECT_EQ(p.types.at("partnersync_rows"), "counter");
  EXPECT_EQ(p.types.at("partnersync_stream_last_success_timestamp_seconds"), "gauge");
  EXPECT_EQ(p.types.at("partnersync_stream_coverage_end_timestamp_seconds"), "gauge");
  EXPECT_EQ(p.types.at("partnersync_stream_run_duration_seconds"), "histogram");
  EXPECT_EQ(p.types.at("partnersync_http_requests"), "counter");
  EXPECT_EQ(p.types.at("partnersync_http_retries"), "counter");
  EXPECT_EQ(p.types.at("partnersync_quarantined_bodies"), "counter");

  const auto& s = p.samples;
  EXPECT_EQ(s.at("partnersync_build_info{version=9.8.7}"), 1);
  EXPECT_EQ(s.at("partnersync_stream_runs_total{source=acme,status=succeeded,stream=earnings}"), 2);
  EXPECT_EQ(s.at("partnersync_stream_runs_total{source=acme,status=failed,stream=earnings}"), 0);
  EXPECT_EQ(
      s.at("partnersync_stream_runs_total{source=acme,status=failed,stream=affiliate_licenses}"),
      1);
  EXPECT_EQ(s.at("partnersync_stream_runs_total{source=acme,status=not_applicable,stream="
                 "affiliate_licenses}"),
            1);
  EXPECT_EQ(s.at("partnersync_rows_total{outcome=inserted,source=acme,stream=earnings}"), 6);
  EXPECT_EQ(s.at("partnersync_rows_total{outcome=updated,source=acme,stream=earnings}"), 2);
  EXPECT_EQ(s.at("partnersync_rows_total{outcome=unchanged,source=acme,stream=earnings}"), 86);
  EXPECT_EQ(s.at("partnersync_stream_last_success_timestamp_seconds{source=acme,stream=earnings}"),
            1764620900);
  // Only a success sets it: the failed stream has none yet.
  EXPECT_EQ(s.count("partnersync_stream_last_success_timestamp_seconds{source=acme,stream="
                    "affiliate_licenses}"),
            0u);
  EXPECT_EQ(s.at("partnersync_stream_coverage_end_timestamp_seconds{source=acme,stream=earnings}"),
            1764547200);
  EXPECT_EQ(s.at("partnersync_stream_run_duration_seconds_count{source=acme,stream=earnings}"), 2);
  EXPECT_DOUBLE_EQ(s.at("partnersync_stream_run_duration_seconds_sum{source=acme,stream=earnings}"),
                   1.7);
  EXPECT_EQ(
      s.at("partnersync_stream_run_duration_seconds_bucket{le=0.5,source=acme,stream=earnings}"),
      1);
  EXPECT_EQ(
      s.at("partnersync_stream_run_duration_seconds_bucket{le=+Inf,source=acme,stream=earnings}"),
      2);
  EXPECT_EQ(s.at("partnersync_http_requests_total{code=2xx,source=acme}"), 2);
  EXPECT_EQ(s.at("partnersync_http_requests_total{code=3xx,source=acme}"), 0);
  EXPECT_EQ(s.at("partnersync_http_requests_total{code=4xx,source=acme}"), 1);
  EXPECT_EQ(s.at("partnersync_http_requests_total{code=5xx,source=acme}"), 1);
  EXPECT_EQ(s.at("partnersync_http_requests_total{code=error,source=acme}"), 1);
  EXPECT_EQ(s.at("partnersync_http_retries_total{source=acme}"), 2);
  EXPECT_EQ(s.at("partnersync_quarantined_bodies_total{source=acme,stream=earnings}"), 1);
  EXPECT_EQ(s.at("partnersync_quarantined_bodies_total{source=acme,stream=affiliate_licenses}"), 0);
}

TEST(Metrics, ProcessMetricsDescribeThisProcess) {
  Metrics metrics;
  const auto p = parse_with_prometheus_client(metrics.serialize());
  EXPECT_EQ(p.types.at("process_cpu_seconds"), "counter");
  EXPECT_EQ(p.types.at("process_resident_memory_bytes"), "gauge");
  EXPECT_EQ(p.types.at("process_start_time_seconds"), "gauge");
  EXPECT_EQ(p.types.at("process_open_fds"), "gauge");
  const auto& s = p.samples;
  EXPECT_GT(s.at("process_resident_memory_bytes{}"), 1 << 20);
  EXPECT_GE(s.at("process_cpu_seconds_total{}"), 0);
  const double now = static_cast<double>(std::time(nullptr));
  // Started before now and within the last hour (a test binary runs for seconds).
  EXPECT_LE(s.at("process_start_time_seconds{}"), now + 1);
  EXPECT_GT(s.at("process_start_time_seconds{}"), now - 3600);
  // stdin/out/err at least, plus the descriptors this test opened.
  EXPECT_GE(s.at("process_open_fds{}"), 3);
  EXPECT_EQ(s.at("partnersync_build_info{version=" PARTNERSYNC_VERSION "}"), 1);
}

TEST(ProcessStats, StatLineWithSpacesAndParenthesesInTheNameParses) {
  const std::string line =
      "1234 (a b) c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 987654 "
      "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto fields = service::parse_proc_stat(line);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->utime_ticks, 250u);
  EXPECT_EQ(fields->stime_ticks, 50u);
  EXPECT_EQ(fields->start_ticks, 987654u);
  EXPECT_EQ(fields->vsize, 123456789u);
  EXPECT_EQ(fields->rss_pages, 2048u);
  EXPECT_FALSE(service::parse_proc_stat("1234 (cut short) S 1 2").has_value());
}

TEST(ProcessStats, OpenDescriptorsCountsOnesThisProcessOpens) {
  const auto before = service::read_process_stats().open_fds;
  const int fd = dup(0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(service::read_process_stats().open_fds, before + 1);
  close(fd);
}

}  // namespace
}  // namespace partnersync
