// StatsSlots: which vnet_ep_stats slot counts which local endpoint.

#include "reconcile/stats_slots.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace vnet::reconcile {
namespace {

using Slot = StatsSlots::Slot;
using Taken = std::vector<std::pair<Slot, std::uint32_t>>;

TEST(StatsSlots, GivesLowestFirstFromOneAndKeepsThem) {
  StatsSlots slots(8);
  auto a = slots.assign({30, 10, 20});
  // By endpoint id, from slot 1: 0 counts nothing.
  EXPECT_EQ(a.taken, (Taken{{1, 10}, {2, 20}, {3, 30}}));
  EXPECT_TRUE(a.left.empty());
  EXPECT_EQ(slots.slot_of(20), 2);
  EXPECT_EQ(slots.slot_of(99), 0);

  // The same endpoints again: nothing taken, nothing moves.
  auto b = slots.assign({20, 30, 10, 10});
  EXPECT_TRUE(b.taken.empty());
  EXPECT_TRUE(b.left.empty());
  EXPECT_EQ(slots.slot_of(10), 1);
  EXPECT_EQ(slots.slot_of(30), 3);
  EXPECT_EQ(slots.in_use(), 3u);
}

TEST(StatsSlots, NewcomersGetOneSlotEachAndZeroIsNoEndpoint) {
  StatsSlots slots(8);
  slots.assign({10});
  // A newcomer named twice takes one slot; id 0 (unassigned) takes none.
  auto a = slots.assign({10, 40, 0, 40, 30});
  EXPECT_EQ(a.taken, (Taken{{2, 30}, {3, 40}}));
  EXPECT_TRUE(a.left.empty());
  EXPECT_EQ(slots.slot_of(0), 0);
  EXPECT_EQ(slots.in_use(), 3u);
  // Endpoints adopted at start are kept, or left, like assigned ones.
  StatsSlots restarted(8);
  ASSERT_TRUE(restarted.adopt(5, 10));
  ASSERT_TRUE(restarted.adopt(6, 20));
  auto b = restarted.assign({20});
  EXPECT_EQ(b.left, (std::vector<Slot>{5}));
  EXPECT_TRUE(b.taken.empty());
  EXPECT_EQ(restarted.slot_of(20), 6);
}

TEST(StatsSlots, ALeftSlotIsNotGivenBeforeItIsReleased) {
  StatsSlots slots(8);
  slots.assign({10, 20});
  // 10 leaves and 40 arrives in one pass: 40 must not count at 10's slot
  // while an entry may still name it.
  auto a = slots.assign({20, 40});
  EXPECT_EQ(a.left, (std::vector<Slot>{1}));
  EXPECT_EQ(a.taken, (Taken{{3, 40}}));
  EXPECT_EQ(slots.slot_of(10), 0);

  // Released: the next endpoint gets it.
  slots.release(a.left);
  auto b = slots.assign({20, 40, 50});
  EXPECT_EQ(b.taken, (Taken{{1, 50}}));
}

TEST(StatsSlots, AnEndpointThatComesBackBeforeReleaseGetsANewSlot) {
  StatsSlots slots(8);
  slots.assign({10});
  auto gone = slots.assign({});
  EXPECT_EQ(gone.left, (std::vector<Slot>{1}));
  auto back = slots.assign({10});
  EXPECT_EQ(back.taken, (Taken{{2, 10}}));  // 1 is still reserved
  slots.release(gone.left);
  EXPECT_EQ(slots.slot_of(10), 2);
}

TEST(StatsSlots, RunningOutLeavesNewcomersUncountedUntilARelease) {
  StatsSlots slots(2);
  slots.assign({10, 20});
  // 20 leaves, 30 and 40 arrive: 20's slot is still reserved, no room.
  auto a = slots.assign({10, 30, 40});
  EXPECT_TRUE(a.taken.empty());
  EXPECT_EQ(a.left, (std::vector<Slot>{2}));
  EXPECT_EQ(a.uncounted, 2u);
  EXPECT_EQ(slots.slot_of(10), 1);
  EXPECT_EQ(slots.slot_of(30), 0);
  EXPECT_EQ(slots.free_slots(), 0u);
  // Once 20's entries are gone its slot goes to the lowest newcomer.
  slots.release(a.left);
  auto b = slots.assign({10, 30, 40});
  EXPECT_EQ(b.taken, (Taken{{2, 30}}));
  EXPECT_EQ(b.uncounted, 1u);
  EXPECT_EQ(slots.slot_of(40), 0);
}

TEST(StatsSlots, HeldSlotsWaitForReleaseAndReleaseSaysWhatItFreed) {
  StatsSlots slots(4);
  // After a restart: 10 owns 2; 3 was recorded as left (or a second
  // record of 10): held, no owner.
  EXPECT_TRUE(slots.adopt(2, 10));
  EXPECT_TRUE(slots.hold(3));
  EXPECT_FALSE(slots.hold(2));  // owned
  EXPECT_FALSE(slots.hold(0));
  auto a = slots.assign({10, 20, 30});
  EXPECT_EQ(a.taken, (Taken{{1, 20}, {4, 30}}));  // 3 is not given
  EXPECT_EQ(slots.release({3, 2, 3}), (std::vector<Slot>{3}));  // 2 is 10's
  auto b = slots.assign({10, 20, 30, 40});
  EXPECT_EQ(b.taken, (Taken{{3, 40}}));
}

TEST(StatsSlots, ReleaseNeverFreesAHeldSlot) {
  StatsSlots slots(4);
  EXPECT_TRUE(slots.adopt(1, 10));
  slots.assign({10});
  EXPECT_TRUE(slots.release({1, 0, 9}).empty());  // 1 is 10's; 0 and 9 are no slots
  EXPECT_EQ(slots.slot_of(10), 1);
  auto a = slots.assign({10, 20});
  EXPECT_EQ(a.taken, (Taken{{2, 20}}));
}

TEST(StatsSlots, AdoptsRecordedOwnersAndRefusesConflicts) {
  StatsSlots slots(8);
  EXPECT_TRUE(slots.adopt(5, 10));
  EXPECT_TRUE(slots.adopt(2, 20));
  EXPECT_FALSE(slots.adopt(5, 30));  // slot taken
  EXPECT_FALSE(slots.adopt(6, 10));  // endpoint has one
  EXPECT_FALSE(slots.adopt(0, 40));  // slot 0 counts nothing
  EXPECT_FALSE(slots.adopt(9, 40));  // beyond capacity
  EXPECT_FALSE(slots.adopt(3, 0));   // no endpoint 0
  // The adopted keep their slots; a newcomer gets the lowest free one.
  auto a = slots.assign({10, 20, 30});
  EXPECT_EQ(a.taken, (Taken{{1, 30}}));
  EXPECT_EQ(slots.slot_of(10), 5);
  EXPECT_EQ(slots.slot_of(20), 2);
}

TEST(StatsSlots, FillsEveryRangeAfterReleases) {
  StatsSlots slots(4);
  slots.assign({1, 2, 3, 4});
  auto a = slots.assign({1, 4});
  EXPECT_EQ(a.left, (std::vector<Slot>{2, 3}));
  slots.release(a.left);
  auto b = slots.assign({1, 4, 7, 8});
  EXPECT_EQ(b.taken, (Taken{{2, 7}, {3, 8}}));
  EXPECT_EQ(slots.assign({1, 4, 7, 8, 9}).uncounted, 1u);
}

}  // namespace
}  // namespace vnet::reconcile
