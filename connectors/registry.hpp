// The stream declarations of every source kind, in run order: what the engine and the config
// validation look streams up in. Defined in connectors/registry.cpp.
#pragma once

#include <string_view>
#include <vector>

#include "connectors/stream_catalog.hpp"
#include "daemon/model/stream_spec.hpp"

namespace partnersync::connectors {

// All streams of a kind, in run order (parents before children).
const std::vector<model::StreamSpec>& stream_specs(model::SourceKind kind);
const model::StreamSpec* find_stream_spec(model::SourceKind kind, std::string_view name);

}  // namespace partnersync::connectors
