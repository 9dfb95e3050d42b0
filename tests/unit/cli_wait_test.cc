// apply --wait: when is a generation applied, failed, or still pending?

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/wait.h"

namespace vnet::cli {
namespace {

using store::HostState;
using store::HostStatus;

constexpr std::int64_t kNow = 1'700'000'000'000;
constexpr std::int64_t kCommit = kNow - 100;
const std::vector<std::string> kHosts = {"hv1", "hv2", "hv3"};

HostStatus status(const std::string& host, std::uint64_t gen, HostState state,
                  std::int64_t heartbeat = kNow - 200, std::vector<std::string> errors = {}) {
  HostStatus s;
  s.host = host;
  s.applied_generation = gen;
  s.state = state;
  s.heartbeat_unix_ms = heartbeat;
  s.errors = std::move(errors);
  s.pid = 1;
  return s;
}

TEST(WaitTest, CompleteWhenEveryLiveHostReachedTheGeneration) {
  const auto c = check_wait(kHosts, 5,
                            {status("hv1", 5, HostState::kOk), status("hv2", 6, HostState::kOk),
                             status("hv3", 5, HostState::kOk, kNow - store::kLivenessTimeoutMs)},
                            kNow, kCommit);
  EXPECT_TRUE(c.complete());
  EXPECT_EQ(c.done, (std::vector<std::string>{"hv1", "hv2"}));
  EXPECT_EQ(c.not_live, std::vector<std::string>{"hv3"});  // stale heartbeat
}

TEST(WaitTest, PendingWhileALiveHostIsBehindOrStarting) {
  const auto c = check_wait(kHosts, 5,
                            {status("hv1", 4, HostState::kOk), status("hv2", 5, HostState::kStarting),
                             status("hv3", 5, HostState::kOk)},
                            kNow, kCommit);
  EXPECT_FALSE(c.complete());
  EXPECT_EQ(c.pending,
            (std::vector<std::string>{"hv1 (at generation 4)", "hv2 (at generation 5, starting)"}));
}

TEST(WaitTest, HostsWithoutStatusAreNotLive) {
  const auto c = check_wait(kHosts, 5, {status("hv2", 5, HostState::kOk), status("other", 5, HostState::kOk)},
                            kNow, kCommit);
  EXPECT_TRUE(c.complete());
  EXPECT_EQ(c.not_live, (std::vector<std::string>{"hv1", "hv3"}));
}

TEST(WaitTest, NoLiveHostIsNeitherCompleteNorPending) {
  const auto c = check_wait(kHosts, 5, {}, kNow, kCommit);
  EXPECT_FALSE(c.complete());
  EXPECT_TRUE(c.done.empty());
  EXPECT_TRUE(c.pending.empty());
  EXPECT_EQ(c.not_live.size(), 3u);
}

TEST(WaitTest, ErrorAtTheGenerationFails) {
  const auto c = check_wait(
      {"hv1", "hv2"}, 5,
      {status("hv1", 5, HostState::kError, kNow - 200, {"underlay mtu 1400 < 1500", "vm1-h: gone"}),
       status("hv2", 5, HostState::kOk)},
      kNow, kCommit);
  EXPECT_FALSE(c.complete());
  EXPECT_EQ(c.failures,
            (std::vector<std::string>{"hv1: underlay mtu 1400 < 1500", "hv1: vm1-h: gone"}));
}

TEST(WaitTest, OldErrorGetsAGraceToClear) {
  // Still at generation 4 in error, heartbeat from before the commit: the
  // daemon may not have seen generation 5 yet, which may fix it.
  auto c = check_wait({"hv1"}, 5, {status("hv1", 4, HostState::kError, kNow - 200, {"old"})}, kNow,
                      kCommit);
  EXPECT_TRUE(c.failures.empty());
  EXPECT_EQ(c.pending, std::vector<std::string>{"hv1 (at generation 4, error)"});
  // Heartbeating in error well after the commit: generation 5 failed.
  c = check_wait({"hv1"}, 5,
                 {status("hv1", 4, HostState::kError, kCommit + kErrorGraceMs, {"still broken"})},
                 kCommit + kErrorGraceMs + 10, kCommit);
  EXPECT_EQ(c.failures, std::vector<std::string>{"hv1: still broken"});
}

TEST(WaitTest, LivenessBoundary) {
  HostStatus s = status("hv1", 1, HostState::kOk, kNow - store::kLivenessTimeoutMs + 1);
  EXPECT_TRUE(is_live(s, kNow));
  s.heartbeat_unix_ms = kNow - store::kLivenessTimeoutMs;
  EXPECT_FALSE(is_live(s, kNow));
  s.heartbeat_unix_ms = kNow + 1000;  // clock skew
  EXPECT_TRUE(is_live(s, kNow));
  s.heartbeat_unix_ms = 0;
  EXPECT_FALSE(is_live(s, kNow));
}

}  // namespace
}  // namespace vnet::cli
