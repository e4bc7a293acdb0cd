// vmm/devices/uart_8250.h — the PC serial port: a 16550A-compatible UART on COM1.
//
// Owns: the UART's registers, the bytes the guest has sent, and the bytes
// waiting for the guest to receive. Eight port registers from 0x3f8 (the
// 16550A data sheet, "Register Summary"; Linux's include/uapi/linux/serial_reg.h):
//
//   +0 read: RBR receive buffer      write: THR transmit holding  (DLAB=1: DLL divisor low)
//   +1 IER  interrupt enable                                      (DLAB=1: DLM divisor high)
//   +2 read: IIR interrupt identity  write: FCR FIFO control
//   +3 LCR  line control (bit 7 is DLAB, which swaps +0/+1 for the divisor latch)
//   +4 MCR  modem control (bit 4: loopback)
//   +5 LSR  line status: DR (a byte waits), THRE and TEMT (ready to send)
//   +6 MSR  modem status: CTS, DSR, DCD as a connected line reports them
//   +7 SCR  scratch: a byte of storage, which is how drivers probe for a UART
//
// There is no wire and no baud clock: a byte written to THR is "sent" at
// once (to output() and the sink), so THRE and TEMT are always set; the
// divisor is kept only so the driver reads back what it wrote.
//
// Interrupts: IIR reports the highest-priority pending cause as the chip
// does (received data before "transmitter empty"), and the level of the
// UART's interrupt line is reported to the `irq` callback whenever it
// changes. The device itself delivers nothing: with no callback (the
// tests, or a VMM without an interrupt controller) a guest must poll LSR,
// which is what Linux's printk console does; its tty layer, which init's
// output goes through, waits for the "transmitter empty" interrupt, so a
// VMM running Linux connects the callback to IRQ 4 (see vmm/linux/linux_vm.h).
//
// Never: blocks, or lets the guest make it grow without bound (input is
// what the host queues; output is the guest's, as much as it writes).
// Not thread-safe: the vCPU thread drives it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "vmm/bus/bus_device.h"

namespace uh::vmm {

class Uart8250 : public BusDevice {
 public:
  static constexpr std::uint16_t kCom1Port = 0x3f8;  ///< COM1's base port on a PC
  static constexpr unsigned kCom1Irq = 4;            ///< COM1's ISA interrupt line
  static constexpr std::uint64_t kRegisterCount = 8;

  // Register offsets from the base port.
  static constexpr std::uint64_t kData = 0;  ///< RBR / THR, DLL with DLAB
  static constexpr std::uint64_t kIer = 1;   ///< DLM with DLAB
  static constexpr std::uint64_t kIirFcr = 2;
  static constexpr std::uint64_t kLcr = 3;
  static constexpr std::uint64_t kMcr = 4;
  static constexpr std::uint64_t kLsr = 5;
  static constexpr std::uint64_t kMsr = 6;
  static constexpr std::uint64_t kScr = 7;

  // Bits the registers use.
  static constexpr std::uint8_t kIerReceivedData = 0x01;
  static constexpr std::uint8_t kIerTransmitterEmpty = 0x02;
  static constexpr std::uint8_t kIirNoInterrupt = 0x01;
  static constexpr std::uint8_t kIirTransmitterEmpty = 0x02;
  static constexpr std::uint8_t kIirReceivedData = 0x04;
  static constexpr std::uint8_t kIirFifosEnabled = 0xc0;
  static constexpr std::uint8_t kFcrEnableFifo = 0x01;
  static constexpr std::uint8_t kLcrDlab = 0x80;
  static constexpr std::uint8_t kMcrLoopback = 0x10;
  static constexpr std::uint8_t kLsrDataReady = 0x01;
  static constexpr std::uint8_t kLsrTransmitterEmpty = 0x20;  ///< THRE
  static constexpr std::uint8_t kLsrTransmitterIdle = 0x40;   ///< TEMT
  static constexpr std::uint8_t kMsrCts = 0x10;
  static constexpr std::uint8_t kMsrDsr = 0x20;
  static constexpr std::uint8_t kMsrRi = 0x40;
  static constexpr std::uint8_t kMsrDcd = 0x80;

  /// `sink`, when set, receives every byte the guest sends, as it is sent.
  /// `irq`, when set, is called with the new level of the interrupt line
  /// each time it changes (true: raised).
  explicit Uart8250(std::function<void(char)> sink = {}, std::function<void(bool)> irq = {});

  void read(std::uint64_t offset, std::span<std::uint8_t> data) override;
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override;

  /// Everything the guest has sent so far (loopback bytes excluded).
  const std::string& output() const { return output_; }

  /// Queues `bytes` for the guest to read from RBR, in order. They stand for
  /// bytes still arriving on the line, so a FIFO reset (FCR) does not drop them.
  void queue_input(std::string_view bytes);
  /// Bytes queued and not yet read by the guest.
  std::size_t input_waiting() const { return input_.size(); }

  /// The divisor latch (DLM:DLL); the baud rate is 115200 / divisor.
  std::uint16_t divisor() const { return divisor_; }
  /// The line control register, e.g. 0x03 for 8 data bits, no parity, 1 stop bit.
  std::uint8_t line_control() const { return lcr_; }
  /// Whether the interrupt line is raised now.
  bool interrupt_line() const { return line_; }

 private:
  std::uint8_t read_register(std::uint64_t offset);
  void write_register(std::uint64_t offset, std::uint8_t value);
  /// The IIR value for the causes pending now (without the FIFO bits).
  std::uint8_t pending_cause() const;
  /// Recomputes the line's level and tells `irq_` when it changed.
  void update_line();
  std::uint8_t modem_status() const;

  std::function<void(char)> sink_;
  std::function<void(bool)> irq_;
  std::string output_;
  std::deque<std::uint8_t> input_;

  std::uint16_t divisor_ = 12;  // 9600 baud, the power-on value
  std::uint8_t ier_ = 0;
  std::uint8_t fcr_ = 0;
  std::uint8_t lcr_ = 0;
  std::uint8_t mcr_ = 0;
  std::uint8_t scr_ = 0;
  // "Transmitter empty" is an event, not a state: it is raised when THR
  // empties (or THRE interrupts are enabled while it is empty) and cleared
  // by reading IIR while it is the reported cause, or by writing THR.
  bool thr_empty_pending_ = false;
  bool line_ = false;
};

}  // namespace uh::vmm
