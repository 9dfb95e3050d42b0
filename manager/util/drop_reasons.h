#pragma once
// Names of the datapath's drop reasons (enum vnet_drop_reason in abi.h), as
// shown by `vnetctl stats` and in logs: snake_case, stable, one per reason.

#include <cstdint>
#include <optional>
#include <string_view>

#include "vnet/abi.h"

namespace vnet {

// "spoof_ip" for VNET_DROP_SPOOF_IP; "unknown" for a value outside the enum
// (a newer datapath counting a reason this build does not know).
std::string_view drop_reason_name(std::uint32_t reason);

// The inverse, for tests and filters: nullopt for an unknown name.
std::optional<vnet_drop_reason> drop_reason_from_name(std::string_view name);

}  // namespace vnet
