// The helpdesk declarations in run order, for the registry (connectors/registry.cpp).
#include "connectors/liveagent_helpdesk/helpdesk_streams.hpp"

namespace partnersync::connectors::liveagent_helpdesk {

std::vector<model::StreamSpec> helpdesk_stream_specs() {
  return {application_stream(),
          conversations_stream(),
          conversation_info_stream(),
          conversation_custom_fields_stream(),
          conversation_messages_stream(),
          conversation_tags_stream(),
          customers_stream(),
          customer_groups_stream(),
          agents_stream()};
}

}  // namespace partnersync::connectors::liveagent_helpdesk
