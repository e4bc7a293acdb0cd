// guest/virtio/main.cc — polling virtio-blk and virtio-console drivers, and the scenarios.
//
// A driver in a few hundred lines, with no interrupts: it sets the device up
// through its virtio-mmio registers, puts descriptor chains in a split
// virtqueue, writes QueueNotify (an MMIO exit: the VMM serves the queue right
// there) and then polls the used ring until the device has answered. Real
// drivers wait for an interrupt instead; the rings are the same.
//
// Addresses handed to the device are guest-*physical*: this code runs at its
// higher-half virtual address, so phys() subtracts the higher-half base.
#include <stdint.h>

#include "guest/longmode/uh.h"
#include "scenarios.h"
#include "vmm/virtio/mmio_abi.h"

using namespace uh::guest;
using namespace uh::guest::virtio;

namespace {

constexpr uint64_t kHigherHalf = 0xffffffff80000000ull;
uint64_t phys(const volatile void* p) { return reinterpret_cast<uint64_t>(p) - kHigherHalf; }

// ---------------------------------------------------------------- registers

struct Mmio {
  uint64_t base;
  uint32_t read(uint32_t offset) const {
    return *reinterpret_cast<volatile uint32_t*>(base + offset);
  }
  void write(uint32_t offset, uint32_t value) const {
    *reinterpret_cast<volatile uint32_t*>(base + offset) = value;
  }
};

using namespace uh::virtio_mmio;
constexpr uint32_t kAcknowledge = kStatusAcknowledge, kDriver = kStatusDriver;
constexpr uint32_t kDriverOk = kStatusDriverOk, kFeaturesOk = kStatusFeaturesOk;
constexpr uint32_t kNeedsReset = kStatusNeedsReset;

// ---------------------------------------------------------------- a split queue

constexpr uint16_t kQueueSize = 8;
constexpr uint16_t kNext = 1, kWrite = 2;

struct Descriptor {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
struct Available {
  uint16_t flags;
  uint16_t idx;
  uint16_t ring[kQueueSize];
  uint16_t used_event;
};
struct UsedElement {
  uint32_t id;
  uint32_t len;
};
struct Used {
  uint16_t flags;
  uint16_t idx;
  UsedElement ring[kQueueSize];
  uint16_t avail_event;
};

struct Queue {
  alignas(4096) Descriptor desc[kQueueSize];
  alignas(16) Available avail;
  alignas(16) Used used;
  uint16_t last_used;
};

// Brings a device from reset to DRIVER_OK with `queues` queues (3.1.1).
bool start_device(const Mmio& dev, uint32_t device_id, uint32_t features, Queue* queues,
                  unsigned count) {
  if (dev.read(kMagicValue) != kMagic || dev.read(kVersion) != 2 ||
      dev.read(kDeviceId) != device_id) {
    return false;
  }
  dev.write(kStatus, 0);
  dev.write(kStatus, kAcknowledge);
  dev.write(kStatus, kAcknowledge | kDriver);
  dev.write(kDeviceFeaturesSel, 1);
  if (!(dev.read(kDeviceFeatures) & 1)) return false;  // VERSION_1 is bit 32
  dev.write(kDeviceFeaturesSel, 0);
  dev.write(kDriverFeaturesSel, 0);
  if ((dev.read(kDeviceFeatures) & features) != features) return false;
  dev.write(kDriverFeatures, features);
  dev.write(kDriverFeaturesSel, 1);
  dev.write(kDriverFeatures, 1);
  dev.write(kStatus, kAcknowledge | kDriver | kFeaturesOk);
  if (!(dev.read(kStatus) & kFeaturesOk)) return false;
  for (unsigned i = 0; i < count; ++i) {
    Queue& q = queues[i];
    dev.write(kQueueSel, i);
    if (dev.read(kQueueNumMax) < kQueueSize) return false;
    dev.write(kQueueNum, kQueueSize);
    dev.write(kQueueDescLow, static_cast<uint32_t>(phys(q.desc)));
    dev.write(kQueueDescHigh, static_cast<uint32_t>(phys(q.desc) >> 32));
    dev.write(kQueueDriverLow, static_cast<uint32_t>(phys(&q.avail)));
    dev.write(kQueueDriverHigh, static_cast<uint32_t>(phys(&q.avail) >> 32));
    dev.write(kQueueDeviceLow, static_cast<uint32_t>(phys(&q.used)));
    dev.write(kQueueDeviceHigh, static_cast<uint32_t>(phys(&q.used) >> 32));
    dev.write(kQueueReady, 1);
  }
  dev.write(kStatus, kAcknowledge | kDriver | kFeaturesOk | kDriverOk);
  return true;
}

// Makes chain `head` available, notifies, and polls until the device used
// it. Returns the bytes the device wrote. The VMM serves the queue during
// the notify itself, so the wait is short; the loop is bounded anyway, and
// every 4096 tries it reads Status (an exit, so not every time): a device
// that asked for a reset will never answer.
bool submit(const Mmio& dev, Queue& q, unsigned index, uint16_t head, uint32_t* written) {
  const uint16_t idx = __atomic_load_n(&q.avail.idx, __ATOMIC_RELAXED);
  q.avail.ring[idx % kQueueSize] = head;
  __atomic_store_n(&q.avail.idx, static_cast<uint16_t>(idx + 1), __ATOMIC_RELEASE);
  dev.write(kQueueNotify, index);
  for (int spins = 0; spins < 1000000; ++spins) {
    if (__atomic_load_n(&q.used.idx, __ATOMIC_ACQUIRE) != q.last_used) {
      *written = q.used.ring[q.last_used % kQueueSize].len;
      ++q.last_used;
      return true;
    }
    if (spins % 4096 == 4095 && (dev.read(kStatus) & kNeedsReset)) return false;
    asm volatile("pause");
  }
  return false;
}

// ---------------------------------------------------------------- virtio-blk

struct [[gnu::packed]] BlockHeader {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};
constexpr uint32_t kIn = 0, kOut = 1, kFlush = 4;
constexpr uint32_t kFeatureFlush = 1u << 9;  // VIRTIO_BLK_F_FLUSH

Queue block_queue;
BlockHeader block_header;
volatile uint8_t block_status;
alignas(4096) uint8_t buffer[64 * 1024];
alignas(4096) uint8_t check[64 * 1024];

// One request: header, data (if any), status. Returns the status byte, or
// 0xff when the device never answered.
uint8_t block_request(const Mmio& dev, uint32_t type, uint64_t sector, void* data, uint32_t len) {
  block_header = BlockHeader{type, 0, sector};
  block_status = 0xff;
  Descriptor* d = block_queue.desc;
  d[0] = Descriptor{phys(&block_header), sizeof block_header, kNext, 1};
  if (len > 0) {
    d[1] =
        Descriptor{phys(data), len, static_cast<uint16_t>(kNext | (type == kIn ? kWrite : 0)), 2};
    d[2] = Descriptor{phys(&block_status), 1, kWrite, 0};
  } else {
    d[0].next = 2;
    d[2] = Descriptor{phys(&block_status), 1, kWrite, 0};
  }
  uint32_t written = 0;
  if (!submit(dev, block_queue, 0, 0, &written)) return 0xff;
  return block_status;
}

uint64_t block_capacity(const Mmio& dev) {
  return dev.read(kConfig) | static_cast<uint64_t>(dev.read(kConfig + 4)) << 32;
}

void print_number(const char* before, uint64_t n, const char* after) {
  char digits[21];
  int i = 20;
  digits[i] = '\0';
  do {
    digits[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  write(before);
  write(&digits[i]);
  write(after);
}

[[noreturn]] void block_round_trip() {
  const Mmio dev{kBlockMmio};
  if (!start_device(dev, 2, kFeatureFlush, &block_queue, 1)) exit(10);
  print_number("virtio-blk: ", block_capacity(dev), " sectors\n");
  // Sector 1: the greeting, zero-padded.
  for (uint32_t i = 0; i < 512; ++i) buffer[i] = 0;
  for (uint32_t i = 0; kGreeting[i] != '\0'; ++i) buffer[i] = static_cast<uint8_t>(kGreeting[i]);
  if (block_request(dev, kOut, 1, buffer, 512) != 0) exit(11);
  // Sectors 8..15: a pattern, written and read back.
  for (uint32_t i = 0; i < 4096; ++i) buffer[i] = static_cast<uint8_t>(i * 7 + 3);
  if (block_request(dev, kOut, 8, buffer, 4096) != 0) exit(12);
  if (block_request(dev, kFlush, 0, nullptr, 0) != 0) exit(13);
  for (uint32_t i = 0; i < 4096; ++i) check[i] = 0;
  if (block_request(dev, kIn, 8, check, 4096) != 0) exit(14);
  for (uint32_t i = 0; i < 4096; ++i) {
    if (check[i] != buffer[i]) exit(15);
  }
  write("virtio-blk: wrote sector 1 and sectors 8-15, read them back\n");
  exit(0);
}

[[noreturn]] void block_read_all() {
  const Mmio dev{kBlockMmio};
  if (!start_device(dev, 2, kFeatureFlush, &block_queue, 1)) exit(10);
  const uint64_t sectors = block_capacity(dev);
  const uint64_t per_request = sizeof buffer / 512;
  for (uint64_t s = 0; s + per_request <= sectors; s += per_request) {
    if (block_request(dev, kIn, s, buffer, sizeof buffer) != 0) exit(16);
  }
  exit(0);
}

[[noreturn]] void block_beyond_end() {
  const Mmio dev{kBlockMmio};
  if (!start_device(dev, 2, kFeatureFlush, &block_queue, 1)) exit(10);
  const uint8_t status = block_request(dev, kIn, block_capacity(dev), buffer, 512);
  exit(status == 1 ? 0 : 17);  // IOERR
}

// A chain the device must refuse: it sets DEVICE_NEEDS_RESET and uses nothing.
[[noreturn]] void hostile(bool loop) {
  const Mmio dev{kBlockMmio};
  if (!start_device(dev, 2, kFeatureFlush, &block_queue, 1)) exit(10);
  block_queue.desc[0] = loop ? Descriptor{phys(&block_header), 16, kNext, 0}  // next: itself
                             : Descriptor{0x3f000000, 512, 0, 0};             // not RAM
  uint32_t written = 0;
  const bool answered = submit(dev, block_queue, 0, 0, &written);
  const bool flagged = dev.read(kStatus) & kNeedsReset;
  if (flagged) write("the device asked for a reset\n");
  exit(!answered && flagged ? 0 : 18);
}

// ---------------------------------------------------------------- virtio-console

Queue console_queues[2];
char console_out[128];
alignas(64) char console_in[64];

void console_write(const Mmio& dev, const char* text) {
  uint32_t n = 0;
  while (text[n] != '\0' && n < sizeof console_out) {
    console_out[n] = text[n];
    ++n;
  }
  console_queues[1].desc[0] = Descriptor{phys(console_out), n, 0, 0};
  uint32_t written = 0;
  submit(dev, console_queues[1], 1, 0, &written);
}

[[noreturn]] void console_echo() {
  const Mmio dev{kConsoleMmio};
  if (!start_device(dev, 3, 0, console_queues, 2)) exit(20);
  console_write(dev, "Hello over virtio-console!\n");
  // Offer one buffer for input; the VMM fills it when there is some.
  console_queues[0].desc[0] = Descriptor{phys(console_in), sizeof console_in - 1, kWrite, 0};
  uint32_t got = 0;
  if (!submit(dev, console_queues[0], 0, 0, &got)) exit(21);
  console_in[got] = '\0';
  char line[96] = "echo: ";
  uint32_t at = 6;
  for (uint32_t i = 0; i < got && at < sizeof line - 1; ++i) line[at++] = console_in[i];
  line[at] = '\0';
  console_write(dev, line);
  exit(0);
}

}  // namespace

// A freestanding program must still provide these four: the compiler may
// turn a loop or a struct copy into a call to them (GCC manual, "Standards").
extern "C" void* memset(void* dest, int value, unsigned long n) {
  auto* d = static_cast<uint8_t*>(dest);
  for (unsigned long i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(value);
  return dest;
}
extern "C" void* memcpy(void* dest, const void* src, unsigned long n) {
  auto* d = static_cast<uint8_t*>(dest);
  const auto* s = static_cast<const uint8_t*>(src);
  for (unsigned long i = 0; i < n; ++i) d[i] = s[i];
  return dest;
}
extern "C" void* memmove(void* dest, const void* src, unsigned long n) {
  auto* d = static_cast<uint8_t*>(dest);
  const auto* s = static_cast<const uint8_t*>(src);
  if (d < s) {
    for (unsigned long i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (unsigned long i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dest;
}
extern "C" int memcmp(const void* a, const void* b, unsigned long n) {
  const auto* x = static_cast<const uint8_t*>(a);
  const auto* y = static_cast<const uint8_t*>(b);
  for (unsigned long i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

extern "C" [[noreturn]] void guest_main(uint64_t scenario) {
  switch (scenario) {
    case kBlockRoundTrip:
      block_round_trip();
    case kConsoleEcho:
      console_echo();
    case kBlockReadAll:
      block_read_all();
    case kHostileLoop:
      hostile(true);
    case kHostileOutside:
      hostile(false);
    case kBlockBeyondEnd:
      block_beyond_end();
    default:
      write("unknown scenario\n");
      exit(2);
  }
}
