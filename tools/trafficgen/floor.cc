#include "floor.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "abi.h"
#include "attach.h"
#include "skel.h"
#include "trafficgen_floor.skel.h"

namespace vnet::trafficgen {
namespace {

using FloorSkel = SkelPtr<trafficgen_floor, trafficgen_floor__destroy>;

constexpr std::size_t kEthHlen = 14;
constexpr std::size_t kIpHlen = 20;

const char* floor_prog_name(FloorMode mode) {
  switch (mode) {
    case FloorMode::kDecap:
      return "tg_floor_decap";
    case FloorMode::kEncap:
      return "tg_floor_encap";
    case FloorMode::kXdpEncap:
      return "tg_floor_xencap";
  }
  return "?";
}

bool is_xdp(FloorMode mode) { return mode != FloorMode::kEncap; }

std::uint16_t csum16(const std::uint8_t* p, std::size_t len) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) {
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum);
}

void put_be16(std::vector<std::uint8_t>& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

// The template tg_floor_encap expects: the per-packet fields zeroed and the
// IPv4 checksum computed with total length 0, so the program only adds the
// packet's length to it.
Result<std::vector<std::uint8_t>> encap_template(std::vector<std::uint8_t> outer) {
  if (outer.size() != TG_FLOOR_OUTER_LEN) {
    return Status::error("--outer: " + std::to_string(outer.size()) + " bytes, need " +
                         std::to_string(TG_FLOOR_OUTER_LEN) +
                         " (outer Ethernet, IPv4 without options, UDP, VXLAN)");
  }
  if (outer[12] != 0x08 || outer[13] != 0x00 || outer[kEthHlen] != 0x45 ||
      outer[kEthHlen + 9] != 17) {
    return Status::error("--outer: not Ethernet/IPv4 (20-byte header)/UDP");
  }
  put_be16(outer, TG_FLOOR_IP_TOT_LEN_OFF, 0);
  put_be16(outer, TG_FLOOR_UDP_LEN_OFF, 0);
  put_be16(outer, TG_FLOOR_IP_CHECK_OFF, 0);
  put_be16(outer, TG_FLOOR_IP_CHECK_OFF, csum16(outer.data() + kEthHlen, kIpHlen));
  return outer;
}

}  // namespace

Status floor_attach(const FloorOptions& options) {
  auto dev = find_interface(options.dev);
  if (!dev) {
    return dev.status();
  }
  auto out = find_interface(options.out);
  if (!out) {
    return out.status();
  }
  std::vector<std::uint8_t> outer;
  if (options.mode != FloorMode::kDecap) {
    auto tmpl = encap_template(options.outer);
    if (!tmpl) {
      return tmpl.status();
    }
    outer = std::move(*tmpl);
  }
  FloorSkel skel(trafficgen_floor__open());
  if (!skel) {
    return Status::os_error("open the floor's BPF object", errno);
  }
  bpf_program* keep = options.mode == FloorMode::kDecap   ? skel->progs.tg_floor_decap
                       : options.mode == FloorMode::kEncap ? skel->progs.tg_floor_encap
                                                           : skel->progs.tg_floor_xencap;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel->obj) {
    bpf_program__set_autoload(prog, prog == keep);
  }
  skel->rodata->out_ifindex = out->ifindex;
  static_assert(sizeof(skel->rodata->outer) == TG_FLOOR_OUTER_LEN);
  if (!outer.empty()) {
    std::memcpy(skel->rodata->outer, outer.data(), outer.size());
  }
  int err = trafficgen_floor__load(skel.get());
  if (err != 0) {
    return Status::os_error(std::string("load ") + floor_prog_name(options.mode), -err);
  }
  if (is_xdp(options.mode)) {
    return attach_xdp(*dev, bpf_program__fd(keep));
  }
  return attach_tc_ingress(*dev, bpf_program__fd(keep));
}

Status floor_detach(const std::string& dev_name, FloorMode mode) {
  auto dev = find_interface(dev_name);
  if (!dev) {
    return dev.status();
  }
  return is_xdp(mode) ? detach_xdp(*dev, floor_prog_name(mode))
                      : detach_tc_ingress(*dev, floor_prog_name(mode));
}

}  // namespace vnet::trafficgen
