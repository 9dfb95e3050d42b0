#pragma once
// Owning pointers for libbpf skeletons: destroyed (programs, maps and links
// closed; pins and netlink attachments stay) exactly once on every path.

#include <memory>

namespace vnet::trafficgen {

template <auto Destroy>
struct SkelDeleter {
  template <typename T>
  void operator()(T* skel) const {
    Destroy(skel);
  }
};

template <typename T, auto Destroy>
using SkelPtr = std::unique_ptr<T, SkelDeleter<Destroy>>;

}  // namespace vnet::trafficgen
