// `partnersync-sim`: the simulator as a standalone process for scripts, benchmarks and
// deploy/quickstart. Flags map onto SimOptions and api::ApiOptions; runs until SIGINT/SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include "daemon/obs/log.hpp"
#include "daemon/obs/redact.hpp"
#include "tests/sim/simulator.hpp"

namespace {

using partnersync::sim::SimOptions;

constexpr const char* kUsage = R"(Usage: partnersync-sim [options]

Serves a simulated LiveChat Partner API and LiveAgent reseller API on loopback.

Server:
  --listen HOST:PORT        address to listen on, loopback only (default 127.0.0.1:0)
  --port-file FILE          write the bound port to FILE once listening
  --tls                     serve HTTPS with a freshly generated CA (ca.pem in --cert-dir)
  --tls-hostname NAME       DNS name in the server certificate (default localhost)
  --tls-wrong-host          certificate valid for --tls-hostname only, not 127.0.0.1/::1
  --cert-dir DIR            where ca.pem is written (default: a temporary directory)
  --threads N               server threads (default 2)
  --gzip                    Content-Encoding: gzip when the request accepts it (with
                            --prerender each body is compressed once)
  --control                 enable /__faults, /__requests, /__mutate, /__stats
  --fault-rate P            fault a request at random with probability P (0..1; kinds in
                            README.md, "Random faults"); --fault-seed N (default 1),
                            --fault-stall-ms MS (stalled bodies, default 3000)
  --log-level LEVEL         trace|debug|info|warn|error (default debug: one line per request)

Data (api::ApiOptions):
  --seed N                  same seed, same data (default 1)
  --token T                 expected LiveChat bearer token (default sim-token)
  --apikey K                expected LiveAgent apikey (default sim-apikey)
  --reseller R              LiveAgent reseller identifier (default reseller@example.com)
  --date-from, --from DAY   first creation day of generated data (YYYY-MM-DD)
  --date-to, --to DAY       last creation day of generated data
  --today DAY               day that history/stats are relative to (default: --date-to)
  --affiliate-licenses, --licenses N
  --partner-program-licenses N  --solution-licenses N  --withdrawals N  --campaigns N
  --leads N  --liveagent-accounts N  --users-per-account N  --liveagent-licenses N
  --variations N
  --helpdesk-conversations N  --helpdesk-customers N  --helpdesk-bulk-customers N
                            LiveAgent helpdesk data (/api/conversations, /api/customers, ...)
  --legacy-shapes           tier1/tier2 licenses, flat earnings/stats
  --expert                  experts endpoints answer 200 instead of 403
  --prerender               render big list bodies once and serve them from memory
  --liveagent-error-200     LiveAgent endpoints answer an ERROR envelope with HTTP 200
  --help                    this text
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "partnersync-sim: %s\n(see --help)\n",
               partnersync::obs::redact(message).c_str());
  std::exit(2);
}

template <class Int>
Int parse_int(std::string_view flag, std::string_view text) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    usage_error(std::string(flag) + " needs a non-negative integer, got '" + std::string(text) +
                "'");
  return value;
}

void parse_listen(std::string_view text, SimOptions& options) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) usage_error("--listen needs HOST:PORT");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  options.host = std::string(host);
  options.port = parse_int<std::uint16_t>("--listen", text.substr(colon + 1));
}

struct Cli {
  SimOptions options;
  std::string port_file;
  std::string log_level = "debug";
};

