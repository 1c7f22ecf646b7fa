#include "wrap_names.h"

#include <cxxabi.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <set>

#include "mortem/v8/properties.h"
#include "mortem/v8/tagged.h"

namespace mortem {
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

WrapNamer::WrapNamer(Session& session, v8::ValueReader& values)
    : session_(session), values_(values) {
  // static const char* const provider_names[] in node's async_wrap.cc: one name per provider.
  auto names = session.symbols().Find("_ZN4nodeL14provider_namesE");
  if (!names || names->size % 8 != 0 || names->size > 8 * 1024) return;
  for (uint64_t i = 0; i < names->size / 8; ++i) {
    auto text = session.memory().ReadWord(names->address + 8 * i);
    char buf[64] = {};
    if (!text || session.memory().Read(*text, buf, sizeof buf - 1) == 0) {
      provider_names_.clear();
      return;
    }
    provider_names_.emplace_back(buf);
  }
}

bool WrapNamer::FitsProvider(Address wrap, uint64_t offset) const {
  const auto& memory = session_.memory();
  auto provider = memory.ReadValue<uint32_t>(wrap + offset);
  return provider && *provider < provider_names_.size() &&
         IsIdDouble(memory.ReadValue<double>(wrap + offset + 8), 1) &&
         IsIdDouble(memory.ReadValue<double>(wrap + offset + 16), -1);
}

void WrapNamer::Prepare(const std::vector<Address>& wraps) {
  const auto& n = session_.layout().node;
  if (provider_names_.empty() || wraps.empty() || !n.base_object_persistent) return;
  const uint64_t first = *n.base_object_persistent + 8;
  for (uint64_t offset = first; offset < first + kProviderSearch; offset += 8) {
    std::set<double> ids;  // async ids are unique per wrap
    bool fits = true;
    for (Address wrap : wraps) {
      fits = FitsProvider(wrap, offset) &&
             ids.insert(*session_.memory().ReadValue<double>(wrap + offset + 8)).second;
      if (!fits) break;
    }
    if (fits) {
      provider_offset_ = offset;
      return;
    }
  }
}

std::string WrapNamer::ClassOfVtable(Address wrap) const {
  auto vptr = session_.memory().ReadWord(wrap);
  auto symbol = vptr ? session_.symbols().FindByAddress(*vptr) : std::nullopt;
  if (!symbol || symbol->name.rfind("_ZTV", 0) != 0) return "";
  return ClassOfVtableName(Demangled(symbol->name));
}

std::optional<std::string> WrapNamer::Provider(Address wrap) const {
  if (!provider_offset_) return std::nullopt;
  auto provider = session_.memory().ReadValue<uint32_t>(wrap + *provider_offset_);
  if (!provider || *provider >= provider_names_.size()) return std::nullopt;
  return provider_names_[*provider];
}

std::optional<bool> WrapNamer::HandleRefed(Address wrap) const {
  const auto& memory = session_.memory();
  const auto& n = session_.layout().node;
  // HandleWrap::handle_ follows its list node; the uv handle's data points back at the wrap.
  const uint64_t first = *n.handle_wrap_queue_node + 16;
  for (uint64_t at = first; at < first + kHandlePointerSearch; at += 8) {
    auto handle = memory.ReadWord(wrap + at);
    if (!handle || *handle <= wrap || *handle >= wrap + kMaxWrapSize) continue;
    if (memory.ReadWord(*handle) != wrap) continue;
    auto flags = memory.ReadValue<uint32_t>(*handle + kUvHandleFlags);
    if (flags) return (*flags & kUvHandleRef) != 0;
  }
  return std::nullopt;
}

std::string WrapNamer::Owner(Address object) {
  // AsyncWrap::GetOwner: follow obj[owner_symbol] while it is an object.
  v8::PropertyReader properties(session_.memory(), session_.layout());
  auto& namer = values_.namer();
  const auto& layout = session_.layout();
  uint64_t current = object + 1;
  for (int hop = 0; hop < kMaxOwnerHops; ++hop) {
    const v8::MapInfo* map = namer.MapOf(current);
    if (!map || !layout.IsJSReceiver(map->instance_type)) break;
    auto owner = properties.FindOwnData(current - 1, *map, [&](uint64_t key) {
      const v8::MapInfo* key_map = namer.MapOf(key);
      if (!key_map || key_map->instance_type != layout.types.symbol) return false;
      auto description = session_.memory().ReadWord(key - 1 + layout.off.symbol_description);
      auto text = description ? namer.strings().ReadTagged(*description, 16) : std::nullopt;
      return text && text->utf8 == "owner_symbol";
    });
    const v8::MapInfo* owner_map = owner ? namer.MapOf(*owner) : nullptr;
    if (!owner_map || !layout.IsJSReceiver(owner_map->instance_type)) break;
    current = *owner;
  }
  const v8::MapInfo* map = namer.MapOf(current);
  return map ? namer.Label(current - 1, *map, false).name : "";
}

void WrapNamer::Name(ActiveWrap& wrap, bool is_handle) {
  wrap.provider = Provider(wrap.wrap).value_or("");
  std::string cls = ClassOfVtable(wrap.wrap);
  // tcp_wrap.h: TCPWrap::MemoryInfoName() says which by the provider.
  if (cls == "TCPWrap" && wrap.provider == "TCPSERVERWRAP") cls = "TCPServerWrap";
  if (cls == "TCPWrap" && wrap.provider == "TCPWRAP") cls = "TCPSocketWrap";
  wrap.type = cls.empty() ? wrap.js_class : cls;
  if (is_handle) wrap.refed = HandleRefed(wrap.wrap).value_or(true);
  wrap.owner = !wrap.object ? "" : is_handle ? Owner(wrap.object) : wrap.js_class;
}

}  // namespace mortem
