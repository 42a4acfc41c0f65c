// Forwarding header for the engine: the declaration types now live in daemon/model (ps_model)
// and the registry in connectors/registry.hpp; these names keep engine code compiling unchanged.
#pragma once

#include "connectors/registry.hpp"
#include "daemon/model/stream_spec.hpp"

namespace partnersync::sync {

using connectors::find_stream_spec;
using connectors::stream_specs;
using model::ColumnSpec;
using model::DetailSpec;
using model::EndpointSpec;
using model::Envelope;
using model::KeyDerivation;
using model::KeyDeriver;
using model::Origin;
using model::SourceKind;
using model::StreamSpec;
using model::SyncMode;
using model::ValueType;

}  // namespace partnersync::sync
