#include "mortem/v8/frames.h"

#include <algorithm>

#include "mortem/v8/object_view.h"
#include "mortem/v8/properties.h"
#include "mortem/v8/tagged.h"

namespace mortem::v8 {
namespace {

constexpr uint64_t kMaxArgumentCount = 1 << 16;  // beyond this the argc slot is not one

// A frame's slots, at the layout's signed offsets from its frame pointer (fp_*).
class FrameSlots {
 public:
  FrameSlots(const Memory& memory, Address fp) : memory_(memory), fp_(fp) {}
  std::optional<uint64_t> Word(int32_t offset) const {
    return memory_.ReadWord(static_cast<Address>(static_cast<int64_t>(fp_) + offset));
  }

 private:
  const Memory& memory_;
  Address fp_;
};

}  // namespace

FrameDecoder::FrameDecoder(const Memory& memory, const Layout& layout, const Heap& heap)
    : memory_(memory),
      layout_(layout),
      values_(memory, layout, heap),
      scripts_(memory, layout, values_.namer()) {}

// A typed frame's marker: StackFrame::TypeToMarker(type) = type << 1, a 32-bit value in a
// 64-bit slot, low bit 0 (execution/frames.h).
std::optional<std::string> FrameDecoder::MarkerType(uint64_t slot) const {
  if (slot > 0xffffffff || (slot & 1) != 0) return std::nullopt;
  auto it = layout_.frame_types.find(static_cast<int>(slot >> 1));
  if (it == layout_.frame_types.end()) return std::nullopt;
  return it->second;
}

bool FrameDecoder::IsJSFunction(uint64_t tagged) {
  const MapInfo* map = values_.namer().MapOf(tagged);
  return map && layout_.IsJSFunction(map->instance_type);
}

Address FrameDecoder::FunctionOf(Address fp) {
  auto function = FrameSlots(memory_, fp).Word(layout_.off.fp_function);
  return function && IsJSFunction(*function) ? *function : 0;
}

V8Frame FrameDecoder::Decode(Address fp, size_t max_arguments) {
  V8Frame frame;
  auto marker = FrameSlots(memory_, fp).Word(layout_.off.fp_context);
  if (!marker) return frame;
  if (auto type = MarkerType(*marker)) {
    frame.kind = V8Frame::Kind::kTyped;
    frame.type = *type;
    return frame;
  }
  // A JS frame: a Context in the context slot and a JSFunction in the function slot.
  const MapInfo* context_map = values_.namer().MapOf(*marker);
  if (!context_map || !layout_.IsContext(context_map->instance_type)) return frame;
  Address function = FunctionOf(fp);
  if (!function) return frame;
  frame.kind = V8Frame::Kind::kJavaScript;
  frame.function = function;
  auto shared = ObjectView::At(memory_, Tagged(function)).Field(layout_.off.function_shared);
  // As V8's stack traces name it (SharedFunctionInfo::DebugName: the inferred name if anonymous).
  frame.function_name = shared ? values_.namer().SharedFunctionName(shared->raw(), true) : "";
  Position(frame, fp, shared ? shared->raw() : 0);
  Arguments(frame, fp, max_arguments);
  return frame;
}

// Interpreted frames hold the BytecodeArray and the current bytecode offset (as a Smi biased by
// the array's header, InterpretedFrame::GetBytecodeOffset); baseline frames hold the array and a
// feedback cell instead of the offset; optimized frames hold neither.
void FrameDecoder::Position(V8Frame& frame, Address fp, uint64_t shared) {
  auto script = scripts_.ScriptOf(shared);
  const FrameSlots slots(memory_, fp);
  auto bytecode = slots.Word(layout_.off.fp_bytecode_array);
  auto offset = slots.Word(layout_.off.fp_bytecode_offset);
  const MapInfo* bytecode_map = bytecode ? values_.namer().MapOf(*bytecode) : nullptr;
  bool has_bytecode = bytecode_map && bytecode_map->instance_type == layout_.types.bytecode_array;
  frame.type = !has_bytecode                ? "optimized"
               : (offset && IsSmi(*offset)) ? "interpreted"
                                            : "baseline";
  if (!script) return;
  int64_t position = -1;
  if (frame.type == "interpreted") {
    int64_t bytecode_offset =
        SmiValue(*offset) - static_cast<int64_t>(layout_.off.bytecode_array_header) + 1;
    position = scripts_.PositionOfBytecodeOffset(*bytecode, bytecode_offset);
    frame.position_exact = position >= 0;
  }
  if (position < 0) position = scripts_.FunctionStart(shared);
  frame.location = scripts_.Locate(*script, position);
}

// The receiver at fp+16, then the arguments; the count at fp-24 includes the receiver.
void FrameDecoder::Arguments(V8Frame& frame, Address fp, size_t max_arguments) {
  const FrameSlots slots(memory_, fp);
  const int32_t receiver_slot = layout_.off.fp_args;
  if (auto receiver = slots.Word(receiver_slot)) frame.receiver = values_.Preview(*receiver, 60);
  auto argc = slots.Word(layout_.off.fp_argc);
  if (!argc || *argc == 0 || *argc > kMaxArgumentCount) return;
  uint64_t count = *argc - 1;
  for (uint64_t i = 0; i < count; ++i) {
    if (i >= max_arguments) {
      frame.arguments_omitted = count - i;
      break;
    }
    auto value = slots.Word(receiver_slot + 8 * static_cast<int32_t>(i + 1));
    frame.arguments.push_back(value ? values_.Preview(*value, 48) : "<unreadable>");
  }
}

std::optional<ErrorInfo> FrameDecoder::DescribeError(uint64_t tagged, size_t max_frames) {
  const MapInfo* map = values_.namer().MapOf(tagged);
  if (!map || map->instance_type != layout_.types.js_error) return std::nullopt;
  ErrorInfo error;
  error.address = tagged - 1;
  error.type = values_.namer().ConstructorName(error.address, *map);
  PropertyReader properties(memory_, layout_);
  const StringReader& strings = values_.namer().strings();
  for (const auto& p : properties.OwnProperties(error.address, *map, 64)) {
    if (p.is_accessor) continue;
    auto key = strings.ReadTagged(p.key, 64);
    if (key && key->utf8 == "message") {
      if (auto text = strings.ReadTagged(p.value, 4096)) error.message = text->utf8;
      continue;
    }
    // The captured stack sits under a private symbol: a formatted string (`stack`), a FixedArray
    // of CallSiteInfo, or an ErrorStackData holding either.
    if (auto text =
            key && key->utf8 == "stack" ? strings.ReadTagged(p.value, 1 << 16) : std::nullopt) {
      error.stack.clear();
      size_t start = 0;
      while (start < text->utf8.size() && error.stack.size() < max_frames + 1) {
        size_t end = text->utf8.find('\n', start);
        if (end == std::string::npos) end = text->utf8.size();
        error.stack.push_back(text->utf8.substr(start, end - start));
        start = end + 1;
      }
      error.stack_formatted = true;
      continue;
    }
    if (error.stack.empty()) error.stack = CallSites(p.value, max_frames);
  }
  return error;
}

// A FixedArray of CallSiteInfo, directly or as ErrorStackData's first field.
std::vector<std::string> FrameDecoder::CallSites(uint64_t tagged_array, size_t max_frames) {
  std::vector<std::string> lines;
  const MapInfo* map = values_.namer().MapOf(tagged_array);
  if (!map) return lines;
  const ObjectView array = ObjectView::At(memory_, Tagged(tagged_array));
  if (layout_.types.error_stack_data && map->instance_type == *layout_.types.error_stack_data) {
    auto inner = array.Field(layout_.off.error_stack_data_call_sites);
    return inner ? CallSites(inner->raw(), max_frames) : lines;
  }
  if (map->instance_type != layout_.types.fixed_array) return lines;
  auto length = array.Smi(layout_.off.fixed_array_length);
  // 14.6 patch levels differ: 14.6.202.33 (Node 26.0.0) keeps CallSiteInfo objects,
  // 14.6.202.34 (26.12.1) flat entries [obs]. What the first slot holds tells them apart.
  if (!length || *length <= 0) return lines;
  auto first = array.Field(layout_.off.fixed_array_data);
  const MapInfo* first_map = first ? values_.namer().MapOf(first->raw()) : nullptr;
  const bool call_site_objects = first_map && layout_.types.call_site_info &&
                                 first_map->instance_type == *layout_.types.call_site_info;
  if (layout_.off.flat_call_site_words != 0 && !call_site_objects)
    return FlatCallSites(array, *length, max_frames);
  uint64_t count = std::min<uint64_t>(static_cast<uint64_t>(*length), max_frames);
  for (uint64_t i = 0; i < count; ++i) {
    auto element = array.Field(layout_.off.fixed_array_data + 8 * i);
    const MapInfo* element_map = element ? values_.namer().MapOf(element->raw()) : nullptr;
    if (!element_map || !layout_.types.call_site_info ||
        element_map->instance_type != *layout_.types.call_site_info)
      return i == 0 ? std::vector<std::string>{} : lines;
    if (auto line = CallSite(ObjectView::At(memory_, *element))) lines.push_back("at " + *line);
  }
  return lines;
}

// 14.6's flat frames: entries of flat_call_site_words words, the slots at the line's indices.
std::vector<std::string> FrameDecoder::FlatCallSites(const ObjectView& array, int64_t length,
                                                     size_t max_frames) {
  const Offsets& o = layout_.off;
  std::vector<std::string> lines;
  const uint64_t words = o.flat_call_site_words;
  const uint64_t entries = std::min<uint64_t>(std::max<int64_t>(length, 0) / words, max_frames);
  for (uint64_t i = 0; i < entries; ++i) {
    const uint64_t entry = o.fixed_array_data + i * words * 8;
    auto slot = [entry](uint32_t index) { return entry + uint64_t{index} * 8; };
    if (auto line =
            CallSiteAt(array, {slot(o.flat_call_site_code), slot(o.flat_call_site_function),
                               slot(o.flat_call_site_offset), slot(o.flat_call_site_flags)}))
      lines.push_back("at " + *line);
  }
  return lines;
}

// A CallSiteInfo (field offsets in the layout table).
std::optional<std::string> FrameDecoder::CallSite(const ObjectView& info) {
  const Offsets& o = layout_.off;
  return CallSiteAt(info, {o.call_site_code, o.call_site_function, o.call_site_offset_or_position,
                           o.call_site_flags});
}

// One captured frame from its code, function, offset and flags fields (in a CallSiteInfo, or in
// a flat entry of the array holding them): the function, its script and the position. The
// offset is a bytecode offset for interpreted frames unless the flags say the source position
// was computed already.
std::optional<std::string> FrameDecoder::CallSiteAt(const ObjectView& holder,
                                                    const CallSiteFields& fields) {
  const Offsets& o = layout_.off;
  auto function = holder.Field(fields.function);
  if (!function || !IsJSFunction(function->raw())) return std::nullopt;
  auto code_field = holder.Field(fields.code);
  uint64_t code = BytecodeOf(code_field ? code_field->raw() : 0);
  auto shared_field = ObjectView::At(memory_, *function).Field(o.function_shared);
  const uint64_t shared = shared_field ? shared_field->raw() : 0;
  std::string name = values_.namer().SharedFunctionName(shared, true);
  auto script = scripts_.ScriptOf(shared);
  if (!script) return name.empty() ? "<anonymous>" : name;
  auto offset = holder.Smi(fields.offset);
  auto flags = holder.Smi(fields.flags);
  int64_t position = -1;
  if (offset && flags) {
    bool computed = (*flags >> o.call_site_position_computed_bit) & 1;
    position = computed ? *offset : scripts_.PositionOfBytecodeOffset(code, *offset);
  }
  if (position < 0) position = scripts_.FunctionStart(shared);
  std::string where = scripts_.Locate(*script, position).ToString();
  return name.empty() ? where : name + " (" + where + ")";
}

// A BytecodeWrapper's BytecodeArray (13.x+: {map, bytecode}); anything else unchanged.
uint64_t FrameDecoder::BytecodeOf(uint64_t code) {
  const MapInfo* map = values_.namer().MapOf(code);
  if (!map || !layout_.types.bytecode_wrapper ||
      map->instance_type != *layout_.types.bytecode_wrapper)
    return code;
  auto bytecode = ObjectView::At(memory_, Tagged(code)).Field(8);
  return bytecode ? bytecode->raw() : 0;
}

}  // namespace mortem::v8
