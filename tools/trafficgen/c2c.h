#pragma once
// The cache-line round trip between two CPUs: how far apart the hypervisor
// has placed them right now. On a VM the answer changes from one second to
// the next (two vCPUs behind one L3 or not), and with it the cost of every
// frame the generator hands from its CPU to the receiving path's.

#include <string>

#include "util/result.h"

namespace vnet::trafficgen {

struct C2cOptions {
  int cpu_a = 0;
  int cpu_b = 1;
  unsigned iterations = 20000;
};

struct C2cReport {
  int cpu_a = 0;
  int cpu_b = 0;
  unsigned iterations = 0;
  double round_trip_ns = 0;  // mean over the iterations
};

// Bounces one cache line between a thread on cpu_a and one on cpu_b.
Result<C2cReport> measure_c2c(const C2cOptions& options);
std::string to_json(const C2cReport& report);

}  // namespace vnet::trafficgen
