// The engine's moving parts: one coroutine per source on a single-threaded io_context (HTTP,
// parsing, planning), a pool of window workers per stream bounded by sync.concurrency, and one
// database thread that stages, merges and commits each window as it completes.
#include "daemon/sync/engine.hpp"

#include <malloc.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>

#include "daemon/db/database.hpp"
#include "daemon/http/http_client.hpp"
#include "daemon/obs/redact.hpp"
#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/stream_spec.hpp"
#include "daemon/sync/sync_store.hpp"

namespace partnersync::sync {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

// A window whose response is larger than this is halved and read again (down to one day),
// so memory is bounded by the window, not by the account: the client stops reading at this
// size, a window in flight holds at most its body and its rows (about twice this), and the
// stream's simdjson parser sizes its index buffers to the largest body (about 5x this).
constexpr std::size_t kWindowByteLimit = 2u << 20;
constexpr std::size_t kWindowRowLimit = 20000;
// Child requests (invoices, users, add-ons) are committed in batches of this many parents.
constexpr std::size_t kChildBatch = 50;
// A stream that answered 403 "not applicable" is asked again after this long.
constexpr auto kNotApplicableRetry = std::chrono::hours(24 * 7);

// ---- errors that end a window, a stream or a source ----------------------------------------

struct WindowFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct NotApplicable : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct CredentialsRejected : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled by shutdown") {}
};

// ---- small coroutine tools -------------------------------------------------------------------

// Waits for a number of spawned coroutines (the io_context is single-threaded: no atomics).
class WaitGroup {
 public:
  explicit WaitGroup(const asio::any_io_executor& ex) : timer_(ex, Clock::time_point::max()) {}
  void add() { ++count_; }
  void done(const std::exception_ptr& e) {
    if (e && !first_error_) first_error_ = e;
    if (--count_ == 0) timer_.cancel();
  }
  awaitable<void> wait() {
    while (count_ > 0) {
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (first_error_) std::rethrow_exception(first_error_);
  }

 private:
  asio::steady_timer timer_;
  int count_ = 0;
  std::exception_ptr first_error_;
};

// The database threads: SyncStore calls are blocking, so they run there while the io_context
// goes on fetching and parsing the next windows. Each thread has its own connection, so
// windows commit in parallel (one PostgreSQL backend is the bottleneck of a backfill);
// sync.record_window serialises the windows bookkeeping of a stream.
class Database {
 public:
  Database(const std::string& url, int connections)
      : pool_(static_cast<std::size_t>(std::max(1, connections))) {
    for (int i = 0; i < std::max(1, connections); ++i) {
      stores_.push_back(std::make_unique<SyncStore>(url));
      free_.push_back(stores_.back().get());
    }
  }
  ~Database() { pool_.join(); }

  // Not a coroutine itself: it hands back co_spawn's awaitable. Callers name the lambda
  // before co_await: GCC 12 can destroy a temporary of a co_await expression twice.
  template <typename F>
  awaitable<std::invoke_result_t<F, SyncStore&>> run(F work) {
    using R = std::invoke_result_t<F, SyncStore&>;
    return asio::co_spawn(
        pool_.get_executor(),
        [this, work = std::move(work)]() mutable -> awaitable<R> {
          Lease lease(*this);  // as many stores as threads: one is always free here
          co_return work(*lease.store);
        },
        use_awaitable);
  }
  SyncStore& store() { return *stores_.front(); }  // only before/after the io_context runs

  // Closes the connections no window holds now; a later lease connects again.
  void close_idle() {
    std::lock_guard lock(mutex_);
    for (SyncStore* store : free_) store->disconnect();
  }

 private:
  struct Lease {
    explicit Lease(Database& d) : db(d) {
      std::lock_guard lock(db.mutex_);
      store = db.free_.back();
      db.free_.pop_back();
    }
    ~Lease() {
      std::lock_guard lock(db.mutex_);
      db.free_.push_back(store);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Database& db;
    SyncStore* store = nullptr;
  };

  asio::thread_pool pool_;
  std::vector<std::unique_ptr<SyncStore>> stores_;
  std::mutex mutex_;
  std::vector<SyncStore*> free_;
};

// Shutdown: stop starting work, wake sleepers.
struct Shutdown {
  bool requested = false;
  std::set<asio::steady_timer*> sleepers;
  void request() {
    requested = true;
    for (auto* t : sleepers) t->cancel();
  }
};

awaitable<void> sleep_for(Shutdown& shutdown, Clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  shutdown.sleepers.insert(&timer);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  shutdown.sleepers.erase(&timer);
}

// ---- URLs --------------------------------------------------------------------------------------

void append_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

using Params = std::vector<std::pair<std::string, std::string>>;

// ---- progress ----------------------------------------------------------------------------------

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1) {}
  void planned(std::size_t windows) { total_ += windows; }
  void window_done(std::int64_t rows) {
    ++done_;
    rows_ += rows;
    report(false);
  }
  void finish() {
    report(true);
    if (enabled_ && tty_) std::cerr << "\n";
  }

