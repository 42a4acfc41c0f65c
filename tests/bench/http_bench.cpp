// http_bench: requests per second and p50/p99 latency of the HTTP client fetching a small
// endpoint over keep-alive from the simulator, next to wrk on the same endpoint in the same run.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/http/http_client.hpp"
#include "tests/sim/simulator.hpp"

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using partnersync::http::Client;
using partnersync::http::ClientOptions;
using partnersync::http::Header;
using partnersync::http::Request;

struct Figures {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

struct Args {
  int requests = 20000;
  int concurrency = 4;
  int wrk_seconds = 5;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--requests") a.requests = value;
    if (flag == "--concurrency") a.concurrency = value;
    if (flag == "--wrk-seconds") a.wrk_seconds = value;
  }
  a.requests = std::max(a.requests, 100);
  a.concurrency = std::max(a.concurrency, 1);
  a.wrk_seconds = std::max(a.wrk_seconds, 1);
  return a;
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

struct Workload {
  Client* client = nullptr;
  std::string url;
  int remaining = 0;
  int failures = 0;
  std::vector<double> latencies;
};

// One of `concurrency` workers sharing the request budget, each awaiting one request at a
// time, so the client holds `concurrency` keep-alive connections like wrk does. A plain
// function rather than a lambda: GCC 12 mis-compiles braced initialisers in coroutine lambdas.
asio::awaitable<void> worker(Workload* w) {
  while (w->remaining > 0) {
    --w->remaining;
    Request request;
    request.url = w->url;
    request.headers.push_back(Header{"Authorization", "Bearer sim-token"});
    const auto start = Clock::now();
    auto r = co_await w->client->get(std::move(request));
    w->latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!r.has_value()) ++w->failures;
  }
}

Figures run_client(const std::string& url, const Args& args, int& failures) {
  asio::io_context io;
  ClientOptions options;
  options.max_in_flight = args.concurrency;
  options.retries = 0;
  Client client(io.get_executor(), options);
  Workload w;
  w.client = &client;
  w.url = url;
  // Warm-up: open the connections before the clock starts, as wrk does.
  w.remaining = args.concurrency;
  for (int i = 0; i < args.concurrency; ++i) asio::co_spawn(io, worker(&w), asio::detached);
  io.run();
  w.latencies.clear();
  w.latencies.reserve(static_cast<std::size_t>(args.requests));
  w.remaining = args.requests;
  w.failures = 0;
  io.restart();
  const auto start = Clock::now();
  for (int i = 0; i < args.concurrency; ++i) asio::co_spawn(io, worker(&w), asio::detached);
  io.run();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  failures = w.failures;
  std::sort(w.latencies.begin(), w.latencies.end());
  return Figures{static_cast<double>(w.latencies.size()) / seconds, percentile(w.latencies, 0.50),
                 percentile(w.latencies, 0.99)};
}

// wrk prints latency percentiles as "50%  123.00us"; converts to milliseconds.
double wrk_latency_ms(const std::string& out, const std::string& label) {
  const auto pos = out.find("\n" + label);
  if (pos == std::string::npos) return 0;
  double value = 0;
  char unit[8] = {};
  if (std::sscanf(out.c_str() + pos + 1 + label.size(), "%lf%7s", &value, unit) != 2) return 0;
  const std::string u = unit;
  if (u == "us") return value / 1000;
  if (u == "s") return value * 1000;
  if (u == "m") return value * 60000;
  return value;  // ms
}

bool run_wrk(const std::string& url, const Args& args, Figures& out) {
  const std::string command = "wrk -t1 -c" + std::to_string(args.concurrency) + " -d" +
                              std::to_string(args.wrk_seconds) +
                              "s --latency -H 'Authorization: Bearer sim-token' '" + url + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  if (pclose(pipe) != 0) {
    std::fprintf(stderr, "wrk failed:\n%s\n", text.c_str());
    return false;
  }
  const auto rps = text.find("Requests/sec:");
  if (rps == std::string::npos) return false;
  out.rps = std::atof(text.c_str() + rps + 13);
  out.p50_ms = wrk_latency_ms(text, "     50%");
  out.p99_ms = wrk_latency_ms(text, "     99%");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  partnersync::sim::SimOptions sim_options;
  partnersync::sim::Simulator sim(sim_options);
  const std::string url = sim.base_url() + "/v2/partners/status";

  int failures = 0;
  const Figures client = run_client(url, args, failures);
  sim.clear_requests();
  Figures wrk;
  const bool have_wrk = run_wrk(url, args, wrk);

  std::printf("endpoint: GET %s, keep-alive, %d connections\n", url.c_str(), args.concurrency);
  std::printf("%-18s %12s %10s %10s\n", "", "requests/s", "p50 ms", "p99 ms");
  std::printf("%-18s %12.0f %10.3f %10.3f   (%d requests, %d failed)\n", "partnersync client",
              client.rps, client.p50_ms, client.p99_ms, args.requests, failures);
  if (!have_wrk) {
    std::printf("wrk: not available or failed; no ratio\n");
    return failures == 0 ? 0 : 1;
  }
  std::printf("%-18s %12.0f %10.3f %10.3f   (%d s)\n", "wrk", wrk.rps, wrk.p50_ms, wrk.p99_ms,
              args.wrk_seconds);
  std::printf("ratio client/wrk: requests/s %.2f, p50 %.2f, p99 %.2f\n", client.rps / wrk.rps,
              wrk.p50_ms > 0 ? client.p50_ms / wrk.p50_ms : 0.0,
              wrk.p99_ms > 0 ? client.p99_ms / wrk.p99_ms : 0.0);
  return failures == 0 ? 0 : 1;
}
