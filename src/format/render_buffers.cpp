#include <cstring>

#include "mortem/format/render.h"
#include "mortem/format/table.h"
#include "mortem/v8/strings.h"

namespace mortem::format {
namespace {

nlohmann::json ViewJson(const BufferView& v) {
  nlohmann::json j = {{"address", Hex(v.address)},
                      {"type", v.type},
                      {"byte_offset", v.byte_offset},
                      {"byte_length", v.byte_length}};
  if (v.out_of_bounds) j["out_of_bounds"] = true;
  return j;
}

nlohmann::json BufferJson(const ArrayBufferInfo& b) {
  nlohmann::json views = nlohmann::json::array();
  for (const auto& v : b.views) views.push_back(ViewJson(v));
  nlohmann::json flags = nlohmann::json::array();
  if (b.external) flags.push_back("external");
  if (b.detached) flags.push_back("detached");
  if (b.shared) flags.push_back("shared");
  if (b.resizable) flags.push_back("resizable");
  if (b.wasm) flags.push_back("wasm_memory");
  return {{"address", Hex(b.address)},
          {"backing_store", Hex(b.backing_store)},
          {"byte_length", b.byte_length},
          {"max_byte_length", b.max_byte_length},
          {"kind", b.kind},
          {"flags", flags},
          {"data_in_core", b.data_in_core},
          {"views", views},
          {"viewed_bytes", b.viewed_bytes},
          {"unviewed_bytes", b.unviewed_bytes},
          {"problems", b.problems}};
}

// Decodes little-endian values of type T from bytes.
template <typename T>
std::vector<T> Values(const std::vector<std::byte>& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

std::string Text(const std::vector<std::byte>& bytes, ReadFormat format) {
  std::string out;
  if (format == ReadFormat::kUtf16) {
    std::u16string units;
    for (auto u : Values<uint16_t>(bytes)) units.push_back(static_cast<char16_t>(u));
    return v8::Utf16ToUtf8(units);
  }
  for (auto b : bytes) {
    char c = static_cast<char>(b);
    bool printable = c >= 0x20 && c < 0x7f;
    out.push_back(format == ReadFormat::kAscii && !printable && c != '\n' ? '.' : c);
  }
  return out;
}

}  // namespace

nlohmann::json ToJson(const BuffersResult& r) {
  nlohmann::json buffers = nlohmann::json::array();
  for (const auto& b : r.array_buffers) buffers.push_back(BufferJson(b));
  nlohmann::json retention = nlohmann::json::array();
  for (const auto& c : r.retention)
    retention.push_back({{"cause", c.cause},
                         {"array_buffers", c.array_buffers},
                         {"views", c.views},
                         {"backing_store_bytes", c.backing_store_bytes},
                         {"unviewed_bytes", c.unviewed_bytes},
                         {"sentence", c.sentence},
                         {"example_view", Hex(c.example_view)},
                         {"example_path", ToJson(c.example_path)}});
  nlohmann::json strings = nlohmann::json::array();
  for (const auto& s : r.external_strings)
    strings.push_back({{"address", Hex(s.address)},
                       {"bytes", s.bytes},
                       {"encoding", s.one_byte ? "one-byte" : "two-byte"},
                       {"preview", s.preview}});
  const auto& t = r.totals;
  return {{"schema", kSchemaVersion},
          {"totals",
           {{"array_buffers", t.array_buffers},
            {"views", t.views},
            {"backing_store_bytes", t.backing_store_bytes},
            {"allocator_bytes", t.allocator_bytes},
            {"viewed_bytes", t.viewed_bytes},
            {"retained_unviewed_bytes", t.retained_unviewed_bytes},
            {"external_strings", t.external_strings},
            {"external_string_bytes", t.external_string_bytes},
            {"wasm_memories", t.wasm_memories},
            {"wasm_bytes", t.wasm_bytes},
            {"unreachable",
             {{"array_buffers", t.unreachable_buffers}, {"byte_length", t.unreachable_bytes}}}}},
          {"array_buffers", buffers},
          {"omitted", r.omitted},
          {"retention", retention},
          {"external_strings", strings},
          {"partial", r.partial},
          {"warnings", r.warnings}};
}

void PrintText(const BuffersResult& r, std::ostream& out) {
  const auto& t = r.totals;
  out << Grouped(t.array_buffers) << " ArrayBuffers with " << Grouped(t.views) << " views; "
      << HumanBytes(t.backing_store_bytes) << " of backing stores, " << HumanBytes(t.viewed_bytes)
      << " covered by views, " << HumanBytes(t.retained_unviewed_bytes)
      << " kept alive that no view covers\n";
  out << Grouped(t.external_strings) << " external strings hold "
      << HumanBytes(t.external_string_bytes) << "\n";
  if (t.wasm_memories)
    out << Grouped(t.wasm_memories)
        << (t.wasm_memories == 1 ? " WebAssembly memory holds " : " WebAssembly memories hold ")
        << HumanBytes(t.wasm_bytes) << " of linear memory\n";
  if (t.unreachable_buffers)
    out << "(live buffers only: " << Grouped(t.unreachable_buffers)
        << (t.unreachable_buffers == 1 ? " ArrayBuffer" : " ArrayBuffers") << " of "
        << HumanBytes(t.unreachable_bytes)
        << " that no root reaches are garbage awaiting collection; --all counts them)\n";
  if (!r.retention.empty()) {
    out << "\nkept alive but not viewed:\n";
    for (const auto& c : r.retention) {
      out << "  " << c.cause << ": " << HumanBytes(c.unviewed_bytes);
      if (!c.sentence.empty()) out << " -- " << c.sentence;
      if (c.example_view) out << " (e.g. view " << Hex(c.example_view) << ")";
      out << "\n";
      if (!c.example_path.steps.empty())
        out << "    kept by: " << OneLine(DescribePath(c.example_path)) << "\n";
    }
  }
  out << "\n";
  Table table;
  table.AddColumn("byte length", Table::Align::kRight);
  table.AddColumn("unviewed", Table::Align::kRight);
  table.AddColumn("views", Table::Align::kRight);
  table.AddColumn("kind");
  table.AddColumn("ArrayBuffer");
  table.AddColumn("backing store");
  table.AddColumn("first view");
  for (const auto& b : r.array_buffers) {
    std::string first;
    if (!b.views.empty()) {
      const auto& v = b.views.front();
      first = v.type + " [" + std::to_string(v.byte_offset) + ", +" +
              std::to_string(v.byte_length) + ")";
    }
    table.AddRow({Grouped(b.byte_length), Grouped(b.unviewed_bytes), Grouped(b.views.size()),
                  b.kind, Hex(b.address), Hex(b.backing_store), first});
  }
  table.Print(out);
  if (r.omitted) out << "(" << r.omitted << " smaller buffers not shown)\n";
  if (!r.external_strings.empty()) {
    out << "\nlargest external strings:\n";
    for (const auto& s : r.external_strings)
      out << "  " << Hex(s.address) << "  " << Grouped(s.bytes) << " bytes  \""
          << OneLine(s.preview) << "\"\n";
  }
  for (const auto& b : r.array_buffers)
    for (const auto& p : b.problems)
      out << "warning: buffer " << Hex(b.address) << ": " << p << "\n";
  for (const auto& w : r.warnings) out << "warning: " << w << "\n";
}

nlohmann::json ToJson(const ReadResult& r) {
  nlohmann::json j = {{"schema", kSchemaVersion},
                      {"address", Hex(r.address)},
                      {"requested", r.requested},
                      {"read", r.bytes.size()},
                      {"format", ReadFormatName(r.format)}};
  switch (r.format) {
    case ReadFormat::kHex: {
      std::string hex;
      for (auto b : r.bytes) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(b));
        hex += buf;
      }
      j["hex"] = hex;
      break;
    }
    case ReadFormat::kAscii:
    case ReadFormat::kUtf8:
    case ReadFormat::kUtf16:
      j["text"] = Text(r.bytes, r.format);
      break;
    case ReadFormat::kU8:
      j["values"] = Values<uint8_t>(r.bytes);
      break;
    case ReadFormat::kU32:
      j["values"] = Values<uint32_t>(r.bytes);
      break;
    case ReadFormat::kF32:
      j["values"] = Values<float>(r.bytes);
      break;
    case ReadFormat::kF64:
      j["values"] = Values<double>(r.bytes);
      break;
  }
  if (!r.missing.empty()) j["missing"] = r.missing;
  return j;
}

