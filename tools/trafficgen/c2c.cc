#include "c2c.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace vnet::trafficgen {
namespace {

int pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

}  // namespace

Result<C2cReport> measure_c2c(const C2cOptions& options) {
  if (options.cpu_a == options.cpu_b) {
    return Status::error("c2c: the two CPUs must differ");
  }
  if (options.iterations == 0) {
    return Status::error("c2c: at least one iteration");
  }
  // The line both threads write: b's turn when odd, a's when even.
  alignas(64) std::atomic<std::uint64_t> turn{0};
  std::atomic<int> b_ready{0};  // 1: on its CPU; -errno: could not get there
  const std::uint64_t n = options.iterations;

  if (int err = pin_self(options.cpu_a)) {
    return Status::error("c2c: cannot run on CPU " + std::to_string(options.cpu_a) + ": " +
                         std::strerror(err));
  }
  std::thread b([&] {
    if (int err = pin_self(options.cpu_b)) {
      b_ready.store(-err, std::memory_order_release);
      return;
    }
    b_ready.store(1, std::memory_order_release);
    for (std::uint64_t i = 0; i < n; ++i) {
      while (turn.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      turn.store(2 * i + 2, std::memory_order_release);
    }
  });
  int ready;
  while ((ready = b_ready.load(std::memory_order_acquire)) == 0) {
  }
  if (ready < 0) {
    b.join();
    return Status::error("c2c: cannot run on CPU " + std::to_string(options.cpu_b) + ": " +
                         std::strerror(-ready));
  }
  auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    turn.store(2 * i + 1, std::memory_order_release);
    while (turn.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  b.join();
  C2cReport report;
  report.cpu_a = options.cpu_a;
  report.cpu_b = options.cpu_b;
  report.iterations = options.iterations;
  report.round_trip_ns = std::chrono::duration<double, std::nano>(elapsed).count() / n;
  return report;
}

std::string to_json(const C2cReport& report) {
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "{\"cpus\":[%d,%d],\"iterations\":%u,\"round_trip_ns\":%.1f}", report.cpu_a,
                report.cpu_b, report.iterations, report.round_trip_ns);
  return buf;
}

}  // namespace vnet::trafficgen
