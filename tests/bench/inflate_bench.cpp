// Inflate-only figures (issue 16): the simulator's affiliate license bodies in 2-day windows,
// gzip-compressed as `partnersync-sim --gzip` serves them (zlib level 6), decoded by the HTTP
// client's two decoders: zlib's streaming inflate (64 KiB steps) and libdeflate's whole-buffer
// decompress sized by the gzip trailer. No HTTP, no parser, no database: what sync_bench's
// HTTPS+gzip row spends on inflating, without its noise.
//
//   inflate_bench [ROWS (default 200000)] [REPEAT (default 5)]
#include <time.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/http/gzip_body.hpp"
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

std::string gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
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

  std::vector<std::string> plain, compressed;
  std::size_t plain_bytes = 0, gz_bytes = 0;
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
    plain_bytes += body.size();
    compressed.push_back(gzip(body));
    gz_bytes += compressed.back().size();
    plain.push_back(std::move(body));
  }
  std::printf("inflate_bench: %llu rows in %zu bodies, %.1f MiB gzip -> %.1f MiB JSON (%.1fx)\n",
              static_cast<unsigned long long>(rows), plain.size(),
              static_cast<double>(gz_bytes) / 1048576.0,
              static_cast<double>(plain_bytes) / 1048576.0,
              static_cast<double>(plain_bytes) / static_cast<double>(gz_bytes));

  constexpr std::size_t kLimit = std::size_t{64} << 20;  // http.max_body's default order
  struct Decoder {
    const char* name;
    http::GunzipStatus (*decode)(std::string&, std::size_t);
  };
  int failures = 0;
  for (const Decoder& decoder : {Decoder{"zlib inflate, 64 KiB steps", http::gunzip_body_streaming},
                                 Decoder{"libdeflate whole buffer", http::gunzip_body}}) {
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
      double spent = 0;
      for (std::size_t i = 0; i < compressed.size(); ++i) {
        std::string body = compressed[i];  // as the client holds it: the received bytes
        const double start = cpu_seconds();
        const auto status = decoder.decode(body, kLimit);
        spent += cpu_seconds() - start;
        if (status != http::GunzipStatus::ok || body != plain[i]) ++failures;
      }
      best = std::min(best, spent);
    }
    std::printf("%-28s best of %d: %.3f CPU s, %.0f ns/row, %.3f CPU s per million rows, "
                "%.0f MiB/s of JSON\n",
                decoder.name, repeat, best, best * 1e9 / static_cast<double>(rows),
                best * 1e6 / static_cast<double>(rows),
                static_cast<double>(plain_bytes) / 1048576.0 / best);
  }
  if (failures != 0) std::printf("%d bodies decoded wrongly\n", failures);
  return failures == 0 ? 0 : 1;
}
