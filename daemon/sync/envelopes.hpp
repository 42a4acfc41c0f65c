// Envelopes: where the records are in a response body (StreamSpec's Envelope), upstream error
// envelopes, and the body's fields around the records, checked as they are skipped.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "daemon/model/stream_spec.hpp"

namespace partnersync::sync {

// What an envelope hands its records to (RecordParser's record walk).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Each element of `records` is a record. `tier` is the digits of an old "tierN" group, or
  // empty.
  virtual void records(simdjson::ondemand::array records, std::string_view tier) = 0;
  // One record whose text is `raw`.
  virtual void record(simdjson::ondemand::object record, std::string_view raw) = 0;
};

// Reads the whole document through `endpoint.envelope`. Throws BodyError (or its
// UpstreamErrorEnvelope) for a body of the wrong shape, simdjson_error for one that is not JSON.
void read_envelope(simdjson::ondemand::document& doc, const model::EndpointSpec& endpoint,
                   RecordSink& sink);

}  // namespace partnersync::sync