Cli parse_args(int argc, char** argv) {
  Cli cli;
  auto& sim = cli.options;
  auto& api = cli.options.api;
  using Value = std::function<void(std::string_view)>;
  using Flag = std::function<void()>;
  auto u64 = [](std::uint64_t& field, const char* flag) {
    return Value([&field, flag](std::string_view v) { field = parse_int<std::uint64_t>(flag, v); });
  };
  auto str = [](std::string& field) {
    return Value([&field](std::string_view v) { field = std::string(v); });
  };
  const std::map<std::string_view, Value> with_value = {
      {"--listen", [&](std::string_view v) { parse_listen(v, sim); }},
      {"--port-file", str(cli.port_file)},
      {"--tls-hostname", str(sim.tls_hostname)},
      {"--cert-dir", [&](std::string_view v) { sim.cert_dir = std::string(v); }},
      {"--threads", [&](std::string_view v) { sim.threads = parse_int<int>("--threads", v); }},
      {"--log-level", str(cli.log_level)},
      {"--seed", u64(api.seed, "--seed")},
      {"--token", str(api.token)},
      {"--apikey", str(api.apikey)},
      {"--reseller", str(api.reseller)},
      {"--date-from", str(api.date_from)},
      {"--from", str(api.date_from)},
      {"--date-to", str(api.date_to)},
      {"--to", str(api.date_to)},
      {"--today", str(api.today)},
      {"--affiliate-licenses", u64(api.affiliate_licenses, "--affiliate-licenses")},
      {"--licenses", u64(api.affiliate_licenses, "--licenses")},
      {"--partner-program-licenses",
       u64(api.partner_program_licenses, "--partner-program-licenses")},
      {"--solution-licenses", u64(api.solution_licenses, "--solution-licenses")},
      {"--withdrawals", u64(api.withdrawals, "--withdrawals")},
      {"--campaigns", u64(api.campaigns, "--campaigns")},
      {"--leads", u64(api.leads, "--leads")},
      {"--liveagent-accounts", u64(api.liveagent_accounts, "--liveagent-accounts")},
      {"--helpdesk-conversations", u64(api.helpdesk_conversations, "--helpdesk-conversations")},
      {"--helpdesk-customers", u64(api.helpdesk_customers, "--helpdesk-customers")},
      {"--helpdesk-bulk-customers", u64(api.helpdesk_bulk_customers, "--helpdesk-bulk-customers")},
      {"--users-per-account", u64(api.users_per_account, "--users-per-account")},
      {"--liveagent-licenses", u64(api.liveagent_licenses, "--liveagent-licenses")},
      {"--variations", u64(api.variations, "--variations")},
      {"--fault-rate",
       [&](std::string_view v) {
         const std::string text(v);
         char* end = nullptr;
         const double rate = std::strtod(text.c_str(), &end);
         if (text.empty() || end != text.c_str() + text.size() || !(rate >= 0 && rate <= 1))
           usage_error("--fault-rate must be a number from 0 to 1, not '" + text + "'");
         sim.random_faults.rate = rate;
       }},
      {"--fault-seed", u64(sim.random_faults.seed, "--fault-seed")},
      {"--fault-stall-ms",
       [&](std::string_view v) {
         sim.random_faults.stall =
             std::chrono::milliseconds(parse_int<std::uint32_t>("--fault-stall-ms", v));
       }},
  };
  const std::map<std::string_view, Flag> switches = {
      {"--tls", [&] { sim.tls = true; }},
      {"--tls-wrong-host", [&] { sim.tls_wrong_host = true; }},
      {"--control", [&] { sim.control = true; }},
      {"--gzip", [&] { sim.gzip = true; }},
      {"--legacy-shapes", [&] { api.legacy_shapes = true; }},
      {"--expert", [&] { api.expert = true; }},
      {"--prerender", [&] { api.prerender = true; }},
      {"--liveagent-error-200", [&] { api.liveagent_error_200 = true; }},
      {"--help",
       [] {
         std::fputs(kUsage, stdout);
         std::exit(0);
       }},
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view inline_value;
    bool has_inline = false;
    if (std::size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    if (auto it = switches.find(arg); it != switches.end() && !has_inline) {
      it->second();
    } else if (auto it2 = with_value.find(arg); it2 != with_value.end()) {
      if (!has_inline && i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      it2->second(has_inline ? inline_value : std::string_view(argv[++i]));
    } else {
      usage_error("unknown argument '" + std::string(arg) + "'");
    }
  }
  return cli;
}

// Scripts poll for the file, so it appears complete or not at all.
void write_port_file(const std::string& path, std::uint16_t port) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace

int main(int argc, char** argv) {
  Cli cli = parse_args(argc, argv);
  partnersync::obs::init_logging(partnersync::obs::LogFormat::text, "info");
  if (!partnersync::obs::set_log_level(cli.log_level))
    usage_error("--log-level must be trace, debug, info, warn or error");
  partnersync::obs::register_secret(cli.options.api.token);
  partnersync::obs::register_secret(cli.options.api.apikey);

  // Blocked before the server threads start so that they inherit the mask and sigwait below
  // is the only place the signals arrive.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    partnersync::sim::Simulator simulator(cli.options);
    if (!cli.port_file.empty()) write_port_file(cli.port_file, simulator.port());
    spdlog::info("partnersync-sim listening on {}{}{}", simulator.base_url(),
                 simulator.ca_file().empty() ? "" : ", CA file ", simulator.ca_file());
    int signal = 0;
    sigwait(&stop_signals, &signal);
    spdlog::info("partnersync-sim stopping on signal {}", signal);
  } catch (const std::exception& e) {
    spdlog::error("partnersync-sim: {}", e.what());
    return 1;
  }
  return 0;
}
