// Purpose: each command's typed options, read once from its parsed words (ParseOptions in
// registry.h) into the analysis's options struct before the command runs: the run functions use
// only these, and the reading (defaults, clamps, --sort words) is unit-tested without a core.
// Each throws po::error for a value it does not take.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/analysis/buffers.h"
#include "mortem/analysis/diff.h"
#include "mortem/analysis/handles.h"
#include "mortem/analysis/objects.h"
#include "mortem/analysis/read.h"
#include "mortem/analysis/stack.h"
#include "mortem/analysis/triage.h"
#include "mortem/commands/registry.h"
#include "mortem/v8/values.h"

namespace mortem::commands {

ObjectsOptions ObjectsOptionsFrom(const po::variables_map& vm);
DiffOptions DiffOptionsFrom(const po::variables_map& vm);  // force: the frontend's (--force)
BuffersOptions BuffersOptionsFrom(const po::variables_map& vm);
StackOptions StackOptionsFrom(const po::variables_map& vm);
SourceOptions SourceOptionsFrom(const po::variables_map& vm);
HandlesOptions HandlesOptionsFrom(const po::variables_map& vm);

struct TriageCommandOptions {
  TriageOptions triage;
  std::vector<std::string> fail_if;  // --fail-if conditions (each parses: else Error)
  bool markdown = false;
};
TriageCommandOptions TriageOptionsFrom(const po::variables_map& vm);

struct InspectOptions {
  Address address = 0;
  v8::ValueLimits limits;
  bool source = false;  // a function's source text too
};
InspectOptions InspectOptionsFrom(const po::variables_map& vm);

struct InstancesOptions {
  std::string name, kind;  // kind empty: object rows if any
  size_t limit = 50;       // 0: all
  bool all = false;        // garbage not yet collected too
};
InstancesOptions InstancesOptionsFrom(const po::variables_map& vm);

// `read ADDRESS`, and `buffers --dump ADDRESS` (format: hex).
struct ReadOptions {
  std::string text;  // the address as written, for messages
  Address address = 0;
  uint64_t length = 0;
  ReadFormat format = ReadFormat::kHex;
};
ReadOptions ReadOptionsFrom(const po::variables_map& vm);
std::optional<ReadOptions> DumpOptionsFrom(const po::variables_map& vm);  // without --dump: none

struct RefsOptions {
  enum class By { kAddress, kName, kString } by = By::kAddress;  // what the argument is
  std::string query;
  Address address = 0;  // By::kAddress
  size_t limit = 1000;  // By::kName, By::kString; 0: all
};
RefsOptions RefsOptionsFrom(const po::variables_map& vm);

struct RetainersOptions {
  Address address = 0;
  size_t paths = 3;
  uint32_t depth = 64;
  bool weak = false;
};
RetainersOptions RetainersOptionsFrom(const po::variables_map& vm);

struct DominatorsOptions {
  size_t top = 20;    // at least 1
  size_t paths = 20;  // retainer paths for the first N
};
DominatorsOptions DominatorsOptionsFrom(const po::variables_map& vm);

}  // namespace mortem::commands
