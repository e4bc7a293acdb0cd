#include "vmm/devices/uart_8250.h"

namespace uh::vmm {

Uart8250::Uart8250(std::function<void(char)> sink, std::function<void(bool)> irq)
    : sink_(std::move(sink)), irq_(std::move(irq)) {}

void Uart8250::read(std::uint64_t offset, std::span<std::uint8_t> data) {
  // Each register is one byte; a wider access reads the following registers
  // (the bus has already checked the access lies inside the eight).
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = read_register(offset + i);
}

void Uart8250::write(std::uint64_t offset, std::span<const std::uint8_t> data) {
  for (std::size_t i = 0; i < data.size(); ++i) write_register(offset + i, data[i]);
}

void Uart8250::queue_input(std::string_view bytes) {
  input_.insert(input_.end(), bytes.begin(), bytes.end());
  update_line();
}

std::uint8_t Uart8250::read_register(std::uint64_t offset) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (offset) {
    case kData: {
      if (dlab) return static_cast<std::uint8_t>(divisor_ & 0xff);
      if (input_.empty()) return 0;
      std::uint8_t byte = input_.front();
      input_.pop_front();
      update_line();
      return byte;
    }
    case kIer:
      return dlab ? static_cast<std::uint8_t>(divisor_ >> 8) : ier_;
    case kIirFcr: {
      std::uint8_t cause = pending_cause();
      // Reading IIR acknowledges "transmitter empty" when that is what it reports.
      if (cause == kIirTransmitterEmpty) {
        thr_empty_pending_ = false;
        update_line();
      }
      return cause | ((fcr_ & kFcrEnableFifo) ? kIirFifosEnabled : 0);
    }
    case kLcr:
      return lcr_;
    case kMcr:
      return mcr_;
    case kLsr:
      return kLsrTransmitterEmpty | kLsrTransmitterIdle | (input_.empty() ? 0 : kLsrDataReady);
    case kMsr:
      return modem_status();
    case kScr:
      return scr_;
    default:
      return 0xff;  // unreachable: the bus range is eight registers
  }
}

void Uart8250::write_register(std::uint64_t offset, std::uint8_t value) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (offset) {
    case kData:
      if (dlab) {
        divisor_ = static_cast<std::uint16_t>((divisor_ & 0xff00) | value);
        return;
      }
      if (mcr_ & kMcrLoopback) {
        // Loopback: the transmitter feeds the receiver, nothing leaves the chip.
        input_.push_back(value);
      } else {
        output_.push_back(static_cast<char>(value));
        if (sink_) sink_(static_cast<char>(value));
      }
      // Sent at once, so THR is empty again: that is the "transmitter empty" event.
      thr_empty_pending_ = true;
      update_line();
      return;
    case kIer: {
      if (dlab) {
        divisor_ = static_cast<std::uint16_t>((divisor_ & 0x00ff) | (value << 8));
        return;
      }
      const std::uint8_t enabled = value & 0x0f;  // bits 7..4 are reserved on a 16550A
      // Enabling THRE interrupts while THR is empty (it always is) raises one at once.
      if ((enabled & kIerTransmitterEmpty) && !(ier_ & kIerTransmitterEmpty)) {
        thr_empty_pending_ = true;
      }
      ier_ = enabled;
      update_line();
      return;
    }
    case kIirFcr:
      fcr_ = value;
      update_line();
      return;
    case kLcr:
      lcr_ = value;
      return;
    case kMcr:
      mcr_ = value & 0x1f;  // bits 7..5 are reserved
      return;
    case kScr:
      scr_ = value;
      return;
    default:
      return;  // LSR and MSR are read-only
  }
}

std::uint8_t Uart8250::pending_cause() const {
  // Priorities (16550A data sheet, table "Interrupt Control Functions"):
  // received data before transmitter empty; line and modem status never occur here.
  if ((ier_ & kIerReceivedData) && !input_.empty()) return kIirReceivedData;
  if ((ier_ & kIerTransmitterEmpty) && thr_empty_pending_) return kIirTransmitterEmpty;
  return kIirNoInterrupt;
}

void Uart8250::update_line() {
  const bool raised = pending_cause() != kIirNoInterrupt;
  if (raised == line_) return;
  line_ = raised;
  if (irq_) irq_(raised);
}

std::uint8_t Uart8250::modem_status() const {
  if (mcr_ & kMcrLoopback) {
    // Loopback wires the modem control outputs to the status inputs:
    // RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD.
    std::uint8_t status = 0;
    if (mcr_ & 0x02) status |= kMsrCts;
    if (mcr_ & 0x01) status |= kMsrDsr;
    if (mcr_ & 0x04) status |= kMsrRi;
    if (mcr_ & 0x08) status |= kMsrDcd;
    return status;
  }
  return kMsrCts | kMsrDsr | kMsrDcd;  // a line that is connected and ready
}

}  // namespace uh::vmm
