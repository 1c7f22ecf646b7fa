// Purpose: the one formatting layer: every command result rendered as JSON (stable, versioned
// with "schema") or as text for a terminal. Analyses never print; frontends call these.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "mortem/analysis/buffers.h"
#include "mortem/analysis/diff.h"
#include "mortem/analysis/dominators.h"
#include "mortem/analysis/handles.h"
#include "mortem/analysis/info.h"
#include "mortem/analysis/inspect.h"
#include "mortem/analysis/memory.h"
#include "mortem/analysis/objects.h"
#include "mortem/analysis/read.h"
#include "mortem/analysis/retainers.h"
#include "mortem/analysis/snapshot.h"
#include "mortem/analysis/stack.h"
#include "mortem/analysis/triage.h"

namespace mortem::format {

constexpr int kSchemaVersion = 1;

nlohmann::json ToJson(const InfoResult& r);
void PrintText(const InfoResult& r, std::ostream& out);
// An isolate's thread as tables show it: "main thread, tid 16520", "worker thread, tid 16529".
std::string ThreadCell(const IsolateInfo& i);
// Node's thread name as tables show it: "?" unknown, "" (the main thread's) quoted.
std::string ThreadNameCell(const std::optional<std::string>& name);

nlohmann::json ToJson(const SnapshotResult& r);
void PrintText(const SnapshotResult& r, std::ostream& out);

nlohmann::json ToJson(const ObjectsResult& r);
void PrintText(const ObjectsResult& r, std::ostream& out);

nlohmann::json ToJson(const InstancesResult& r);
void PrintText(const InstancesResult& r, std::ostream& out);
nlohmann::json ToJson(const InspectResult& r);
void PrintText(const InspectResult& r, std::ostream& out);

nlohmann::json ToJson(const BuffersResult& r);
void PrintText(const BuffersResult& r, std::ostream& out);
nlohmann::json ToJson(const MemoryResult& r);
void PrintText(const MemoryResult& r, std::ostream& out);

nlohmann::json ToJson(const ReadResult& r);
void PrintText(const ReadResult& r, std::ostream& out);

nlohmann::json ToJson(const RefsResult& r);
void PrintText(const RefsResult& r, std::ostream& out);
nlohmann::json ToJson(const RetainersResult& r);
void PrintText(const RetainersResult& r, std::ostream& out);
// One retainer path: {"steps":[{address,type,edge}...],"root"}; as text, one step a line.
nlohmann::json ToJson(const RetainerPath& p);
void PrintPath(const RetainerPath& p, std::ostream& out, const std::string& indent);

nlohmann::json ToJson(const DiffResult& r);
void PrintText(const DiffResult& r, std::ostream& out);

nlohmann::json ToJson(const TriageResult& r);
void PrintText(const TriageResult& r, std::ostream& out);
void PrintMarkdown(const TriageResult& r, std::ostream& out);
// What comes before the isolates' sections where the process has several: one row per isolate
// (its thread, Node's threadId and name, heap used, objects, suspects, whether it crashed) and
// every isolate's suspects, each with its isolate. One TriageResult per isolate, in index order.
void PrintTriageOverview(const std::vector<TriageResult>& isolates, std::ostream& out,
                         bool markdown);

nlohmann::json ToJson(const HandlesResult& r);
void PrintText(const HandlesResult& r, std::ostream& out);

nlohmann::json ToJson(const StackResult& r);
void PrintText(const StackResult& r, std::ostream& out);
nlohmann::json ToJson(const SourceResult& r);
void PrintText(const SourceResult& r, std::ostream& out);
nlohmann::json ToJson(const v8::ErrorInfo& e);
void PrintText(const v8::ErrorInfo& e, std::ostream& out);
void PrintThread(const ThreadStack& t, std::ostream& out);

nlohmann::json ToJson(const DominatorsResult& r);
void PrintText(const DominatorsResult& r, std::ostream& out);

nlohmann::json ToJson(const WalkSummary& w);
nlohmann::json ToJson(const v8::PageOrigin& p);
// The walk warning (unparsed or missing bytes), if any.
void PrintWalkWarning(const WalkSummary& w, std::ostream& out);

}  // namespace mortem::format
