// pg_ctl through the shell, as deploy/local-postgres does: as root every command runs as the
// postgres user (runuser). The postmaster inherits pg_ctl's stdout and stderr, so they go to a
// file, never to a pipe somebody waits on.
#include "tests/support/throwaway_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>

namespace partnersync::testing {
namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void give_to_postgres(const std::filesystem::path& path) {
  if (::geteuid() != 0) return;
  const passwd* pg = ::getpwnam("postgres");
  if (pg == nullptr) throw std::runtime_error("running as root but there is no postgres user");
  if (::chown(path.c_str(), pg->pw_uid, pg->pw_gid) != 0)
    throw std::runtime_error("cannot chown " + path.string() + " to postgres");
}

}  // namespace

ThrowawayCluster::ThrowawayCluster(const std::string& name) {
  const char* bindir = std::getenv("PARTNERSYNC_PG_BINDIR");
  bindir_ = bindir != nullptr && *bindir != '\0' ? bindir : "/usr/lib/postgresql/15/bin";
  std::string pattern = "/tmp/pg-" + name + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
  dir_ = pattern;
  give_to_postgres(dir_);
  run("'" + bindir_ + "/initdb' -D '" + (dir_ / "data").string() +
          "' -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync",
      "initdb");
  // A port found free can be taken before the server binds it: a few tries.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 5) throw;
    }
  }
}

ThrowawayCluster::~ThrowawayCluster() {
  thaw();
  if (running_) {
    try {
      stop("immediate");
    } catch (const std::exception&) {
      // Removed below either way; a postmaster left would find its directory gone.
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void ThrowawayCluster::run(const std::string& command, const std::string& what) const {
  const std::string log = (dir_ / "command.log").string();
  std::string line = "cd '" + dir_.string() + "' && " + command;
  if (::geteuid() == 0) line = "runuser -u postgres -- sh -c \"" + line + "\"";
  line += " >'" + log + "' 2>&1 </dev/null";
  if (std::system(line.c_str()) != 0)
    throw std::runtime_error(what + " failed: " + read_file(log) + "\nserver log:\n" +
                             server_log());
}

std::string ThrowawayCluster::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::filesystem::path ThrowawayCluster::server_dir(const std::string& name) const {
  const auto path = dir_ / name;
  std::filesystem::create_directories(path);
  give_to_postgres(path);
  return path;
}

void ThrowawayCluster::create_database(const std::string& name) const {
  pqxx::connection admin(url());
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
}

void ThrowawayCluster::start() {
  run("'" + bindir_ + "/pg_ctl' -D '" + (dir_ / "data").string() + "' -l '" +
          (dir_ / "server.log").string() + "' -w -t 60 -o '-c listen_addresses=127.0.0.1 -p " +
          std::to_string(port_) + " -k " + dir_.string() +
          " -c fsync=off -c synchronous_commit=off -c full_page_writes=off' start",
      "pg_ctl start");
  running_ = true;
}

void ThrowawayCluster::stop(const std::string& mode) {
  thaw();
  run("'" + bindir_ + "/pg_ctl' -D '" + (dir_ / "data").string() + "' -m " + mode +
          " -w -t 60 stop",
      "pg_ctl stop -m " + mode);
  running_ = false;
}

std::vector<pid_t> ThrowawayCluster::server_pids() const {
  std::vector<pid_t> out;
  std::ifstream pidfile(dir_ / "data" / "postmaster.pid");
  pid_t postmaster = 0;
  if (!(pidfile >> postmaster) || postmaster <= 0) return out;
  out.push_back(postmaster);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const std::string stat = read_file(entry.path() / "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t parent = 0;
    if (rest >> state >> parent && parent == postmaster) out.push_back(std::stoi(name));
  }
  return out;
}

void ThrowawayCluster::freeze() {
  // The postmaster first, so that it forks nothing unfrozen.
  for (const pid_t pid : server_pids()) {
    if (::kill(pid, SIGSTOP) == 0) frozen_.push_back(pid);
  }
}

void ThrowawayCluster::thaw() {
  for (const pid_t pid : frozen_) ::kill(pid, SIGCONT);
  frozen_.clear();
}

std::string ThrowawayCluster::server_log() const { return read_file(dir_ / "server.log"); }

}  // namespace partnersync::testing
