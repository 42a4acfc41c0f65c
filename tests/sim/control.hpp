// The simulator's control endpoint (/__faults, /__requests, /__mutate, /__stats): lets scripts
// and out-of-process tests drive a running `partnersync-sim` the way in-process tests use the API.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/sim/simulator.hpp"

namespace partnersync::sim::control {

struct ControlResponse {
  unsigned status = 200;
  std::string body;  // JSON
};

// Answers a request for a control path; std::nullopt when `path` is not one.
std::optional<ControlResponse> handle(Simulator& simulator, std::string_view method,
                                      std::string_view path, std::string_view body);

// Parses the POST /__faults body. Throws std::invalid_argument with a message naming the field.
Fault parse_fault(std::string_view json);

// The request log as a JSON array; Authorization values are masked.
std::string requests_to_json(const std::vector<LoggedRequest>& requests);

}  // namespace partnersync::sim::control
