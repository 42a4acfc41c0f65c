// Turns one response body into COPY rows for a stream's table: finds the records (envelope),
// maps fields to typed columns, derives keys, keeps each record's JSON as `raw`. Everything it
// writes is what PostgreSQL accepts; what it cannot write is an invalid value or a rejected
// record, and a body that is not JSON as a whole is a BodyError.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/model/stream_spec.hpp"

namespace partnersync::sync {

using model::ColumnSpec;
using model::EndpointSpec;
using model::Envelope;
using model::Origin;
using model::StreamSpec;
using model::ValueType;

// The body as a whole cannot be used: not JSON, trailing content, wrong envelope, or an
// upstream error envelope. Nothing of it may be applied.
class BodyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// LiveAgent's {"response":{"status":"ERROR",...}} (with any HTTP status).
class UpstreamErrorEnvelope : public BodyError {
 public:
  UpstreamErrorEnvelope(int status_code, const std::string& message)
      : BodyError("upstream error " + std::to_string(status_code) + ": " + message),
        status_code_(status_code) {}
  int status_code() const { return status_code_; }

 private:
  int status_code_;
};

struct ParseContext {
  std::string_view source;
  std::string_view window_from;  // "YYYY-MM-DD": Origin::window_from
  std::string_view parent_key;   // Origin::parent_key
};

// A record that could not be made into a row (its key is missing or invalid, or its text holds
// what jsonb cannot: \u0000, a number beyond numeric): kept for sync.quarantine.
struct RejectedRecord {
  std::string raw;
  std::string reason;
};

struct ParseOutcome {
  std::size_t rows = 0;
  std::size_t invalid_values = 0;     // values stored as NULL because they were invalid
  std::vector<std::string> problems;  // the first few, e.g. `record 3: "paid": expected ...`
  std::vector<RejectedRecord> rejected;
  std::vector<std::string> collected;  // values of the collect column, one per row
};

class RecordParser {
 public:
  // The columns are the stream's own followed by those of its DetailSpecs, so list records
  // and detail records (Envelope::object) make rows of the same shape.
  explicit RecordParser(const StreamSpec& spec);
  ~RecordParser();
  RecordParser(RecordParser&&) noexcept;
  RecordParser& operator=(RecordParser&&) noexcept;

  // Column names of the rows parse() writes: source, the columns, raw.
  const std::vector<std::string>& column_names() const;

  // Parses `body` (capacity() >= size() + 64 avoids a copy) and appends one COPY text line per
  // record to `out`. Throws BodyError when the body cannot be used; `out` is then unchanged.
  // `collect` names a column whose values are returned in ParseOutcome::collected.
  ParseOutcome parse(const std::string& body, const EndpointSpec& endpoint,
                     const ParseContext& context, std::string& out, std::string_view collect = {});

  // The simdjson parser behind parse() is the thread's, shared by every RecordParser: this
  // frees its buffers (sized by the largest body read) for an idle daemon.
  static void release_shared_buffers();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace partnersync::sync