 private:
  void report(bool final) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (!final && now - last_ < (tty_ ? std::chrono::milliseconds(250) : std::chrono::seconds(5)))
      return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(rows_) / seconds : 0;
    const double per_window = done_ > 0 ? seconds / static_cast<double>(done_) : 0;
    const double eta = per_window * static_cast<double>(total_ > done_ ? total_ - done_ : 0);
    char line[200];
    std::snprintf(line, sizeof line,
                  "backfill: %zu/%zu windows, %lld rows, %.0f rows/s, elapsed %.0fs, ETA %.0fs",
                  done_, total_, static_cast<long long>(rows_), rate, seconds, eta);
    if (tty_) {
      std::cerr << "\r" << line << "\x1b[K" << std::flush;
    } else {
      spdlog::info("{}", line);
    }
  }

  bool enabled_, tty_;
  std::size_t total_ = 0, done_ = 0;
  std::int64_t rows_ = 0;
  Clock::time_point start_ = Clock::now(), last_{};
};

// ---- per source ------------------------------------------------------------------------------

http::ClientOptions client_options(const config::Config& config) {
  http::ClientOptions o;
  o.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.http.timeout);
  o.idle_timeout = std::min(o.request_timeout, std::chrono::milliseconds(15'000));
  o.connect_timeout = std::min(o.request_timeout, std::chrono::milliseconds(10'000));
  o.retries = config.http.retries;
  o.ca_file = config.http.ca_file;
  o.max_body_bytes = config.http.max_body_bytes;
  o.max_in_flight = config.sync.concurrency;
  o.rate_limit = config.http.rate_limit;
  return o;
}

struct StreamRun {
  const StreamSpec& spec;
  RecordParser parser;
  db::TableLayout layout;
  std::int64_t run_id = 0;
  RunTotals totals;
  std::string first_error;
  bool failed = false;
  std::size_t path_index = 0;     // the path (current or deprecated) that answered
  int learned_days = 0;           // window size after adaptive splitting
  std::vector<std::string> keys;  // parent keys synced, for child streams
  std::string collect;            // the column whose values are collected
  std::string first_invalid;      // the first invalid value met, logged once at the run's end

  explicit StreamRun(const StreamSpec& s) : spec(s), parser(s) {
    layout.table = s.table;
    layout.columns = parser.column_names();
    layout.key = s.key;
    layout.partial_update = s.partial_update;
    layout.snapshot = s.mode == SyncMode::snapshot;
  }
  void fail(const std::string& error) {
    if (!failed) first_error = error;
    failed = true;
  }
};

class SourceRunner {
 public:
  SourceRunner(const config::Config& config, const config::Source& source, Database& db,
               Shutdown& shutdown, Progress& progress, const RunRequest& request,
               asio::any_io_executor ex)
      : config_(config),
        source_(source),
        db_(db),
        shutdown_(shutdown),
        progress_(progress),
        request_(request),
        client_(std::move(ex), client_options(config)) {}

  // One pass over the selected streams (parents before children). Returns false if any
  // stream failed.
  awaitable<bool> pass(const std::set<std::string>& due) {
    bool ok = true;
    std::map<std::string, std::vector<std::string>> keys_by_parent;
    for (const auto& spec : stream_specs(source_.kind)) {
      if (!selected(spec.name)) continue;
      // A child stream runs whenever its parent ran in this pass: it needs the parent's keys.
      const bool parent_ran = !spec.parent.empty() && keys_by_parent.count(spec.parent) > 0;
      if (!due.count(spec.name) && !parent_ran) continue;
      if (shutdown_.requested) co_return ok;
      try {
        StreamRun run(spec);
        run.collect = collect_column_for(spec);
        const bool stream_ok = co_await run_stream(run, keys_by_parent);
        ok = ok && stream_ok;
        if (!run.collect.empty()) keys_by_parent[spec.name] = std::move(run.keys);
      } catch (const CredentialsRejected& e) {
        spdlog::error("source {}: {}", source_.name, e.what());
        co_return false;
      }
    }
    co_return ok;
  }

  bool selected(const std::string& stream) const {
    // A stream outside the catalog (liveagent variation_addons) is an internal child: it runs
    // whenever its parent is selected.
    if (!connectors::is_known_stream(source_.kind, stream)) {
      const StreamSpec* spec = find_stream_spec(source_.kind, stream);
      return spec != nullptr && !spec->parent.empty() && selected(spec->parent);
    }
    if (std::find(source_.streams.begin(), source_.streams.end(), stream) == source_.streams.end())
      return false;
    return request_.streams.empty() || std::find(request_.streams.begin(), request_.streams.end(),
                                                 stream) != request_.streams.end();
  }

 private:
  // The column a stream must collect: its detail key, or what a selected child needs.
  std::string collect_column_for(const StreamSpec& spec) const {
    if (!spec.details.empty()) return spec.details.front().key_column;
    for (const auto& other : stream_specs(source_.kind))
      if (other.parent == spec.name && selected(other.name)) return other.parent_key;
    return {};
  }

  // ---- requests ----

  std::string url(const std::string& path_template, const Params& params,
                  const std::string& key = {}) const {
    std::string path = path_template;
    auto replace = [&](const std::string& placeholder, const std::string& value) {
      for (auto pos = path.find(placeholder); pos != std::string::npos;
           pos = path.find(placeholder)) {
        std::string encoded;
        append_encoded(encoded, value);
        path.replace(pos, placeholder.size(), encoded);
      }
    };
    replace("{reseller}", source_.reseller);
    replace("{parent}", key);
    replace("{key}", key);
    std::string out = source_.base_url + path;
    char sep = '?';
    auto add = [&](const std::string& name, const std::string& value) {
      out.push_back(sep);
      sep = '&';
      out += name;
      out.push_back('=');
      append_encoded(out, value);
    };
    for (const auto& [name, value] : params) add(name, value);
    // LiveAgent authenticates with a query parameter (../shared/api-docs/003): this URL is a
    // secret from here on and is only ever logged through obs::redact.
    if (source_.kind == SourceKind::liveagent_reseller) add("apikey", source_.secret);
    return out;
  }

  http::Request request(std::string url) const {
    http::Request r;
    r.url = std::move(url);
    r.headers.push_back({"Accept", "application/json"});
    if (source_.kind == SourceKind::livechat_partner)
      r.headers.push_back({"Authorization", "Bearer " + source_.secret});
    return r;
  }

  // The message of a LiveAgent error envelope in an error body, if there is one.
  static std::string envelope_message(const std::string& body) {
    if (body.empty()) return {};
    try {
      simdjson::dom::parser parser;
      simdjson::dom::element doc = parser.parse(body);
      std::string_view message = doc["response"]["errormessage"];
      return std::string(message);
    } catch (const simdjson::simdjson_error&) {
      return {};
    }
  }

  // GETs `path_index`'s path (then the deprecated ones on 404). Errors are classified into the
  // exceptions above; body_too_large comes back as an empty optional for the caller to split.
  awaitable<std::optional<http::Response>> fetch(StreamRun& run, const EndpointSpec& endpoint,
                                                 const Params& params, std::string& used_url,
                                                 const std::string& key = {},
                                                 bool not_found_is_empty = false,
                                                 std::size_t body_limit = 0) {
    for (std::size_t i = run.path_index; i < endpoint.paths.size(); ++i) {
      if (shutdown_.requested) throw Cancelled();
      used_url = url(endpoint.paths[i], params, key);
      http::Request req = request(used_url);
      req.max_body_bytes = body_limit;
      auto result = co_await client_.get(std::move(req));
      ++run.totals.http_requests;
      // Any HTTP answer but 401 means the credentials were accepted (see windows()).
      if (result ||
          (result.error().kind == http::ErrorKind::http_status && result.error().status != 401))
        credentials_confirmed_ = true;
      if (result) {
        run.totals.bytes_received += static_cast<std::int64_t>(result->body.size());
        if (i != run.path_index) {
          spdlog::info("source {} stream {}: using deprecated path {}", source_.name, run.spec.name,
                       endpoint.paths[i]);
          run.path_index = i;
        }
        co_return std::move(*result);
      }
      const http::Error& error = result.error();
      if (error.kind == http::ErrorKind::http_status && error.status == 404) {
        if (i + 1 < endpoint.paths.size()) continue;
        if (not_found_is_empty) co_return http::Response{};
      }
      if (error.kind == http::ErrorKind::body_too_large) co_return std::nullopt;
      std::string message = error.message;
      const auto upstream = envelope_message(error.body);
      if (!upstream.empty()) message += " (upstream: " + upstream + ")";
      if (error.kind == http::ErrorKind::http_status && error.status == 401)
        throw CredentialsRejected("credentials rejected: " + message);
      if (error.kind == http::ErrorKind::http_status && error.status == 403 &&
          run.spec.forbidden_is_not_applicable)
        throw NotApplicable(message);
      if (error.kind == http::ErrorKind::cancelled) throw Cancelled();
      throw WindowFailed(message);
    }
    throw WindowFailed("no path left to try");
  }

  // Parses into `out`; an unusable body goes to sync.quarantine and fails the window.
  awaitable<ParseOutcome> parse(StreamRun& run, const EndpointSpec& endpoint,
                                const http::Response& response, const std::string& used_url,
                                const ParseContext& context, std::string& out) {
    ParseOutcome outcome;
    std::string error;
    bool credentials = false;
    try {
      if (run.spec.split_body != nullptr) {
        std::string body = "{\"result\":[";
        try {
          const auto records = run.spec.split_body(response.body);
          for (std::size_t i = 0; i < records.size(); ++i) body += (i ? "," : "") + records[i];
        } catch (const std::exception& e) {
          throw BodyError(e.what());
        }
        body += "]}";
        const EndpointSpec split{endpoint.paths, Envelope::result_array, "", endpoint.constants};
        outcome = run.parser.parse(body, split, context, out, run.collect);
      } else {
        outcome = run.parser.parse(response.body, endpoint, context, out, run.collect);
      }
    } catch (const UpstreamErrorEnvelope& e) {
      error = e.what();
      credentials = e.status_code() == 401;
    } catch (const BodyError& e) {
      error = e.what();
    }
    if (!error.empty()) {
      co_await quarantine(run, used_url, response.status, error, response.body);
      if (credentials) throw CredentialsRejected("credentials rejected: " + error);
      throw WindowFailed(obs::redact(used_url) + ": " + error);
    }
    for (const auto& rejected : outcome.rejected)
      co_await quarantine(run, used_url, response.status, rejected.reason, rejected.raw);
    // Logged once per run by run_stream (issue 5), not once per window or parent: an account
    // with a bad datetime must not flood the log at every child request.
    if (!outcome.problems.empty() && run.first_invalid.empty())
      run.first_invalid = outcome.problems.front();
    run.totals.invalid_values += static_cast<std::int64_t>(outcome.invalid_values);
    co_return outcome;
  }

  awaitable<void> quarantine(StreamRun& run, const std::string& used_url, unsigned status,
                             const std::string& reason, const std::string& body) {
    const std::string source = source_.name, stream = run.spec.name;
    const std::int64_t run_id = run.run_id;
    auto work = [=](SyncStore& s) {
      s.quarantine(source, stream, run_id, used_url, status, reason, body);
      return 0;
    };
    co_await db_.run(std::move(work));
  }

  awaitable<db::WriteCounts> commit(StreamRun& run, std::string copy_text, std::int64_t rows,
                                    std::optional<DateRange> window,
                                    std::optional<DateRange> backfill) {
    WindowCommit w{source_.name, run.spec.name, source_.timezone, window, backfill};
    const db::TableLayout& layout = run.layout;
    auto work = [&layout, text = std::move(copy_text), rows, w](SyncStore& s) mutable {
      return s.commit(layout, text, rows, w);
    };
    auto counts = co_await db_.run(std::move(work));
    run.totals.rows_received += rows;
    run.totals.rows_inserted += counts.inserted;
    run.totals.rows_updated += counts.updated;
    run.totals.rows_unchanged += counts.unchanged;
    co_return counts;
  }

  // ---- windows ----

  Params window_params(const StreamSpec& spec, DateRange w) const {
    if (spec.param_format == StreamSpec::ParamFormat::datetime) {
      return {{spec.from_param, format_day(w.from) + " 00:00:00"},
              {spec.to_param, format_day(w.to) + " 23:59:59"}};
    }
    return {{spec.from_param, format_day(w.from)}, {spec.to_param, format_day(w.to)}};
  }

  // Fetches the details of the listed records and returns the rows to write.
  awaitable<std::string> with_details(StreamRun& run, std::string list_rows,
                                      const std::vector<std::string>& keys) {
    const DetailSpec& detail = run.spec.details.front();
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < list_rows.size();) {
      const auto end = list_rows.find('\n', start);
      lines.emplace_back(list_rows.data() + start, end - start + 1);
      start = end + 1;
    }
    std::vector<std::string> detail_rows(keys.size());
    const auto ex = co_await asio::this_coro::executor;
    WaitGroup group(ex);
    const Params no_params;
    const ParseContext context{source_.name, "", ""};
    const EndpointSpec endpoint{{detail.path}, detail.envelope, "", {}};
    for (std::size_t i = 0; i < keys.size(); ++i) {
      group.add();
      asio::co_spawn(
          ex,
          [&, i]() -> awaitable<void> {
            std::string used_url;
            StreamRun& r = run;
            const std::size_t saved = r.path_index;
            r.path_index = 0;
            auto response = co_await fetch(r, endpoint, no_params, used_url, keys[i], true);
            r.path_index = saved;
            if (!response) throw WindowFailed(obs::redact(used_url) + ": body too large");
            if (response->status == 0) {  // 404: the license went away; keep the list record
              detail_rows[i] = std::string(lines[i]);
              co_return;
            }
            co_await parse(r, endpoint, *response, used_url, context, detail_rows[i]);
          },
          [&group](const std::exception_ptr& e) { group.done(e); });
    }
    co_await group.wait();
    std::string out;
    for (auto& row : detail_rows) out += row;
    co_return out;
  }

  // One window with adaptive splitting; commits each piece as it completes.
  awaitable<void> window(StreamRun& run, DateRange range, std::optional<DateRange> backfill) {
    std::vector<DateRange> todo;
    if (run.learned_days > 0 && range.days() > run.learned_days) {
      todo = chunk_ranges({range}, run.learned_days);
      std::reverse(todo.begin(), todo.end());
    } else {
      todo.push_back(range);
    }
    const EndpointSpec& endpoint = run.spec.endpoints.front();
    while (!todo.empty()) {
      if (shutdown_.requested) throw Cancelled();
      const DateRange w = todo.back();
      todo.pop_back();
      std::string used_url;
      const Params params = window_params(run.spec, w);
      const std::string no_key;
      // A one-day window cannot be split: it may use the whole http.max_body.
      const std::size_t limit = w.days() > 1 ? kWindowByteLimit : 0;
      auto response = co_await fetch(run, endpoint, params, used_url, no_key, false, limit);
      bool too_big = !response;
      std::string rows_text;
      ParseOutcome outcome;
      if (!too_big) {
        const std::string day = format_day(w.from);
        const std::string_view window_day =
            run.spec.mode == SyncMode::daily_report ? std::string_view(day) : std::string_view();
        const ParseContext context{source_.name, window_day, ""};
        outcome = co_await parse(run, endpoint, *response, used_url, context, rows_text);
        too_big = outcome.rows > kWindowRowLimit;
      }
      if (too_big) {
        if (w.days() == 1) {
          if (!response)
            throw WindowFailed(obs::redact(used_url) +
                               ": one day's response exceeds http.max_body");
        } else {
          const auto [first, second] = split_range(w);
          run.learned_days = first.days();
          spdlog::debug("source {} stream {}: window {}..{} too large, split in two", source_.name,
                        run.spec.name, format_day(w.from), format_day(w.to));
          todo.push_back(second);
          todo.push_back(first);
          continue;
        }
      }
      response.reset();  // the body is no longer needed: keep memory to the rows
      if (!run.spec.details.empty())
        rows_text = co_await with_details(run, std::move(rows_text), outcome.collected);
      if (!run.collect.empty())
        for (auto& k : outcome.collected) run.keys.push_back(std::move(k));
      co_await commit(run, std::move(rows_text), static_cast<std::int64_t>(outcome.rows), w,
                      backfill);
      progress_.window_done(static_cast<std::int64_t>(outcome.rows));
    }
  }

  // One window; its failure is logged and recorded while the other windows go on.
  awaitable<void> window_or_fail(StreamRun& run, DateRange w, std::optional<DateRange> backfill) {
    try {
      co_await window(run, w, backfill);
    } catch (const WindowFailed& e) {
      spdlog::error("source {} stream {} window {}..{}: {}", source_.name, run.spec.name,
                    format_day(w.from), format_day(w.to), e.what());
      run.fail(e.what());
    }
  }

  awaitable<void> windows(StreamRun& run, std::vector<DateRange> plan,
                          std::optional<DateRange> backfill) {
    std::deque<DateRange> queue(plan.begin(), plan.end());
    const auto ex = co_await asio::this_coro::executor;
    // Until upstream has accepted this source's credentials, the first window goes alone: a
    // wrong token then costs one request (its 401 stops the source), not one per worker.
    // (Found by tests/e2e WrongTokenFailsWithOneLineAndOneRequest.)
    if (!credentials_confirmed_ && !queue.empty() && !shutdown_.requested) {
      const DateRange w = queue.front();
      queue.pop_front();
      co_await window_or_fail(run, w, backfill);
    }
    WaitGroup group(ex);
    const int workers =
        std::max(1, std::min<int>(config_.sync.concurrency, static_cast<int>(queue.size())));
    for (int i = 0; i < workers; ++i) {
      group.add();
      asio::co_spawn(
          ex,
          [&]() -> awaitable<void> {
            while (!queue.empty() && !shutdown_.requested) {
              const DateRange w = queue.front();
              queue.pop_front();
              co_await window_or_fail(run, w, backfill);
            }
          },
          [&group](const std::exception_ptr& e) { group.done(e); });
    }
    co_await group.wait();
  }

  // full_list and snapshot: every endpoint once, one commit.
  awaitable<void> whole(StreamRun& run) {
    std::string rows_text;
    std::int64_t rows = 0;
    const Params no_params;
    const ParseContext context{source_.name, "", ""};
    for (const auto& endpoint : run.spec.endpoints) {
      run.path_index = 0;
      std::string used_url;
      auto response = co_await fetch(run, endpoint, no_params, used_url);
      if (!response) throw WindowFailed(obs::redact(used_url) + ": body exceeds http.max_body");
      auto outcome = co_await parse(run, endpoint, *response, used_url, context, rows_text);
      rows += static_cast<std::int64_t>(outcome.rows);
      if (!run.collect.empty())
        for (auto& k : outcome.collected) run.keys.push_back(std::move(k));
    }
    const std::optional<DateRange> none;
    co_await commit(run, std::move(rows_text), rows, none, none);
  }

  // per_parent: the parents synced in this run, in batches.
  awaitable<void> children(StreamRun& run, const std::vector<std::string>& parents) {
    const EndpointSpec& endpoint = run.spec.endpoints.front();
    for (std::size_t start = 0; start < parents.size(); start += kChildBatch) {
      if (shutdown_.requested) throw Cancelled();
      const std::size_t end = std::min(parents.size(), start + kChildBatch);
      std::vector<std::string> texts(end - start);
      std::vector<std::int64_t> counts(end - start, 0);
      const auto ex = co_await asio::this_coro::executor;
      const Params no_params;
      WaitGroup group(ex);
      for (std::size_t i = start; i < end; ++i) {
        group.add();
        asio::co_spawn(
            ex,
            [&, i]() -> awaitable<void> {
              std::string used_url;
              auto response = co_await fetch(run, endpoint, no_params, used_url, parents[i], true);
              if (!response) throw WindowFailed(obs::redact(used_url) + ": body too large");
              if (response->status == 0) co_return;  // the parent went away upstream
              const ParseContext context{source_.name, "", parents[i]};
              auto outcome =
                  co_await parse(run, endpoint, *response, used_url, context, texts[i - start]);
              counts[i - start] = static_cast<std::int64_t>(outcome.rows);
            },
            [&group](const std::exception_ptr& e) { group.done(e); });
      }
      co_await group.wait();
      std::string all;
      std::int64_t rows = 0;
      for (std::size_t i = 0; i < texts.size(); ++i) {
        all += texts[i];
        rows += counts[i];
      }
      const std::optional<DateRange> none;
      co_await commit(run, std::move(all), rows, none, none);
    }
  }

  awaitable<bool> run_stream(StreamRun& run,
                             const std::map<std::string, std::vector<std::string>>& keys) {
    const auto& spec = run.spec;
    const std::string source = source_.name, stream = spec.name;
    auto read_state = [=](SyncStore& s) { return s.state(source, stream); };
    const auto state = co_await db_.run(std::move(read_state));
    const auto now = std::chrono::system_clock::now();
    if (state.not_applicable && request_.mode != RunMode::backfill && state.not_applicable_since &&
        now - *state.not_applicable_since < kNotApplicableRetry) {
      spdlog::debug("source {} stream {}: not applicable, skipped", source, stream);
      co_return true;
    }

    const bool windowed =
        spec.mode == SyncMode::created_windows || spec.mode == SyncMode::daily_report;
    const int window_days =
        spec.mode == SyncMode::daily_report
            ? 1
            : std::max<int>(1, static_cast<int>(config_.sync.window.count() / 86400));
    const Day today = std::chrono::floor<std::chrono::days>(now);
    bool full_refresh = false;
    bool first_complete = false;
    std::vector<DateRange> plan;
    std::optional<DateRange> backfill;
    std::string mode = "incremental";
    if (windowed && request_.mode == RunMode::backfill && request_.backfill) {
      backfill = request_.backfill;
      mode = "backfill";
      auto read_done = [=, range = *backfill](SyncStore& s) {
        return s.backfill_done(source, stream, range);
      };
      const auto done = co_await db_.run(std::move(read_done));
      plan = plan_backfill(*backfill, done, window_days);
    } else if (windowed) {
      auto read_coverage = [=](SyncStore& s) { return s.coverage(source, stream); };
      const auto coverage = co_await db_.run(std::move(read_coverage));
      // The full-refresh clock starts when a run first leaves no gap (a first sync, or the
      // incremental run after a backfill): a backfilled database is not read twice.
      full_refresh = spec.mode == SyncMode::created_windows && state.last_full_refresh_at &&
                     now - *state.last_full_refresh_at >= config_.sync.full_refresh;
      first_complete = spec.mode == SyncMode::created_windows && !state.last_full_refresh_at;
      if (full_refresh) mode = "full_refresh";
      plan = plan_incremental({source_.start_date, today, coverage,
                               static_cast<int>(config_.sync.lookback.count() / 86400),
                               full_refresh, window_days});
    }
    progress_.planned(plan.size());
    std::optional<DateRange> overall;
    if (!plan.empty()) overall = DateRange{plan.front().from, plan.back().to};
    auto start = [=](SyncStore& s) { return s.start_run(source, stream, mode, overall); };
    run.run_id = co_await db_.run(std::move(start));

    RunStatus status = RunStatus::succeeded;
    std::string error;
    std::exception_ptr rejected;
    try {
      try {
        if (windowed) {
          co_await windows(run, plan, backfill);
        } else if (spec.mode == SyncMode::per_parent) {
          const auto it = keys.find(spec.parent);
          if (it != keys.end()) co_await children(run, it->second);
        } else {
          co_await whole(run);
        }
        if (shutdown_.requested) throw Cancelled();
      } catch (const WindowFailed& e) {
        run.fail(e.what());
      }
      if (run.failed) {
        status = RunStatus::failed;
        error = run.first_error;
      }
    } catch (const NotApplicable& e) {
      status = RunStatus::not_applicable;
      error = e.what();
      spdlog::info("source {} stream {}: not applicable ({})", source, stream, e.what());
    } catch (const Cancelled&) {
      status = RunStatus::cancelled;
      error = "cancelled by shutdown";
    } catch (const CredentialsRejected& e) {
      status = RunStatus::failed;
      error = e.what();
      rejected = std::current_exception();
    }
    if (run.totals.invalid_values > 0) {
      spdlog::warn("source {} stream {}: {} invalid value(s) stored as NULL (kept in raw), e.g. {}",
                   source, stream, run.totals.invalid_values, run.first_invalid);
    }
    if (rejected) {  // recorded, then the whole source stops: no retry storm on a bad token
      const RunTotals totals = run.totals;
      const std::int64_t run_id = run.run_id;
      auto record = [=](SyncStore& s) {
        s.finish_run(run_id, totals, RunStatus::failed, error);
        s.record_outcome(source, stream, RunStatus::failed, error, false, std::nullopt);
        return 0;
      };
      co_await db_.run(std::move(record));
      std::rethrow_exception(rejected);
    }
    if (status == RunStatus::failed)
      spdlog::error("source {} stream {}: {}", source, stream, error);
    const RunTotals totals = run.totals;
    const std::int64_t run_id = run.run_id;
    const bool refreshed = (full_refresh || first_complete) && status == RunStatus::succeeded;
    const bool backfill_done = backfill && status == RunStatus::succeeded;
    std::optional<TimePoint> next;
    if (request_.mode == RunMode::daemon) next = now + interval_of(stream);
    auto record = [=](SyncStore& s) {
      s.finish_run(run_id, totals, status, status == RunStatus::succeeded ? "" : error);
      s.record_outcome(source, stream, status, status == RunStatus::succeeded ? "" : error,
                       refreshed, next);
      if (backfill_done) s.finish_backfill(source, stream);
      return 0;
    };
    co_await db_.run(std::move(record));
    spdlog::info("source {} stream {}: {} ({} received, {} inserted, {} updated, {} requests)",
                 source, stream,
                 status == RunStatus::succeeded        ? "synced"
                 : status == RunStatus::not_applicable ? "not applicable"
                 : status == RunStatus::cancelled      ? "cancelled"
                                                       : "failed",
                 totals.rows_received, totals.rows_inserted, totals.rows_updated,
                 totals.http_requests);
    co_return status == RunStatus::succeeded || status == RunStatus::not_applicable;
  }

 public:
  std::chrono::seconds interval_of(const std::string& stream) const {
    const auto it = config_.sync.stream_intervals.find(stream);
    return it != config_.sync.stream_intervals.end() ? it->second : config_.sync.interval;
  }

  void close_idle_connections() {
    client_.close_idle();
    db_.close_idle();
  }

 private:
  const config::Config& config_;
  const config::Source& source_;
  Database& db_;
  Shutdown& shutdown_;
  Progress& progress_;
  const RunRequest& request_;
  http::Client client_;
  bool credentials_confirmed_ = false;  // an answer other than 401 came from upstream
};

std::vector<const config::Source*> sources_of(const config::Config& config,
                                              const RunRequest& request) {
  if (!request.sources.empty()) return request.sources;
  std::vector<const config::Source*> out;
  for (const auto& s : config.sources) out.push_back(&s);
  return out;
}

std::set<std::string> all_streams(const config::Source& source) {
  return {source.streams.begin(), source.streams.end()};
}

// Daemon mode for one source: run what is due, sleep until the next stream is due.
awaitable<void> daemon_loop(SourceRunner& runner, const config::Source& source,
                            Shutdown& shutdown) {
  std::map<std::string, Clock::time_point> next_due;
  std::mt19937_64 random(std::random_device{}());
  for (const auto& s : source.streams) next_due[s] = Clock::now();
  while (!shutdown.requested) {
    std::set<std::string> due;
    const auto now = Clock::now();
    for (const auto& [stream, at] : next_due)
      if (at <= now) due.insert(stream);
    if (!due.empty()) {
      try {
        co_await runner.pass(due);
      } catch (const db::DatabaseUnavailable& e) {
        // PostgreSQL restarting or down: say so and try again at the next interval.
        spdlog::error("source {}: {}", source.name, e.what());
      }
      for (const auto& stream : due) {
        const auto interval = runner.interval_of(stream);
        // +-10% jitter so that many streams and sources do not fire together.
        std::uniform_real_distribution<double> jitter(0.9, 1.1);
        next_due[stream] =
            Clock::now() +
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                static_cast<double>(interval.count()) * jitter(random)));
      }
    }
    auto earliest = Clock::time_point::max();
    for (const auto& [stream, at] : next_due) earliest = std::min(earliest, at);
    if (!due.empty()) {
      // A long sleep outlasts any server's keep-alive: close the HTTP connections now (their
      // TLS state goes with them) and the database's (libpq's buffers, an idle backend on the
      // server), and give the window buffers back, so an idle daemon stays small.
      if (earliest - Clock::now() > std::chrono::minutes(1)) runner.close_idle_connections();
      malloc_trim(0);
    }
    co_await sleep_for(shutdown, earliest - Clock::now());
  }
}

}  // namespace

