#include "mortem/format/render.h"
#include "mortem/format/table.h"

namespace mortem::format {
namespace {

const char* KindWord(v8::Value::Kind kind) {
  using K = v8::Value::Kind;
  switch (kind) {
    case K::kSmi:
      return "smi";
    case K::kNumber:
      return "number";
    case K::kOddball:
      return "oddball";
    case K::kString:
      return "string";
    case K::kSymbol:
      return "symbol";
    case K::kBigInt:
      return "bigint";
    case K::kObject:
      return "object";
    case K::kArray:
      return "array";
    case K::kFunction:
      return "function";
    case K::kInternal:
      return "internal";
    default:
      return "unreadable";
  }
}

nlohmann::json ValueJson(const v8::Value& v) {
  nlohmann::json j = {{"kind", KindWord(v.kind)}, {"type", v.type}, {"text", v.text}};
  if (v.address) j["address"] = Hex(v.address);
  if (!v.instance_type.empty()) j["instance_type"] = v.instance_type;
  if (v.size) j["size"] = v.size;
  if (v.truncated) j["truncated"] = true;
  if (!v.children.empty()) {
    nlohmann::json children = nlohmann::json::array();
    for (const auto& [key, child] : v.children) {
      auto c = ValueJson(child);
      c["key"] = key;
      children.push_back(c);
    }
    j["children"] = children;
  }
  if (v.omitted_children) j["omitted_children"] = v.omitted_children;
  return j;
}

std::string Brief(const v8::Value& v) {
  std::string s = v.text.empty() ? v.type : v.text;
  if (v.address && v.kind != v8::Value::Kind::kOddball) s += "  @" + Hex(v.address);
  return s;
}

void PrintValue(const v8::Value& v, std::ostream& out, int indent) {
  for (const auto& [key, child] : v.children) {
    out << std::string(indent, ' ') << OneLine(key) << ": " << OneLine(Brief(child)) << "\n";
    PrintValue(child, out, indent + 2);
  }
  if (v.omitted_children)
    out << std::string(indent, ' ') << "… " << Grouped(v.omitted_children) << " more\n";
}

}  // namespace

nlohmann::json ToJson(const InstancesResult& r) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& i : r.instances)
    list.push_back({{"address", Hex(i.address)}, {"size", i.size}, {"preview", i.preview}});
  return {{"schema", kSchemaVersion},
          {"name", r.name},
          {"total", r.total},
          {"instances", list},
          {"warnings", r.warnings}};
}

void PrintText(const InstancesResult& r, std::ostream& out) {
  for (const auto& i : r.instances) out << Hex(i.address) << "  " << OneLine(i.preview) << "\n";
  if (r.total > r.instances.size())
    out << "(" << Grouped(r.instances.size()) << " of " << Grouped(r.total)
        << " shown; --limit 0 for all)\n";
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

nlohmann::json ToJson(const InspectResult& r) {
  nlohmann::json j = {{"schema", kSchemaVersion}, {"address", Hex(r.requested)},
                      {"space", r.space},         {"value", ValueJson(r.value)},
                      {"map", Hex(r.map)},        {"warnings", r.warnings}};
  if (r.source) j["source"] = *r.source;
  return j;
}

void PrintText(const InspectResult& r, std::ostream& out) {
  const auto& v = r.value;
  out << Hex(v.address) << ": " << v.type;
  if (!v.instance_type.empty() && v.instance_type != v.type) out << " (" << v.instance_type << ")";
  out << ", " << Grouped(v.size) << " bytes in " << r.space << ", map " << Hex(r.map) << "\n";
  if (!v.text.empty() && v.text != v.type) out << v.text << "\n";
  PrintValue(v, out, 2);
  if (r.source) out << "source:\n" << *r.source << "\n";
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

}  // namespace mortem::format
