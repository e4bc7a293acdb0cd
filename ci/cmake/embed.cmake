# embed.cmake — turn a binary file into a C++ source defining a byte span.
#   cmake -DINPUT=f.bin -DOUTPUT=f.cc -DSYMBOL=kName -DNAMESPACE=a::b -P embed.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by ci/cmake/embed.cmake; do not edit.
#include <cstdint>
#include <span>

namespace ${NAMESPACE} {

namespace {
alignas(16) const std::uint8_t kBytes[${size}] = {
    ${bytes}};
}  // namespace

extern const std::span<const std::uint8_t> ${SYMBOL};
const std::span<const std::uint8_t> ${SYMBOL}(kBytes, ${size});

}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
