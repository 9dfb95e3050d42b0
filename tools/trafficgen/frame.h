#pragma once
// The generator's template frame: parsing --frame-hex and checking that the
// flow field fits. Pure (no kernel), so its errors are exact.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace vnet::trafficgen {

// Ethernet header; anything shorter is not a frame.
inline constexpr std::size_t kMinFrameLen = 14;
// Live frames live in one page with XDP headroom and skb_shared_info
// tailroom; the kernel refuses larger frames in that mode.
inline constexpr std::size_t kMaxFrameLen = 3520;  // 4096 - 256 - 320 on x86_64

// Hex digits, two per byte, optionally after 0x; ':', '-', '.', '_' and
// whitespace between bytes are ignored, so `tcpdump -xx` or `xxd -p` output
// can be pasted. `option` names the source in errors.
Result<std::vector<std::uint8_t>> parse_hex(std::string_view hex, std::string_view option);

// parse_hex of --frame-hex, checked to be a frame live frames can send.
Result<std::vector<std::uint8_t>> parse_frame_hex(std::string_view hex);

// The big-endian 16-bit value at `offset` (the caller checked the bounds).
std::uint16_t read_be16(const std::vector<std::uint8_t>& frame, std::size_t offset);

}  // namespace vnet::trafficgen
