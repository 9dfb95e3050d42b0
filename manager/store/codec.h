#pragma once
// On-disk encodings of the store: the desired state (binary, versioned,
// checksummed) and a host's status (line-based text).
//
// Desired state, format 1. All integers little-endian; "varint" is unsigned
// LEB128 (at most 5 bytes for 32 bits, 10 for 64, no overlong forms).
//
//   header (16 bytes)
//     "VNET"            magic
//     u16 format        kCodecFormat; a newer format is refused, not guessed at
//     u16 reserved      0
//     u32 payload_len   exact length of what follows the header
//     u32 crc32c        CRC-32C (Castagnoli) of the payload
//   payload
//     varint generation, varint next_id
//     underlay:  u16 vxlan_port, u8 flags (bit0: mtu present), [u32 mtu]
//     hosts:     varint n, n x (str name, u8 role, u32 vtep, str underlay_interface)
//     networks:  varint n, n x (str name, u32 vni, prefix subnet)
//     groups:    varint n, n x (str name, varint n_rules, n_rules x rule)
//     endpoints: varint n, n x (str name, varint id, ref host, ref network,
//                str interface, mac, u32 ip, u8 flags (bit0: vlan present),
//                [u16 vlan], varint n_sg, n_sg x ref group, varint n_allowed,
//                n_allowed x prefix)
//     routers:   varint n, n x (str name,
//                  varint n_if, n_if x (ref network, u32 ip, u8 len, u8 flags
//                    (bit0: mac present), [mac]),
//                  varint n_routes, n_routes x (prefix destination, u32 next_hop))
//     rule:      u8 direction, u8 flags (bit0 protocol, bit1 port_min,
//                bit2 port_max, bit3 icmp_type, bit4 icmp_code, bit5
//                remote_cidr, bit6 remote_group), then the present fields in
//                that order: u8, u16, u16, u8, u8, prefix, str
//     str    = varint len, bytes
//     ref    = varint k: k > 0 names the (k-1)th host/network/group of the
//              lists above; k = 0 is followed by a str (a name that matches
//              none, which a validated topology never has). References repeat
//              for every endpoint, so this keeps 100k endpoints compact
//              without a general string table (whose hashing dominated).
//     prefix = u32 addr + u8 len (len <= 32, host bits zero); mac = 6 bytes
//
// Addresses are stored in host order as their numeric value (Ipv4::value).
// SourceLoc is not stored: after decode every loc is empty (a stored state is
// past validation, nothing points back into the YAML any more).
//
// decode is strict: every length is bounds-checked before use, counts are
// checked against the bytes left before anything is allocated, enums and
// flag bits are range-checked, trailing bytes are an error. Corrupt input
// yields an error Status, never a crash or a huge allocation.

#include <cstdint>
#include <string>
#include <string_view>

#include "store/store.h"
#include "util/result.h"

namespace vnet::store {

inline constexpr std::uint16_t kCodecFormat = 1;
inline constexpr std::size_t kCodecHeaderSize = 16;

// What the desired file holds: the state plus the id allocator, so an id
// freed by a removed endpoint is never handed out again.
struct EncodedState {
  StoredState state;
  std::uint32_t next_id = 1;  // lowest id never assigned; 0 means "no id"
  std::uint32_t crc = 0;      // the header's payload checksum: names this exact file
};

std::string encode_state(const StoredState& state, std::uint32_t next_id);
Result<EncodedState> decode_state(std::string_view bytes);

// The version a desired-state file names in its first bytes, read without
// checking the (whole-file) checksum: enough to tell whether a reader is
// current and which delta applies. Needs at least kCodecPeekSize bytes (or
// the whole file if shorter).
inline constexpr std::size_t kCodecPeekSize = kCodecHeaderSize + 10;
Result<StateVersion> peek_state_version(std::string_view head);

// Delta, format 1: how generation N-1 (base) became N (target). Written by
// the file store next to `desired` so a vnetd holding N-1 in memory never
// decodes the whole N. Same header as the state with magic "VNDL"; payload:
//
//   varint base_generation, u32 base_crc, varint generation, u32 crc
//   u8 flags (bit0: a list other than endpoints changed)
//   underlay, hosts, networks, groups (as in the state, always in full: small)
//   routers (as in the state)
//   removed:  varint n, n x (varint base index, str name)
//   modified: varint n, n x (varint base index, endpoint)
//   added:    varint n, n x endpoint        appended, in order
//
// Endpoint references resolve against the delta's own lists. The base index
// lets a reader find an endpoint without indexing 100k names; it is checked
// against the name, and any mismatch means "do the full load".
inline constexpr std::uint16_t kDeltaFormat = 1;

std::string encode_delta(const StateDelta& delta);
Result<StateDelta> decode_delta(std::string_view bytes);

// The non-endpoint parts of a topology in their stored encoding: equal bytes
// mean equal lists (source locations are not stored, so they do not count).
std::string encode_others(const topology::Topology& topo);

// CRC-32C of `data`, as stored in the header (exposed so tests can re-seal a
// deliberately corrupted payload and reach the structural checks behind it).
std::uint32_t crc32c(std::string_view data);

// Host status, one `key=value` per line, UTF-8, '\n'-terminated:
//
//   vnet-status=1
//   host=hv1
//   applied_generation=12
//   state=ok                    starting | ok | error
//   heartbeat_unix_ms=1700000000000
//   pid=4242
//   error=vm3-h: interface missing      zero or more, in order
//
// Values escape '\\' as "\\\\" and newline as "\\n". Unknown keys are ignored
// (a newer vnetd may add some); a missing or malformed known key is an error.
std::string encode_status(const HostStatus& status);
Result<HostStatus> decode_status(std::string_view text);

}  // namespace vnet::store
