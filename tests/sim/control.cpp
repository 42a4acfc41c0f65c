// The control endpoint of `partnersync-sim`: JSON in (parsed with simdjson, unknown fields
// rejected), JSON out. Secrets in the request log are masked before they leave the process.
#include "tests/sim/control.hpp"

#include <chrono>

#include <simdjson.h>
#include <strings.h>

#include <cstdio>
#include <stdexcept>

#include "daemon/obs/json_text.hpp"
#include "daemon/obs/redact.hpp"

namespace partnersync::sim::control {
namespace {

std::string json_string(std::string_view text) { return obs::json_quoted(text); }

std::string error_body(std::string_view message) {
  return R"({"error":)" + json_string(message) + "}";
}

Fault::Kind parse_kind(std::string_view kind) {
  if (kind == "status") return Fault::Kind::status;
  if (kind == "delay") return Fault::Kind::delay;
  if (kind == "stall_body") return Fault::Kind::stall_body;
  if (kind == "close_mid_body") return Fault::Kind::close_mid_body;
  if (kind == "invalid_json") return Fault::Kind::invalid_json;
  if (kind == "body") return Fault::Kind::body;
  throw std::invalid_argument(
      "fault field 'kind' must be one of status, delay, stall_body, "
      "close_mid_body, invalid_json, body; got '" +
      std::string(kind) + "'");
}

// The Authorization scheme stays visible (tests check it); the credential never leaves.
std::string mask_header(std::string_view name, std::string_view value) {
  if (name.size() == 13 && strncasecmp(name.data(), "authorization", 13) == 0) {
    std::size_t space = value.find(' ');
    return space == std::string_view::npos ? "***" : std::string(value.substr(0, space)) + " ***";
  }
  return obs::redact(value);
}

// Query parameters that carry credentials upstream (LiveAgent's apikey, 003 "Authentication").
bool is_secret_parameter(std::string_view name) {
  for (std::string_view secret : {"apikey", "api_key", "token", "access_token", "password"}) {
    if (name.size() == secret.size() && strncasecmp(name.data(), secret.data(), name.size()) == 0)
      return true;
  }
  return false;
}

}  // namespace

Fault parse_fault(std::string_view json) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object))
    throw std::invalid_argument("fault must be a JSON object");
  Fault fault;
  auto bad = [](std::string_view field, const char* expected) {
    return std::invalid_argument("fault field '" + std::string(field) + "' must be " + expected);
  };
  try {
    for (auto field : object) {
      std::string_view key;
      if (field.unescaped_key().get(key)) throw std::invalid_argument("malformed fault JSON");
      auto value = field.value();
      if (key == "path") {
        std::string_view text;
        if (value.get_string().get(text)) throw bad(key, "a string");
        fault.path = std::string(text);
      } else if (key == "count") {
        std::int64_t count;
        if (value.get_int64().get(count) || count < 1 || count > 1'000'000)
          throw bad(key, "an integer from 1 to 1000000");
        fault.count = static_cast<int>(count);
      } else if (key == "kind") {
        std::string_view text;
        if (value.get_string().get(text)) throw bad(key, "a string");
        fault.kind = parse_kind(text);
      } else if (key == "status") {
        std::uint64_t status;
        if (value.get_uint64().get(status) || status < 100 || status > 599)
          throw bad(key, "an HTTP status from 100 to 599");
        fault.status = static_cast<unsigned>(status);
      } else if (key == "retry_after") {
        std::string_view text;
        std::int64_t seconds;
        if (!value.get_string().get(text)) {
          fault.retry_after = std::string(text);
        } else if (!value.get_int64().get(seconds)) {
          fault.retry_after = std::to_string(seconds);
        } else {
          throw bad(key, "a string or an integer");
        }
      } else if (key == "delay_ms") {
        std::int64_t ms;
        if (value.get_int64().get(ms) || ms < 0 || ms > 3'600'000)
          throw bad(key, "an integer from 0 to 3600000");
        fault.delay = std::chrono::milliseconds(ms);
      } else if (key == "body") {
        std::string_view text;
        if (value.get_string().get(text)) throw bad(key, "a string");
        fault.body = std::string(text);
      } else {
        throw std::invalid_argument(
            "unknown fault field '" + std::string(key) +
            "' (known: path, count, kind, status, retry_after, delay_ms, body)");
      }
    }
  } catch (const simdjson::simdjson_error&) {
    throw std::invalid_argument("malformed fault JSON");
  }
  return fault;
}

std::string requests_to_json(const std::vector<LoggedRequest>& requests) {
  std::string out = "[";
  for (const auto& r : requests) {
    if (out.size() > 1) out += ',';
    out += R"({"method":)" + json_string(r.method) + R"(,"target":)" +
           json_string(obs::redact(r.target)) + R"(,"path":)" + json_string(r.path) +
           R"(,"status":)" + std::to_string(r.status) + R"(,"fault":)" + json_string(r.fault) +
           R"(,"in_flight_at_start":)" +
           std::to_string(r.in_flight_at_start) + R"(,"connection_id":)" +
           std::to_string(r.connection_id) + R"(,"received_us":)" +
           std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                              r.received.time_since_epoch())
                              .count()) +
           R"(,"took_us":)" +
           std::to_string(r.answered < r.received
                              ? -1
                              : std::chrono::duration_cast<std::chrono::microseconds>(
                                    r.answered - r.received)
                                    .count()) +
           R"(,"query":[)";
    for (std::size_t i = 0; i < r.query.size(); ++i) {
      if (i) out += ',';
      out += "[" + json_string(r.query[i].first) + "," +
             json_string(is_secret_parameter(r.query[i].first) ? "***"
                                                               : obs::redact(r.query[i].second)) +
             "]";
    }
    out += R"(],"headers":[)";
    for (std::size_t i = 0; i < r.headers.size(); ++i) {
      if (i) out += ',';
      out += "[" + json_string(r.headers[i].first) + "," +
             json_string(mask_header(r.headers[i].first, r.headers[i].second)) + "]";
    }
    out += "]}";
  }
  return out + "]";
}

std::optional<ControlResponse> handle(Simulator& simulator, std::string_view method,
                                      std::string_view path, std::string_view body) {
  const ControlResponse ok{200, R"({"ok":true})"};
  auto not_allowed = [&] {
    return ControlResponse{
        405, error_body(std::string(method) + " is not allowed on " + std::string(path))};
  };
  try {
    if (path == "/__faults") {
      if (method == "POST") {
        simulator.add_fault(parse_fault(body));
        return ok;
      }
      if (method == "DELETE") {
        simulator.clear_faults();
        return ok;
      }
      return not_allowed();
    }
    if (path == "/__requests") {
      if (method == "GET") return ControlResponse{200, requests_to_json(simulator.requests())};
      if (method == "DELETE") {
        simulator.clear_requests();
        return ok;
      }
      return not_allowed();
    }
    if (path == "/__mutate") {
      if (method != "POST") return not_allowed();
      simulator.api().mutate(api::parse_mutation(body));
      return ok;
    }
    if (path == "/__stats") {
      if (method != "GET") return not_allowed();
      return ControlResponse{
          200, R"({"max_in_flight":)" + std::to_string(simulator.max_in_flight()) +
                   R"(,"requests":)" + std::to_string(simulator.requests().size()) + "}"};
    }
  } catch (const std::exception& e) {
    return ControlResponse{400, error_body(obs::redact(e.what()))};
  }
  return ControlResponse{404, error_body("unknown control path " + std::string(path) +
                                         " (known: /__faults, /__requests, /__mutate, /__stats)")};
}

}  // namespace partnersync::sim::control