int run_engine(const config::Config& config, const RunRequest& request) {
  Database db(config.database_url, config.database_connections);
  db.store().migrate();  // throws DatabaseUnavailable when the database cannot be reached

  asio::io_context ioc(1);
  Shutdown shutdown;
  Progress progress(request.mode == RunMode::backfill);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: finishing the windows in flight, then exiting", signal);
    shutdown.request();
  });

  const auto sources = sources_of(config, request);
  std::vector<std::unique_ptr<SourceRunner>> runners;
  runners.reserve(sources.size());
  for (const auto* s : sources)
    runners.push_back(std::make_unique<SourceRunner>(config, *s, db, shutdown, progress, request,
                                                     ioc.get_executor()));

  bool ok = true;
  bool unavailable = false;
  int remaining = static_cast<int>(runners.size());
  for (std::size_t i = 0; i < runners.size(); ++i) {
    SourceRunner& runner = *runners[i];
    const config::Source& source = *sources[i];
    asio::co_spawn(
        ioc,
        [&]() -> awaitable<bool> {
          if (request.mode == RunMode::daemon) {
            co_await daemon_loop(runner, source, shutdown);
            co_return true;
          }
          const auto streams = all_streams(source);
          co_return co_await runner.pass(streams);
        },
        [&](const std::exception_ptr& e, bool source_ok) {
          if (e) {
            try {
              std::rethrow_exception(e);
            } catch (const db::DatabaseUnavailable& error) {
              spdlog::error("{}", error.what());
              unavailable = true;
            } catch (const std::exception& error) {
              spdlog::error("source {}: {}", source.name, obs::redact(error.what()));
            }
            source_ok = false;
          }
          ok = ok && source_ok;
          if (--remaining == 0) signals.cancel();
        });
  }
  if (runners.empty()) signals.cancel();
  ioc.run();
  progress.finish();
  if (unavailable) return 69;
  if (request.mode == RunMode::daemon) return 0;  // stopped by a signal, as asked
  return ok ? 0 : 1;
}