void PrintText(const ReadResult& r, std::ostream& out) {
  auto print_values = [&](const auto& values, size_t per_line, size_t unit) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (i % per_line == 0) out << (i ? "\n" : "") << Hex(r.address + i * unit) << ":";
      out << " " << +values[i];
    }
    if (!values.empty()) out << "\n";
  };
  switch (r.format) {
    case ReadFormat::kHex:
      for (size_t line = 0; line < r.bytes.size(); line += 16) {
        char buf[8];
        out << Hex(r.address + line) << ": ";
        std::string ascii;
        for (size_t i = line; i < line + 16; ++i) {
          if (i < r.bytes.size()) {
            auto c = static_cast<unsigned char>(r.bytes[i]);
            std::snprintf(buf, sizeof buf, "%02x ", c);
            out << buf;
            ascii.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
          } else {
            out << "   ";
          }
        }
        out << " " << ascii << "\n";
      }
      break;
    case ReadFormat::kAscii:
    case ReadFormat::kUtf8:
    case ReadFormat::kUtf16:
      out << Text(r.bytes, r.format) << "\n";
      break;
    case ReadFormat::kU8:
      print_values(Values<uint8_t>(r.bytes), 16, 1);
      break;
    case ReadFormat::kU32:
      print_values(Values<uint32_t>(r.bytes), 8, 4);
      break;
    case ReadFormat::kF32:
      print_values(Values<float>(r.bytes), 8, 4);
      break;
    case ReadFormat::kF64:
      print_values(Values<double>(r.bytes), 4, 8);
      break;
  }
  if (!r.missing.empty())
    out << "warning: only " << r.bytes.size() << " of " << r.requested << " bytes read: bytes at "
        << Hex(r.address + r.bytes.size()) << ": " << r.missing << "\n";
}

}  // namespace mortem::format
