// Purpose: each command's typed options, read once from its parsed words (ParseOptions in
// registry.h) into the analysis's options struct before the command runs: the run functions use
// only these, and the reading (defaults, clamps, --sort words) is unit-tested without a core.
// Each throws po::error for a value it does not take.
#pragma once
#include "mortem/analysis/buffers.h"
#include "mortem/analysis/diff.h"
#include "mortem/analysis/handles.h"
#include "mortem/analysis/objects.h"
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
TriageOptions TriageOptionsFrom(const po::variables_map& vm);

struct InspectOptions {
  Address address = 0;
  v8::ValueLimits limits;
  bool source = false;  // a function's source text too
};
InspectOptions InspectOptionsFrom(const po::variables_map& vm);

}  // namespace mortem::commands
