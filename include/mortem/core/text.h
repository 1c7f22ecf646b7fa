// Purpose: the few number-to-text conversions every layer uses in messages and output: an
// address in hex and a byte count in human units. One definition for all layers.
#pragma once
#include <cstdint>
#include <string>

namespace mortem {

std::string Hex(uint64_t value);         // "0x1f00"
std::string HumanBytes(uint64_t bytes);  // "16 bytes", "256.0 KiB", "1.7 GiB"
std::string Grouped(uint64_t n);         // 1234567 -> "1,234,567"

}  // namespace mortem
