// Purpose: the error type of load-time failures. Thrown by loaders and validators with a message
// that names what failed (file, address, constant); caught at the command boundary, so one bad
// input ends one command and never the host process.
#pragma once
#include <stdexcept>
#include <string>

namespace mortem {

// Exit codes shared by every frontend (documented in README).
enum class ExitCode : int {
  kOk = 0,
  kUsage = 2,
  kBadInput = 3,      // unreadable, truncated or non-node core; corrupt heap
  kWrongBinary = 4,   // build-id mismatch between core and binary
  kPartial = 5,       // result produced, but parts of the heap were skipped
  kConditionMet = 6,  // triage --fail-if: a condition holds (the report is complete)
  kInternal = 70,
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::kBadInput)
      : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

}  // namespace mortem
