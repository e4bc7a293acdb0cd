// vmm/linux/guest_kernel.h — where vendor-kernels/ leaves the guest kernel and its initramfs.
//
// Owns: nothing. vendor-kernels/fetch-kernel unpacks the distribution's
// cloud kernel into a cache directory and vendor-kernels/build-initramfs
// writes the initramfs beside it; ci/install-deps runs both. The directory
// is $UH_KERNEL_DIR when set, otherwise build/vendor-kernels/ in the
// checkout this program was built from, the scripts' own default.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace uh::vmm::boot {

/// The line the initramfs's /init prints on the console before it powers
/// off; vendor-kernels/build-initramfs writes the same text.
inline constexpr std::string_view kInitLine = "uh-init: hello from Linux";

/// $UH_KERNEL_DIR, or build/vendor-kernels in the checkout this was built from.
std::filesystem::path guest_kernel_dir();
/// The bzImage: guest_kernel_dir() / "vmlinuz".
std::filesystem::path guest_kernel_image();
/// The initramfs: guest_kernel_dir() / "initramfs.cpio.gz".
std::filesystem::path guest_initramfs();

/// The whole of `path`. Throws SysError naming the file when it cannot be read.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path);

}  // namespace uh::vmm::boot
