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
  ASSERT_TRUE(a.is_ok());
  // By endpoint id, from slot 1: 0 counts nothing.
  EXPECT_EQ(a->taken, (Taken{{1, 10}, {2, 20}, {3, 30}}));
  EXPECT_TRUE(a->left.empty());
  EXPECT_EQ(slots.slot_of(20), 2);
  EXPECT_EQ(slots.slot_of(99), 0);

  // The same endpoints again: nothing taken, nothing moves.
  auto b = slots.assign({20, 30, 10, 10});
  ASSERT_TRUE(b.is_ok());
  EXPECT_TRUE(b->taken.empty());
  EXPECT_TRUE(b->left.empty());
  EXPECT_EQ(slots.slot_of(10), 1);
  EXPECT_EQ(slots.slot_of(30), 3);
  EXPECT_EQ(slots.in_use(), 3u);
}

TEST(StatsSlots, ALeftSlotIsNotGivenBeforeItIsReleased) {
  StatsSlots slots(8);
  ASSERT_TRUE(slots.assign({10, 20}).is_ok());
  // 10 leaves and 40 arrives in one pass: 40 must not count at 10's slot
  // while an entry may still name it.
  auto a = slots.assign({20, 40});
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->left, (std::vector<Slot>{1}));
  EXPECT_EQ(a->taken, (Taken{{3, 40}}));
  EXPECT_EQ(slots.slot_of(10), 0);

  // Released: the next endpoint gets it.
  slots.release(a->left);
  auto b = slots.assign({20, 40, 50});
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->taken, (Taken{{1, 50}}));
}

TEST(StatsSlots, AnEndpointThatComesBackBeforeReleaseGetsANewSlot) {
  StatsSlots slots(8);
  ASSERT_TRUE(slots.assign({10}).is_ok());
  auto gone = slots.assign({});
  ASSERT_TRUE(gone.is_ok());
  EXPECT_EQ(gone->left, (std::vector<Slot>{1}));
  auto back = slots.assign({10});
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->taken, (Taken{{2, 10}}));  // 1 is still reserved
  slots.release(gone->left);
  EXPECT_EQ(slots.slot_of(10), 2);
}

TEST(StatsSlots, RunningOutFailsAndChangesNothing) {
  StatsSlots slots(2);
  ASSERT_TRUE(slots.assign({10, 20}).is_ok());
  // 20 leaves, 30 and 40 arrive: 20's slot is still reserved, no room.
  auto a = slots.assign({10, 30, 40});
  ASSERT_FALSE(a.is_ok());
  EXPECT_EQ(slots.slot_of(10), 1);
  EXPECT_EQ(slots.slot_of(20), 2);
  EXPECT_EQ(slots.slot_of(30), 0);
  // A pass that fits still works.
  auto b = slots.assign({10, 20});
  ASSERT_TRUE(b.is_ok());
  EXPECT_TRUE(b->taken.empty());
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
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->taken, (Taken{{1, 30}}));
  EXPECT_EQ(slots.slot_of(10), 5);
  EXPECT_EQ(slots.slot_of(20), 2);
}

TEST(StatsSlots, FillsEveryRangeAfterReleases) {
  StatsSlots slots(4);
  ASSERT_TRUE(slots.assign({1, 2, 3, 4}).is_ok());
  auto a = slots.assign({1, 4});
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->left, (std::vector<Slot>{2, 3}));
  slots.release(a->left);
  auto b = slots.assign({1, 4, 7, 8});
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->taken, (Taken{{2, 7}, {3, 8}}));
  EXPECT_FALSE(slots.assign({1, 4, 7, 8, 9}).is_ok());
}

}  // namespace
}  // namespace vnet::reconcile
