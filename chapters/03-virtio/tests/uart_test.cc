// Chapter 03 — the 8250 UART, driven through its registers as Linux's
// serial driver drives it: no guest, no KVM.
#include <gtest/gtest.h>

#include <vector>

#include "vmm/bus/io_bus.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/uart_8250.h"

namespace uh::vmm {
namespace {

// The UART on a port bus at COM1, as a guest reaches it with IN and OUT.
struct Com1 {
  std::vector<char> echoed;
  std::vector<bool> line_changes;
  std::shared_ptr<Uart8250> uart =
      std::make_shared<Uart8250>([this](char c) { echoed.push_back(c); },
                                 [this](bool level) { line_changes.push_back(level); });
  IoBus ports{"port I/O bus"};

  Com1() { ports.insert(BusRange{Uart8250::kCom1Port, Uart8250::kRegisterCount}, uart); }

  std::uint8_t in(std::uint64_t reg) {
    std::uint8_t value = 0;
    EXPECT_TRUE(ports.read(Uart8250::kCom1Port + reg, std::span(&value, 1)));
    return value;
  }
  void out(std::uint64_t reg, std::uint8_t value) {
    EXPECT_TRUE(ports.write(Uart8250::kCom1Port + reg, std::span(&value, 1)));
  }
};

TEST(Uart8250, ScratchRegisterKeepsWhatIsWritten) {
  // Linux's autoconfig and most probes start here: a UART without SCR is an 8250.
  Com1 com;
  for (std::uint8_t v : {0x00, 0x55, 0xaa, 0xff}) {
    com.out(Uart8250::kScr, v);
    EXPECT_EQ(com.in(Uart8250::kScr), v);
  }
}

TEST(Uart8250, InterruptEnableKeepsItsLowFourBits) {
  // serial8250's autoconfig writes 0 and 0x0f to IER and expects both back;
  // anything else and it decides no UART is there.
  Com1 com;
  com.out(Uart8250::kIer, 0x00);
  EXPECT_EQ(com.in(Uart8250::kIer)&0x0f, 0x00);
  com.out(Uart8250::kIer, 0x0f);
  EXPECT_EQ(com.in(Uart8250::kIer)&0x0f, 0x0f);
  com.out(Uart8250::kIer, 0xff);
  EXPECT_EQ(com.in(Uart8250::kIer), 0x0f);
}

TEST(Uart8250, DivisorLatchIsReachedThroughDlab) {
  Com1 com;
  com.out(Uart8250::kIer, 0x05);
  // LCR bit 7 swaps registers 0 and 1 for the divisor latch: 115200 / 1 baud.
  com.out(Uart8250::kLcr, Uart8250::kLcrDlab | 0x03);
  com.out(Uart8250::kData, 0x01);
  com.out(Uart8250::kIer, 0x00);
  EXPECT_EQ(com.in(Uart8250::kData), 0x01);
  EXPECT_EQ(com.in(Uart8250::kIer), 0x00);
  EXPECT_EQ(com.uart->divisor(), 1);
  com.out(Uart8250::kLcr, 0x03);  // 8N1, DLAB off
  EXPECT_EQ(com.uart->line_control(), 0x03);
  EXPECT_EQ(com.in(Uart8250::kIer), 0x05) << "IER was not touched by the divisor writes";
  EXPECT_TRUE(com.echoed.empty()) << "divisor writes are not output";

  com.out(Uart8250::kLcr, Uart8250::kLcrDlab);
  com.out(Uart8250::kData, 0x80);
  com.out(Uart8250::kIer, 0x02);
  EXPECT_EQ(com.uart->divisor(), 0x0280);
}

TEST(Uart8250, TransmittedBytesReachTheSinkAndOutput) {
  Com1 com;
  com.out(Uart8250::kLcr, 0x03);
  for (char c : std::string("hi\n")) {
    // A polling driver waits for THRE before each byte; it is always set here.
    ASSERT_TRUE(com.in(Uart8250::kLsr)&Uart8250::kLsrTransmitterEmpty);
    com.out(Uart8250::kData, static_cast<std::uint8_t>(c));
  }
  EXPECT_EQ(com.uart->output(), "hi\n");
  EXPECT_EQ(std::string(com.echoed.begin(), com.echoed.end()), "hi\n");
  EXPECT_EQ(com.in(Uart8250::kLsr), Uart8250::kLsrTransmitterEmpty | Uart8250::kLsrTransmitterIdle);
}

TEST(Uart8250, LineStatusShowsDataReadyWhileInputWaits) {
  Com1 com;
  EXPECT_FALSE(com.in(Uart8250::kLsr)&Uart8250::kLsrDataReady);
  com.uart->queue_input("ab");
  EXPECT_TRUE(com.in(Uart8250::kLsr)&Uart8250::kLsrDataReady);
  EXPECT_EQ(com.in(Uart8250::kData), 'a');
  EXPECT_TRUE(com.in(Uart8250::kLsr)&Uart8250::kLsrDataReady);
  EXPECT_EQ(com.in(Uart8250::kData), 'b');
  EXPECT_FALSE(com.in(Uart8250::kLsr)&Uart8250::kLsrDataReady);
  EXPECT_EQ(com.in(Uart8250::kData), 0) << "an empty receiver reads as 0";
  EXPECT_EQ(com.uart->input_waiting(), 0u);
}

TEST(Uart8250, FifoControlShowsInTheIdentityRegister) {
  // Linux tells a 16550A (working FIFOs) by IIR bits 7..6 after enabling them.
  Com1 com;
  EXPECT_EQ(com.in(Uart8250::kIirFcr), Uart8250::kIirNoInterrupt);
  com.out(Uart8250::kIirFcr, Uart8250::kFcrEnableFifo);
  EXPECT_EQ(com.in(Uart8250::kIirFcr), Uart8250::kIirFifosEnabled | Uart8250::kIirNoInterrupt);
  com.out(Uart8250::kIirFcr, 0);
  EXPECT_EQ(com.in(Uart8250::kIirFcr), Uart8250::kIirNoInterrupt);
}

TEST(Uart8250, LoopbackWiresModemControlToStatus) {
  // serial8250's loopback test: MCR = LOOP | OUT2 | RTS must read MSR 0x90 (DCD | CTS).
  Com1 com;
  EXPECT_EQ(com.in(Uart8250::kMsr), Uart8250::kMsrDcd | Uart8250::kMsrDsr | Uart8250::kMsrCts);
  com.out(Uart8250::kMcr, Uart8250::kMcrLoopback | 0x0a);
  EXPECT_EQ(com.in(Uart8250::kMsr)&0xf0, 0x90);
  // And a byte sent in loopback comes back instead of leaving.
  com.out(Uart8250::kData, 'x');
  EXPECT_TRUE(com.uart->output().empty());
  EXPECT_TRUE(com.in(Uart8250::kLsr)&Uart8250::kLsrDataReady);
  EXPECT_EQ(com.in(Uart8250::kData), 'x');
  com.out(Uart8250::kMcr, 0x0b);  // DTR | RTS | OUT2, no loopback
  com.out(Uart8250::kData, 'y');
  EXPECT_EQ(com.uart->output(), "y");
}

TEST(Uart8250, LinuxStyleProbeFindsA16550A) {
  // The order of serial8250's autoconfig(), condensed: IER test, LCR/EFR
  // probing with a bogus LCR, FIFO identification, then the init the driver
  // does for a 16550A at 115200 8N1.
  Com1 com;
  const std::uint8_t saved_ier = com.in(Uart8250::kIer);
  com.out(Uart8250::kIer, 0);
  const std::uint8_t scratch2 = com.in(Uart8250::kIer)&0x0f;
  com.out(Uart8250::kIer, 0x0f);
  const std::uint8_t scratch3 = com.in(Uart8250::kIer)&0x0f;
  com.out(Uart8250::kIer, saved_ier);
  ASSERT_EQ(scratch2, 0);
  ASSERT_EQ(scratch3, 0x0f);

  const std::uint8_t saved_lcr = com.in(Uart8250::kLcr);
  com.out(Uart8250::kLcr, 0xbf);  // "configuration mode B": the 16650's EFR on offset 2
  com.out(Uart8250::kLcr, 0);
  com.out(Uart8250::kIirFcr, Uart8250::kFcrEnableFifo);
  const std::uint8_t iir = com.in(Uart8250::kIirFcr);
  EXPECT_EQ(iir >> 6, 3) << "IIR bits 7..6 = 3: a 16550A with working FIFOs";
  com.out(Uart8250::kLcr, saved_lcr);

  com.out(Uart8250::kLcr, Uart8250::kLcrDlab);
  com.out(Uart8250::kData, 1);
  com.out(Uart8250::kIer, 0);
  com.out(Uart8250::kLcr, 0x03);
  EXPECT_EQ(com.uart->divisor(), 1);
  com.out(Uart8250::kData, 'L');
  EXPECT_EQ(com.uart->output(), "L");
}

TEST(Uart8250, TransmitterEmptyInterruptIsRaisedAndAcknowledged) {
  Com1 com;
  EXPECT_FALSE(com.uart->interrupt_line());
  // Enabling THRE interrupts with THR empty raises one at once.
  com.out(Uart8250::kIer, Uart8250::kIerTransmitterEmpty);
  EXPECT_TRUE(com.uart->interrupt_line());
  EXPECT_EQ(com.line_changes, std::vector<bool>{true});
  // Reading IIR reports the cause and, for THRE, acknowledges it.
  EXPECT_EQ(com.in(Uart8250::kIirFcr), Uart8250::kIirTransmitterEmpty);
  EXPECT_FALSE(com.uart->interrupt_line());
  EXPECT_EQ(com.in(Uart8250::kIirFcr), Uart8250::kIirNoInterrupt);
  // Each byte sent empties THR again: a new interrupt, a new edge.
  com.out(Uart8250::kData, 'a');
  EXPECT_TRUE(com.uart->interrupt_line());
  EXPECT_EQ(com.line_changes, (std::vector<bool>{true, false, true}));
  // Disabling the source lowers the line without an acknowledgement.
  com.out(Uart8250::kIer, 0);
  EXPECT_FALSE(com.uart->interrupt_line());
}

TEST(Uart8250, ReceivedDataInterruptComesFirstAndLastsWhileDataWaits) {
  Com1 com;
  com.out(Uart8250::kIer, Uart8250::kIerReceivedData | Uart8250::kIerTransmitterEmpty);
  com.uart->queue_input("z");
  EXPECT_EQ(com.in(Uart8250::kIirFcr), Uart8250::kIirReceivedData) << "higher priority than THRE";
  EXPECT_EQ(com.in(Uart8250::kIirFcr), Uart8250::kIirReceivedData) << "not acknowledged by IIR";
  EXPECT_TRUE(com.uart->interrupt_line());
  EXPECT_EQ(com.in(Uart8250::kData), 'z');
  EXPECT_EQ(com.in(Uart8250::kIirFcr), Uart8250::kIirTransmitterEmpty);
  EXPECT_FALSE(com.uart->interrupt_line());
}

TEST(Uart8250, WithoutACallbackInterruptsAreOnlyReported) {
  Uart8250 uart;  // no sink, no interrupt line: a polling guest still works
  std::uint8_t ier = Uart8250::kIerTransmitterEmpty;
  uart.write(Uart8250::kIer, std::span(&ier, 1));
  EXPECT_TRUE(uart.interrupt_line());
  std::uint8_t byte = 'q';
  uart.write(Uart8250::kData, std::span(&byte, 1));
  EXPECT_EQ(uart.output(), "q");
}

TEST(Uart8250, WideAccessesReachConsecutiveRegisters) {
  Com1 com;
  std::uint8_t two[2] = {0x03, 0x0b};  // LCR, MCR in one 16-bit OUT at 0x3fb
  ASSERT_TRUE(com.ports.write(Uart8250::kCom1Port + Uart8250::kLcr, two));
  EXPECT_EQ(com.in(Uart8250::kLcr), 0x03);
  EXPECT_EQ(com.in(Uart8250::kMcr), 0x0b);
  std::uint8_t past_end[2] = {};
  EXPECT_FALSE(com.ports.read(Uart8250::kCom1Port + Uart8250::kScr, past_end))
      << "an access running past 0x3ff is not the UART's";
}

TEST(I8042, CommandFeResetsTheMachine) {
  int resets = 0;
  auto controller = std::make_shared<I8042>([&] { ++resets; });
  IoBus ports("port I/O bus");
  ports.insert(BusRange{I8042::kBasePort, I8042::kSize}, controller);
  std::uint8_t status = 0xff;
  ASSERT_TRUE(ports.read(0x64, std::span(&status, 1)));
  EXPECT_EQ(status, 0) << "both buffers empty: a guest waiting for the controller goes on";
  std::uint8_t command = 0xaa;  // self test: ignored
  ASSERT_TRUE(ports.write(0x64, std::span(&command, 1)));
  EXPECT_FALSE(controller->reset_requested());
  command = I8042::kCommandResetCpu;
  ASSERT_TRUE(ports.write(0x64, std::span(&command, 1)));
  EXPECT_TRUE(controller->reset_requested());
  EXPECT_EQ(resets, 1);
  std::uint8_t data = I8042::kCommandResetCpu;  // the data port is not the command port
  ASSERT_TRUE(ports.write(0x60, std::span(&data, 1)));
  EXPECT_EQ(resets, 1);
}

}  // namespace
}  // namespace uh::vmm
