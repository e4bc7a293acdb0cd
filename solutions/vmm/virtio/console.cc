#include "vmm/virtio/console.h"

#include <fmt/format.h>

#include <vector>

namespace uh::vmm::virtio {

Expected<bool, QueueError> ConsoleDevice::process(unsigned index, SplitQueue& queue) {
  bool any = false;
  if (index == 1) {  // transmitq: the guest's output
    for (unsigned n = 0; n < queue.layout().size; ++n) {
      auto next = queue.pop();
      if (!next) break;
      if (!*next) return unexpected(next->error());
      const Chain& chain = next->value();
      std::string text(chain.readable_bytes() > 64 * 1024 ? 64 * 1024 : chain.readable_bytes(),
                       '\0');
      chain.read(0, std::span(reinterpret_cast<std::uint8_t*>(text.data()), text.size()));
      output_ += text;
      if (echo_) echo_(text);
      queue.push_used(chain.head, 0);
      any = true;
    }
    return any;
  }
  // receiveq: fill the driver's buffers with waiting input, one chain per
  // buffer-full, as long as both last.
  while (!input_.empty()) {
    auto next = queue.pop();
    if (!next) break;
    if (!*next) return unexpected(next->error());
    const Chain& chain = next->value();
    std::vector<std::uint8_t> bytes;
    while (!input_.empty() && bytes.size() < chain.writable_bytes()) {
      bytes.push_back(static_cast<std::uint8_t>(input_.front()));
      input_.pop_front();
    }
    const std::size_t written = chain.write(0, bytes);
    queue.push_used(chain.head, static_cast<std::uint32_t>(written));
    any = true;
  }
  return any;
}

}  // namespace uh::vmm::virtio
