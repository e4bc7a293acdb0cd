// Chapter 03 — a split virtqueue driven by a test "driver" over plain memory: no KVM.
#include <gtest/gtest.h>

#include <cstring>

#include "virtio_test_driver.h"
#include "vmm/virtio/queue.h"

namespace uh::vmm::virtio {
namespace {

using testing::Driver;

TEST(SplitQueue, ALayoutIsCheckedBeforeUse) {
  GuestMemory m;
  m.add_region(GuestAddress(0), 1 << 20);
  auto error_of = [&](SplitQueue::Layout l) {
    auto q = SplitQueue::create(m, l);
    return q ? std::string("(accepted)") : q.error().what;
  };
  EXPECT_EQ(error_of({8, GuestAddress(0x1000), GuestAddress(0x2000), GuestAddress(0x3000)}),
            "(accepted)");
  EXPECT_EQ(error_of({6, GuestAddress(0x1000), GuestAddress(0x2000), GuestAddress(0x3000)}),
            "queue size 6 is not a power of 2 up to 256");
  EXPECT_EQ(error_of({512, GuestAddress(0x1000), GuestAddress(0x2000), GuestAddress(0x3000)}),
            "queue size 512 is not a power of 2 up to 256");
  EXPECT_EQ(error_of({8, GuestAddress(0x1008), GuestAddress(0x2000), GuestAddress(0x3000)}),
            "queue areas are not aligned (descriptors 16, available 2, used 4 bytes)");
  EXPECT_EQ(error_of({8, GuestAddress(0x1000), GuestAddress(0x2000), GuestAddress(0xffffc)}),
            "the used ring at 0xffffc (+0x46) is not inside guest RAM");
}

TEST(SplitQueue, ChainsComeOutInOrderWithTheirBuffers) {
  Driver d;
  const std::uint16_t a = d.chain({{0x10000, 16, false}, {0x11000, 512, true}});
  const std::uint16_t b = d.chain({{0x12000, 8, false}});
  d.publish(a);
  d.publish(b);
  auto first = d.queue().pop();
  ASSERT_TRUE(first && *first) << (first ? first->error().what : "none");
  EXPECT_EQ((*first)->head, a);
  ASSERT_EQ((*first)->buffers.size(), 2u);
  EXPECT_EQ((*first)->buffers[1].address, GuestAddress(0x11000));
  EXPECT_TRUE((*first)->buffers[1].device_writable);
  EXPECT_EQ((*first)->readable_bytes(), 16u);
  EXPECT_EQ((*first)->writable_bytes(), 512u);
  auto second = d.queue().pop();
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->head, b);
  EXPECT_FALSE(d.queue().pop().has_value()) << "nothing more was made available";
}

TEST(SplitQueue, UsedElementsReachTheDriverInOrder) {
  Driver d;
  const std::uint16_t a = d.chain({{0x10000, 4, true}});
  d.publish(a);
  auto chain = d.queue().pop();
  ASSERT_TRUE(chain && *chain);
  d.queue().push_used(a, 3);
  EXPECT_EQ(d.used_idx(), 1);
  EXPECT_EQ(d.used(0), (std::pair<std::uint32_t, std::uint32_t>{a, 3}));
}

TEST(SplitQueue, ChainDataIsGatheredAndScatteredAcrossBuffers) {
  Driver d;
  const char text[] = "hello, world";
  d.memory().write(GuestAddress(0x10000),
                   std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text), 5));
  d.memory().write(GuestAddress(0x11000), std::span<const std::uint8_t>(
                                              reinterpret_cast<const std::uint8_t*>(text + 5), 7));
  d.publish(
      d.chain({{0x10000, 5, false}, {0x11000, 7, false}, {0x12000, 3, true}, {0x13000, 9, true}}));
  auto chain = d.queue().pop();
  ASSERT_TRUE(chain && *chain);
  std::uint8_t out[12];
  EXPECT_EQ((*chain)->read(0, out), 12u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 12), "hello, world");
  const std::uint8_t in[] = {1, 2, 3, 4, 5};
  EXPECT_EQ((*chain)->write(1, in), 5u);
  EXPECT_EQ(d.memory().read_obj<std::uint8_t>(GuestAddress(0x12001)), 1);
  EXPECT_EQ(d.memory().read_obj<std::uint8_t>(GuestAddress(0x13002)), 5) << "the second buffer";
}

// A guest that lies: each broken promise is an error naming it, never a crash.
TEST(SplitQueue, ADescriptorLoopIsAnErrorNotAHang) {
  Driver d;
  d.set_descriptor(0, {0x10000, 16, kDescNext, 1});
  d.set_descriptor(1, {0x10000, 16, kDescNext, 0});
  d.publish(0);
  auto r = d.queue().pop();
  ASSERT_TRUE(r && !*r);
  EXPECT_EQ(r->error().what, "the chain at 0 is longer than 8: a loop?");
}

TEST(SplitQueue, EveryOtherLieIsNamed) {
  struct Case {
    const char* why;
    std::function<void(Driver&)> setup;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"head out of range", [](Driver& d) { d.publish(9); }, "head descriptor 9 >= queue size 8"},
      {"next out of range",
       [](Driver& d) {
         d.set_descriptor(0, {0x10000, 16, kDescNext, 200});
         d.publish(0);
       },
       "descriptor 0 has next 200 >= queue size 8"},
      {"buffer outside RAM",
       [](Driver& d) {
         d.set_descriptor(0, {0xfffff000, 16, 0, 0});
         d.publish(0);
       },
       "descriptor 0: [0xfffff000, +0x10) is not inside guest RAM"},
      {"buffer wrapping around",
       [](Driver& d) {
         d.set_descriptor(0, {0xfffffffffffffff0ull, 0x20, 0, 0});
         d.publish(0);
       },
       "descriptor 0: [0xfffffffffffffff0, +0x20) is not inside guest RAM"},
      {"indirect",
       [](Driver& d) {
         d.set_descriptor(0, {0x10000, 16, kDescIndirect, 0});
         d.publish(0);
       },
       "descriptor 0 is INDIRECT, a feature not offered"},
      {"readable after writable",
       [](Driver& d) {
         d.set_descriptor(0, {0x10000, 16, kDescNext | kDescWrite, 1});
         d.set_descriptor(1, {0x11000, 16, 0, 0});
         d.publish(0);
       },
       "descriptor 1 is device-readable after a writable one"},
      {"index far ahead", [](Driver& d) { d.set_avail_idx(100); },
       "avail.idx 100 is 100 ahead of the device's 0 (queue size 8)"},
  };
  for (const Case& c : cases) {
    Driver d;
    c.setup(d);
    auto r = d.queue().pop();
    ASSERT_TRUE(r.has_value()) << c.why;
    ASSERT_FALSE(*r) << c.why;
    EXPECT_EQ(r->error().what, c.expected) << c.why;
  }
}

}  // namespace
}  // namespace uh::vmm::virtio
