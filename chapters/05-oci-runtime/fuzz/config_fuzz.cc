// Fuzz target for oci/config: any bytes given as config.json parse to a
// Config or a ConfigError, never a crash, a hang or another exception; and
// when one parses, its seccomp profile and mount options are translated the
// same careful way (their errors are ConfigError / invalid_argument too).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oci/config.h"
#include "oci/mount_options.h"
#include "oci/seccomp_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const uh::oci::Config config = uh::oci::parse_config(text, "/bundle");
    for (const uh::oci::Mount& m : config.mounts) {
      try {
        uh::oci::parse_mount_options(m.options);
      } catch (const std::invalid_argument&) {
      }
    }
    if (config.seccomp) uh::oci::SeccompFilter filter(*config.seccomp);
  } catch (const uh::oci::ConfigError&) {
    // A clear refusal is the right answer to bad input.
  }
  return 0;
}
