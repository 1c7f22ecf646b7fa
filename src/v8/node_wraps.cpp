#include "mortem/v8/node_wraps.h"

#include <cxxabi.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <set>

#include "mortem/v8/object_view.h"
#include "mortem/v8/properties.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

// libuv's public uv_handle_t (uv.h, UV_HANDLE_FIELDS + the Unix UV_HANDLE_PRIVATE_FIELDS):
// data at 0, ..., flags at 88; UV_HANDLE_REF is 0x8 (src/uv-common.h). uv_has_ref tests it.
constexpr uint64_t kUvHandleFlags = 88;
constexpr uint32_t kUvHandleRef = 0x8;
// How far past the HandleWrap's list node its handle_ pointer may sit, and how far into the wrap
// the uv handle itself may be (the derived wraps hold it as a member).
constexpr uint64_t kHandlePointerSearch = 64;
constexpr uint64_t kMaxWrapSize = 4096;
// The AsyncWrap fields after BaseObject: provider_type_ (int32, then a bool), async_id_ and
// trigger_async_id_ (doubles). Searched for within this many bytes after the persistent handle.
constexpr uint64_t kProviderSearch = 64;
constexpr double kMaxSafeInteger = 9007199254740991.0;
constexpr int kMaxOwnerHops = 8;

bool IsIdDouble(std::optional<double> d, double min) {
  return d && std::isfinite(*d) && *d >= min && *d <= kMaxSafeInteger && std::floor(*d) == *d;
}

std::string Demangled(std::string_view mangled) {
  std::string name(mangled);
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), &std::free);
  return status == 0 && out ? std::string(out.get()) : std::string();
}

// "vtable for node::SimpleWriteWrap<node::ReqWrap<uv_write_s>>" -> "SimpleWriteWrap".
std::string ClassOfVtableName(std::string name) {
  constexpr std::string_view kPrefix = "vtable for ";
  if (name.rfind(kPrefix, 0) != 0) return "";
  name.erase(0, kPrefix.size());
  name = name.substr(0, name.find('<'));
  auto colons = name.rfind("::");
  return colons == std::string::npos ? name : name.substr(colons + 2);
}

}  // namespace

NodeWrapNamer::NodeWrapNamer(const Memory& memory, const Layout& layout, const SymbolTable& symbols,
                             Namer& namer)
    : memory_(memory), layout_(layout), symbols_(symbols), namer_(namer) {
  // static const char* const provider_names[] in node's async_wrap.cc: one name per provider.
  auto names = symbols.Find("_ZN4nodeL14provider_namesE");
  if (!names || names->size % 8 != 0 || names->size > 8 * 1024) return;
  const ObjectView table(memory, names->address, names->size);
  for (uint64_t i = 0; i < names->size / 8; ++i) {
    auto text = table.Word(8 * i);
    char buf[64] = {};
    if (!text || memory.Read(*text, buf, sizeof buf - 1) == 0) {
      provider_names_.clear();
      return;
    }
    provider_names_.emplace_back(buf);
  }
}

bool NodeWrapNamer::FitsProvider(Address wrap, uint64_t offset) const {
  const ObjectView object(memory_, wrap, kMaxWrapSize);
  auto provider = object.Read<uint32_t>(offset);
  return provider && *provider < provider_names_.size() &&
         IsIdDouble(object.Read<double>(offset + 8), 1) &&
         IsIdDouble(object.Read<double>(offset + 16), -1);
}

void NodeWrapNamer::Prepare(const std::vector<Address>& wraps) {
  const auto& n = layout_.node;
  if (provider_names_.empty() || wraps.empty() || !n.base_object_persistent) return;
  const uint64_t first = *n.base_object_persistent + 8;
  for (uint64_t offset = first; offset < first + kProviderSearch; offset += 8) {
    std::set<double> ids;  // async ids are unique per wrap
    bool fits = true;
    for (Address wrap : wraps) {
      fits = FitsProvider(wrap, offset) &&
             ids.insert(*ObjectView(memory_, wrap).Read<double>(offset + 8)).second;
      if (!fits) break;
    }
    if (fits) {
      provider_offset_ = offset;
      return;
    }
  }
}

