// Parser-only figures: the simulator's affiliate license bodies (2-day windows, as the engine
// keeps them at 1M rows) parsed into COPY rows, with no HTTP and no database. What
// sync_bench's "CPU s/Mrow" spends on parsing, measured without its noise.
//
//   parse_bench [ROWS (default 200000)] [REPEAT (default 5)] [--no-dom]
//
// It also times a simdjson DOM parse of the same bodies: the cost of the alternative way to
// know a body is JSON as a whole (issue 10), next to the parser's own checks of what it skips.
#include <simdjson.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/stream_spec.hpp"
#include "tests/sim/api.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string day(std::chrono::sys_days d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace partnersync;
  const std::uint64_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 5;

  sim::api::ApiOptions options;
  options.affiliate_licenses = rows;
  options.date_from = "2025-01-01";
  options.date_to = "2025-12-31";
  sim::api::Api api(options);

  std::vector<std::string> bodies;
  std::size_t bytes = 0;
  const auto first = std::chrono::sys_days{std::chrono::year{2025} / 1 / 1};
  for (auto d = first; d < first + std::chrono::days{365}; d += std::chrono::days{2}) {
    sim::api::ApiRequest request;
    request.method = "GET";
    request.path = "/v2/partners/affiliates/livechat/licenses";
    request.query = {{"date_from", day(d)}, {"date_to", day(d + std::chrono::days{1})}};
    request.authorization = "Bearer " + options.token;
    auto response = api.handle(request);
    std::string body = std::move(response.body);
    if (response.stream)
      while (response.stream(body)) {
      }
    body.reserve(body.size() + 64);  // as the HTTP client leaves it: padded for simdjson
    bytes += body.size();
    bodies.push_back(std::move(body));
  }

  const sync::StreamSpec& spec =
      *sync::find_stream_spec(sync::SourceKind::livechat_partner, "affiliate_licenses");
  sync::RecordParser parser(spec);
  const sync::ParseContext context{"bench", "", ""};
  std::string out;
  double best = 1e300;
  std::size_t parsed = 0, out_bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    parsed = out_bytes = 0;
    const double start = cpu_seconds();
    for (const auto& body : bodies) {
      out.clear();
      parsed += parser.parse(body, spec.endpoints.front(), context, out).rows;
      out_bytes += out.size();
    }
    best = std::min(best, cpu_seconds() - start);
  }
  std::printf("parse_bench: %zu rows in %zu bodies, %.1f MiB JSON -> %.1f MiB COPY text\n", parsed,
              bodies.size(), static_cast<double>(bytes) / 1048576.0,
              static_cast<double>(out_bytes) / 1048576.0);
  std::printf("best of %d: %.3f CPU s, %.0f ns/row, %.2f CPU s per million rows, %.0f MiB/s\n",
              repeat, best, best * 1e9 / static_cast<double>(parsed),
              best * 1e6 / static_cast<double>(parsed),
              static_cast<double>(bytes) / 1048576.0 / best);

  if (argc > 3 && std::string(argv[3]) == "--no-dom") return parsed == 0 ? 1 : 0;
  simdjson::dom::parser dom;
  double dom_best = 1e300;
  std::size_t dom_failed = 0;
  for (int r = 0; r < repeat; ++r) {
    dom_failed = 0;
    const double start = cpu_seconds();
    for (const auto& body : bodies) {
      simdjson::dom::element root;
      if (dom.parse(body.data(), body.size(), false).get(root) != simdjson::SUCCESS) ++dom_failed;
    }
    dom_best = std::min(dom_best, cpu_seconds() - start);
  }
  std::printf(
      "DOM validation pass (the alternative, not used): %.0f ns/row more, %zu bodies "
      "refused\n",
      dom_best * 1e9 / static_cast<double>(parsed), dom_failed);
  return parsed == 0 ? 1 : 0;
}
