// End-to-end daemon as a service (issue 11): sd_notify in order with a watchdog that stops when
// the loop hangs, the HTTP endpoints of a running daemon (metrics parsed by prometheus_client
// and matched with sync.runs, the status page in headless Chromium, bad requests refused
// without harming the sync), and SIGHUP reloads.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_support.hpp"
#include "tests/service/notify_socket.hpp"
#include "tests/support/process.hpp"

namespace partnersync::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// The port the daemon logged it serves on.
int served_port(Process& daemon) {
  int port = 0;
  eventually(
      [&] {
        std::smatch m;
        const std::string errors = daemon.errors();
        if (std::regex_search(errors, m,
                              std::regex("status page on http://127\\.0\\.0\\.1:(\\d+)/")))
          port = std::stoi(m[1]);
        return port != 0;
      },
      std::chrono::seconds(20));
  return port;
}

// Sends `request` as is to 127.0.0.1:port and returns everything the server answered.
std::string send_raw(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    [[maybe_unused]] auto sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[65536];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, n);
  }
  ::close(fd);
  return answer;
}

struct Answer {
  int status = 0;
  std::string body;
};

Answer get(int port, const std::string& path) {
  const std::string raw =
      send_raw(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  Answer a;
  if (raw.size() > 12) a.status = std::atoi(raw.substr(9, 3).c_str());
  const auto end = raw.find("\r\n\r\n");
  if (end != std::string::npos) a.body = raw.substr(end + 4);
  return a;
}

// name{labels} -> value, as prometheus_client's parser reads the text.
std::map<std::string, double> parse_metrics(const std::string& text) {
  const auto file = testing::write_temp_file("metrics.txt", text);
  const auto result = testing::run_process(
      {"/usr/bin/python3", testing::source_dir() + "/tests/service/metrics_families.py", file}, {},
      60);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::map<std::string, double> samples;
  std::istringstream lines(result.out);
  std::string kind, name, value;
  while (lines >> kind >> name >> value) {
    if (kind == "family")
      samples["TYPE " + name + " " + value] = 1;
    else
      samples[name] = std::stod(value);
  }
  return samples;
}

ConfigSpec service_spec(const testing::TestDatabase& db, const sim::Simulator& sim,
                        const sim::SimOptions& options) {
  ConfigSpec spec;
  spec.database_url = db.url();
  spec.base_url = sim.base_url();
  spec.start_date = options.api.date_from;
  spec.streams = {"affiliate_licenses", "earnings", "stats"};
  spec.interval = "1h";
  spec.listen = "127.0.0.1:0";
  return spec;
}

class ScopedEnv {
 public:
  ScopedEnv(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {
    for (const auto& [k, v] : vars_) ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : vars_) ::unsetenv(k.c_str());
  }

 private:
  std::map<std::string, std::string> vars_;
};

TEST(E2eService, NotifiesReadyStatusWatchdogAndStoppingAndTheWatchdogStopsWhenTheLoopHangs) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_notify");
  ConfigFile config(service_spec(db, sim, options));
  testing::NotifySocket notify;
  std::unique_ptr<Process> daemon;
  {
    // WATCHDOG_USEC=400 ms: a beat every 200 ms. After its first pass the loop blocks for 3 s
    // (a test-only fault), as a hung scheduler would.
    ScopedEnv env({{"NOTIFY_SOCKET", notify.path()},
                   {"WATCHDOG_USEC", "400000"},
                   {"PARTNERSYNC_TEST_STALL_LOOP_SECONDS", "3"}});
    daemon =
        std::make_unique<Process>(std::vector<std::string>{"--config", config.path().string()});
  }
  std::vector<std::pair<Clock::time_point, std::string>> messages;
  const auto until = Clock::now() + std::chrono::seconds(12);
  while (Clock::now() < until) {
    if (auto m = notify.receive(100)) messages.emplace_back(Clock::now(), *m);
  }
  daemon->signal(SIGTERM);
  const auto code = daemon->wait(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon->errors();
  while (auto m = notify.receive(500)) messages.emplace_back(Clock::now(), *m);

  auto index_of = [&](const std::string& prefix, std::size_t from = 0) {
    for (std::size_t i = from; i < messages.size(); ++i)
      if (messages[i].second.rfind(prefix, 0) == 0) return i;
    return messages.size();
  };
  const auto ready = index_of("READY=1");
  ASSERT_LT(ready, messages.size()) << "no READY=1";
  const auto status = index_of("STATUS=", ready);
  ASSERT_LT(status, messages.size()) << "no STATUS= after READY=1";
  const auto stopping = index_of("STOPPING=1");
  ASSERT_LT(stopping, messages.size()) << "no STOPPING=1";
  EXPECT_EQ(stopping, messages.size() - 1) << "STOPPING=1 is the last message";
  // READY=1 starts the watchdog: the first beat is due 200 ms after it. When the first pass is
  // quicker than that, the loop hangs before its first beat, so the gap to measure starts at
  // READY=1, not at the first beat.
  std::vector<Clock::time_point> beats{messages[ready].first};
  for (std::size_t i = ready; i < stopping; ++i)
    if (messages[i].second == "WATCHDOG=1") beats.push_back(messages[i].first);
  ASSERT_GE(beats.size(), 10u) << "the watchdog beats every 200 ms";
  // The hung loop shows as one gap of about 3 s without beats; the others are short.
  Clock::duration longest{};
  for (std::size_t i = 1; i < beats.size(); ++i)
    longest = std::max(longest, beats[i] - beats[i - 1]);
  EXPECT_GE(longest, std::chrono::milliseconds(2500)) << daemon->errors();
  EXPECT_LT(longest, std::chrono::milliseconds(6000));
  bool pass_status = false;
  for (const auto& [at, m] : messages)
    if (m.find("STATUS=last pass of acme: synced") != std::string::npos) pass_status = true;
  EXPECT_TRUE(pass_status) << "a STATUS= line says how the pass ended";
}

TEST(E2eService, EndpointsAnswerFromTheRunningDaemonAndMetricsMatchSyncRuns) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_endpoints");
  ConfigFile config(service_spec(db, sim, options));
  Process daemon({"--config", config.path().string()});
  const int port = served_port(daemon);
  ASSERT_NE(port, 0) << daemon.errors();
  EXPECT_EQ(get(port, "/healthz").status, 200) << "port " << port << "\n" << daemon.errors();
  ASSERT_TRUE(eventually(
      [&] {
        return query_count(db.url(), "SELECT count(*) FROM sync.runs WHERE status = 'succeeded'") ==
               3;
      },
      std::chrono::seconds(30)))
      << daemon.errors();
  // Ready: the database answers and every stream succeeded within 3 intervals.
  const auto ready = get(port, "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;

  // Bad requests are refused and the daemon goes on.
  const std::string big(16 * 1024, 'x');
  const std::string oversized =
      send_raw(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n");
  EXPECT_EQ(oversized.substr(0, 12), "HTTP/1.1 431") << oversized.substr(0, 80);
  const std::string malformed = send_raw(port, "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(malformed.substr(0, 12), "HTTP/1.1 400") << malformed.substr(0, 80);
  const std::string post =
      send_raw(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.substr(0, 12), "HTTP/1.1 405") << post.substr(0, 80);
  EXPECT_TRUE(daemon.running()) << daemon.errors();

  const auto metrics = get(port, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const auto samples = parse_metrics(metrics.body);
  EXPECT_EQ(samples.count("TYPE partnersync_stream_runs counter"), 1u);
  EXPECT_EQ(samples.count("TYPE partnersync_stream_run_duration_seconds histogram"), 1u);
  EXPECT_EQ(samples.count("TYPE process_resident_memory_bytes gauge"), 1u);
  for (const char* stream : {"affiliate_licenses", "earnings", "stats"}) {
    const std::string labels = std::string("{source=acme,status=succeeded,stream=") + stream + "}";
    EXPECT_EQ(samples.at("partnersync_stream_runs_total" + labels), 1) << stream;
    const auto inserted =
        query_count(db.url(), std::string("SELECT rows_inserted FROM sync.runs WHERE stream = '") +
                                  stream + "'");
    EXPECT_EQ(
        samples.at(std::string("partnersync_rows_total{outcome=inserted,source=acme,stream=") +
                   stream + "}"),
        static_cast<double>(inserted))
        << stream;
  }
  const auto requests = static_cast<double>(sim.requests().size());
  EXPECT_EQ(samples.at("partnersync_http_requests_total{code=2xx,source=acme}"), requests)
      << metrics.body;
  EXPECT_GT(samples.at("partnersync_stream_coverage_end_timestamp_seconds{source=acme,stream="
                       "affiliate_licenses}"),
            0);
  EXPECT_EQ(metrics.body.find("sim-token"), std::string::npos);

  // The status page in a real browser: one row per stream.
  const auto page = get(port, "/");
  ASSERT_EQ(page.status, 200);
  const auto file = testing::write_temp_file("status.html", page.body);
  char profile[] = "/tmp/ps-e2e-chromium.XXXXXX";
  ASSERT_NE(::mkdtemp(profile), nullptr);
  const auto dom = testing::run_process(
      {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--no-first-run", std::string("--user-data-dir=") + profile, "--dump-dom", "file://" + file},
      {}, 60);
  std::filesystem::remove_all(profile);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  for (const char* stream : {"affiliate_licenses", "earnings", "stats"})
    EXPECT_NE(dom.out.find(stream), std::string::npos) << stream;
  std::size_t rows = 0;
  for (auto at = dom.out.find("<tr"); at != std::string::npos; at = dom.out.find("<tr", at + 1))
    ++rows;
  EXPECT_EQ(rows, 4u) << "a header row and one row per stream";

  daemon.signal(SIGTERM);
  const auto code = daemon.wait(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon.errors();
}

TEST(E2eService, SighupKeepsTheOldConfigurationWhenTheNewOneIsInvalidAndAppliesAValidOne) {
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_reload");
  ConfigSpec spec = service_spec(db, sim, options);
  spec.streams = {"earnings"};
  spec.listen.clear();
  ConfigFile config(spec);
  Process daemon({"--config", config.path().string()});
  auto runs_of = [&](const std::string& stream) {
    return query_count(db.url(),
                       "SELECT count(*) FROM sync.runs WHERE status = 'succeeded' AND "
                       "stream = '" +
                           stream + "'");
  };
  ASSERT_TRUE(eventually([&] { return runs_of("earnings") == 1; }, std::chrono::seconds(30)))
      << daemon.errors();

  const std::string valid = [&] {
    std::ifstream in(config.path());
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::ofstream(config.path()) << valid << "sync:\n  interval: banana\n";  // duplicate key too
  daemon.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return daemon.errors().find("reload failed") != std::string::npos; },
                         std::chrono::seconds(10)))
      << daemon.errors();
  EXPECT_NE(daemon.errors().find(config.path().string()), std::string::npos) << daemon.errors();
  ASSERT_TRUE(daemon.running()) << daemon.errors();

  // A valid one: a 2 s interval and a second stream.
  ConfigSpec next = spec;
  next.interval = "2s";
  next.streams = {"earnings", "stats"};
  ConfigFile next_file(next);
  std::filesystem::copy_file(next_file.path(), config.path(),
                             std::filesystem::copy_options::overwrite_existing);
  daemon.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return runs_of("stats") >= 1 && runs_of("earnings") >= 3; },
                         std::chrono::seconds(20)))
      << daemon.errors();
  ASSERT_TRUE(daemon.running()) << daemon.errors();
  daemon.signal(SIGTERM);
  const auto code = daemon.wait(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon.errors();
}

// In the E2eDaemon suite, which runs alone: it stops the cluster every other test uses.
TEST(E2eDaemon, ReadyzAnswers503WhilePostgresIsStoppedAnd200WhenItIsBack) {
  const char* bindir = std::getenv("PARTNERSYNC_PG_BINDIR");
  const char* datadir = std::getenv("PARTNERSYNC_PG_DATADIR");
  ASSERT_TRUE(bindir != nullptr && datadir != nullptr) << "tests/run exports both";
  const auto options = simulator_options(30);
  sim::Simulator sim(options);
  testing::TestDatabase db("e2e_readyz");
  ConfigSpec spec = service_spec(db, sim, options);
  spec.streams = {"earnings"};
  ConfigFile config(spec);
  Process daemon({"--config", config.path().string()});
  const int port = served_port(daemon);
  ASSERT_NE(port, 0) << daemon.errors();
  ASSERT_TRUE(
      eventually([&] { return get(port, "/readyz").status == 200; }, std::chrono::seconds(30)))
      << daemon.errors();

  auto pg_ctl = [&](const std::string& action) {
    const std::string log = (config.dir() / "pg_ctl.log").string();
    std::string command = std::string(bindir) + "/pg_ctl -D '" + datadir + "' " + action +
                          " -w -t 60 >'" + log + "' 2>&1";
    if (::geteuid() == 0) command = "runuser -u postgres -- " + command;
    return std::system(command.c_str());
  };
  // `pg_ctl start` would not know the cluster's port and options: take them from
  // postmaster.opts, less the program and its -D.
  std::string opts;
  {
    std::ifstream in(std::string(datadir) + "/postmaster.opts");
    std::getline(in, opts);
    opts = opts.substr(opts.find(' ') + 1);
    const std::string data_arg = "\"-D\" \"" + std::string(datadir) + "\" ";
    if (const auto at = opts.find(data_arg); at != std::string::npos)
      opts.erase(at, data_arg.size());
  }
  ASSERT_EQ(pg_ctl("stop -m fast"), 0);
  Answer down;
  const bool unready = eventually(
      [&] {
        down = get(port, "/readyz");
        return down.status == 503;
      },
      std::chrono::seconds(20));
  // The server log: somewhere the postgres user may write (the test's own directory is root's).
  const std::string server_log = "/tmp/ps-e2e-readyz-" + std::to_string(::getpid()) + ".log";
  const int started = pg_ctl("start -l '" + server_log + "' -o '" + opts + "'");
  ASSERT_EQ(started, 0);
  EXPECT_TRUE(unready) << "readyz stayed " << down.status << " with the database stopped";
  EXPECT_NE(down.body.find("database"), std::string::npos) << down.body;
  EXPECT_EQ(get(port, "/healthz").status, 200) << "the loop is alive all along";
  EXPECT_TRUE(
      eventually([&] { return get(port, "/readyz").status == 200; }, std::chrono::seconds(30)))
      << get(port, "/readyz").body;
  daemon.signal(SIGTERM);
  const auto code = daemon.wait(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon.errors();
}

}  // namespace
}  // namespace partnersync::e2e