std::vector<SourceCheck> check_sources(const config::Config& config,
                                       const std::vector<const config::Source*>& sources) {
  asio::io_context ioc(1);
  std::vector<SourceCheck> checks;
  auto options = client_options(config);
  options.retries = 0;
  http::Client client(ioc.get_executor(), options);
  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        for (const auto* s : sources) {
          SourceCheck check{s->name, false, {}};
          std::string url;
          http::Request r;
          if (s->kind == SourceKind::livechat_partner) {
            // /v2/partners/status says whether the API is up (it needs no token); stats, a
            // small authenticated read, says whether the token is accepted.
            http::Request status;
            status.url = s->base_url + "/v2/partners/status";
            auto up = co_await client.get(std::move(status));
            if (!up) {
              check.detail = up.error().message;
              checks.push_back(std::move(check));
              continue;
            }
            url = s->base_url + "/v2/partners/stats";
            r.headers.push_back({"Authorization", "Bearer " + s->secret});
          } else {
            std::string reseller;
            append_encoded(reseller, s->reseller);
            url = s->base_url + "/api/resellers/" + reseller + "/variations?apikey=";
            append_encoded(url, s->secret);
          }
          r.url = url;
          auto result = co_await client.get(r);
          if (result) {
            check.ok = true;
            check.detail = s->kind == SourceKind::livechat_partner
                               ? "API up (/v2/partners/status), token accepted (HTTP " +
                                     std::to_string(result->status) + " from " + obs::redact(url) +
                                     ")"
                               : "API key accepted (HTTP " + std::to_string(result->status) +
                                     " from " + obs::redact(url) + ")";
          } else {
            check.detail = result.error().message;
          }
          checks.push_back(std::move(check));
        }
      },
      asio::detached);
  ioc.run();
  return checks;
}

}  // namespace partnersync::sync