std::string NodeWrapNamer::ClassOfVtable(Address wrap) const {
  auto vptr = ObjectView(memory_, wrap).Word(0);
  auto symbol = vptr ? symbols_.FindByAddress(*vptr) : std::nullopt;
  if (!symbol || symbol->name.rfind("_ZTV", 0) != 0) return "";
  return ClassOfVtableName(Demangled(symbol->name));
}

std::optional<std::string> NodeWrapNamer::Provider(Address wrap) const {
  if (!provider_offset_) return std::nullopt;
  auto provider = ObjectView(memory_, wrap).Read<uint32_t>(*provider_offset_);
  if (!provider || *provider >= provider_names_.size()) return std::nullopt;
  return provider_names_[*provider];
}

std::optional<bool> NodeWrapNamer::HandleRefed(Address wrap) const {
  const auto& n = layout_.node;
  if (!n.handle_wrap_queue_node) return std::nullopt;
  // HandleWrap::handle_ follows its list node; the uv handle's data points back at the wrap.
  const ObjectView object(memory_, wrap, kMaxWrapSize);
  const uint64_t first = *n.handle_wrap_queue_node + 16;
  for (uint64_t at = first; at < first + kHandlePointerSearch; at += 8) {
    auto handle = object.Word(at);
    if (!handle || *handle <= wrap || *handle >= wrap + kMaxWrapSize) continue;
    const ObjectView uv_handle(memory_, *handle);
    if (uv_handle.Word(0) != wrap) continue;
    auto flags = uv_handle.Read<uint32_t>(kUvHandleFlags);
    if (flags) return (*flags & kUvHandleRef) != 0;
  }
  return std::nullopt;
}

std::string NodeWrapNamer::Owner(Address object) {
  // AsyncWrap::GetOwner: follow obj[owner_symbol] while it is an object.
  PropertyReader properties(memory_, layout_);
  auto& namer = namer_;
  const auto& layout = layout_;
  uint64_t current = object + 1;
  for (int hop = 0; hop < kMaxOwnerHops; ++hop) {
    const MapInfo* map = namer.MapOf(current);
    if (!map || !layout.IsJSReceiver(map->instance_type)) break;
    auto owner = properties.FindOwnData(current - 1, *map, [&](uint64_t key) {
      const MapInfo* key_map = namer.MapOf(key);
      if (!key_map || key_map->instance_type != layout.types.symbol) return false;
      auto description = namer.SymbolDescription(key);
      auto text = description ? namer.strings().ReadTagged(*description, 16) : std::nullopt;
      return text && text->utf8 == "owner_symbol";
    });
    const MapInfo* owner_map = owner ? namer.MapOf(*owner) : nullptr;
    if (!owner_map || !layout.IsJSReceiver(owner_map->instance_type)) break;
    current = *owner;
  }
  const MapInfo* map = namer.MapOf(current);
  return map ? namer.Label(current - 1, *map, false).name : "";
}

WrapNames NodeWrapNamer::Name(Address wrap, Address object, bool is_handle) {
  WrapNames out;
  out.provider = Provider(wrap).value_or("");
  out.type = ClassOfVtable(wrap);
  // tcp_wrap.h: TCPWrap::MemoryInfoName() says which by the provider.
  if (out.type == "TCPWrap" && out.provider == "TCPSERVERWRAP") out.type = "TCPServerWrap";
  if (out.type == "TCPWrap" && out.provider == "TCPWRAP") out.type = "TCPSocketWrap";
  if (is_handle) out.refed = HandleRefed(wrap);
  if (is_handle && object) out.owner = Owner(object);
  return out;
}

}  // namespace mortem::v8
