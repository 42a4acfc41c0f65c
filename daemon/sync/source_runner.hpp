// A pass over one source's streams: which streams run (selection, parents before children),
// the source's lock, and each stream run's bookkeeping in sync.runs and sync.state.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/http/http_client.hpp"
#include "daemon/sync/cancellation.hpp"
#include "daemon/sync/engine.hpp"
#include "daemon/sync/requester.hpp"
#include "daemon/sync/stream_run.hpp"

namespace partnersync::sync {

enum class PassOutcome {
  succeeded,      // every stream synced or not applicable
  failed,         // a stream failed (recorded); the others ran
  database_down,  // the database stayed unreachable: the caller waits and runs the pass again
  cancelled,      // shutdown
  lost_lock,      // daemon mode: the source's lock went away; the caller takes it again first
};

class SourceRunner {
 public:
  // `metrics` (daemon mode, may be null) hears of every request, retry, run and quarantine.
  SourceRunner(const config::Config& config, const config::Source& source, StorePool& stores,
               Progress& progress, const RunRequest& request, boost::asio::any_io_executor ex,
               service::Metrics* metrics = nullptr);

  // One pass over the selected streams that are `due` (and the children of those that ran).
  // Every pass takes the source's pass lock (waiting while another process's pass holds it);
  // daemon mode runs a pass only while it owns the source (own_source) and checks that before
  // each stream. `ran`, when given, receives every stream that ran (children included).
  boost::asio::awaitable<PassOutcome> pass(const std::set<std::string>& due,
                                           std::set<std::string>* ran = nullptr);

  // Daemon mode: the source's owner lock is held across passes, so of several instances on
  // one database one syncs the source and the others stand by (one-shot runs take no owner
  // lock: they wait only for the pass in flight). Returns once this instance holds
  // the lock (polling every `poll` while another one does), false when `cancel` or `drain`
  // ends the wait. A database error is logged and asked again after `poll`.
  // `on_standby` runs when it starts standing by.
  boost::asio::awaitable<bool> own_source(Cancellation& drain, std::chrono::seconds poll,
                                          const std::function<void()>& on_standby = {});
  // Whether the lock is still held on the lock store's session; when not (its connection
  // ended), logs it and forgets the ownership.
  boost::asio::awaitable<bool> still_own_source();
  // Releases the lock (shutdown, reload): a standby takes over at its next poll.
  boost::asio::awaitable<void> disown_source();
  bool owns_source() const { return owned_; }

  std::chrono::seconds interval_of(const std::string& stream) const;
  const config::Source& source() const { return source_; }
  // Shutdown: every wait of this source ends.
  void cancel();
  Cancellation& cancellation() { return cancel_; }
  // Before a long sleep: no kept-alive HTTP connection, no idle database backend.
  void close_idle_connections();

 private:
  bool selected(const std::string& stream) const;
  std::string collect_column_for(const StreamSpec& spec) const;
  boost::asio::awaitable<bool> lock_source();
  boost::asio::awaitable<void> unlock_source();
  boost::asio::awaitable<void> close_orphaned_runs();
  // Runs one stream and records it; returns its status. A failure that stops the source
  // (credentials, database, shutdown) leaves as SyncError after the run is recorded.
  // `parent_ran`: the stream's parent ran earlier in this pass.
  boost::asio::awaitable<RunStatus> run_stream(StreamRun& run, bool parent_ran);

  const config::Config& config_;
  const config::Source& source_;
  StorePool& stores_;
  Progress& progress_;
  const RunRequest& request_;
  service::Metrics* metrics_;
  http::Client client_;
  Requester requester_;
  Cancellation cancel_;
  SourceContext context_;
  bool told_locked_ = false;
  bool owned_ = false;    // daemon mode: this instance holds the source's lock
  bool standby_ = false;  // daemon mode: said that another instance owns the source
  // Runs this process started whose end could not be recorded (the database went away): they
  // are closed as failed once it is back, so no run stays 'running'.
  std::vector<std::int64_t> orphaned_runs_;
};

}  // namespace partnersync::sync
