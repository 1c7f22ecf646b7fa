#include "mortem/analysis/objects.h"

#include <algorithm>
#include <map>

#include "mortem/analysis/census.h"

namespace mortem {

ObjectsResult RunObjects(Session& session, const ObjectsOptions& options) {
  const Census& census = session.census();
  std::map<std::pair<std::string, std::string>, TypeRow> rows;
  ObjectsResult r;
  r.total.name = "total";
  for (const auto& [key, stats] : census.keys) {
    auto it = census.labels.find(key);
    v8::TypeLabel label =
        it != census.labels.end() ? it->second : v8::TypeLabel{v8::NodeKind::kHidden, "(system)"};
    std::string kind = v8::KindName(label.kind);
    if (options.by_instance_type) {
      const v8::MapInfo* map = session.maps().Get(key.map);
      label.name = map ? session.layout().TypeName(map->instance_type) : "(unknown map)";
    }
    auto& row = rows[{label.name, kind}];
    row.name = label.name;
    row.kind = kind;
    row.count += stats.count;
    row.self_size += stats.bytes;
    r.total.count += stats.count;
    r.total.self_size += stats.bytes;
  }
  for (auto& [k, row] : rows) r.types.push_back(std::move(row));
  auto by_size = [](const TypeRow& a, const TypeRow& b) {
    return a.self_size != b.self_size ? a.self_size > b.self_size : a.name < b.name;
  };
  auto by_count = [](const TypeRow& a, const TypeRow& b) {
    return a.count != b.count ? a.count > b.count : a.name < b.name;
  };
  if (options.sort == ObjectsOptions::Sort::kCount)
    std::sort(r.types.begin(), r.types.end(), by_count);
  else
    std::sort(r.types.begin(), r.types.end(), by_size);
  if (options.top > 0 && r.types.size() > options.top) {
    r.rows_omitted = r.types.size() - options.top;
    r.types.resize(options.top);
  }
  r.walk = SummariseWalk(session, census.walk);
  r.warnings = session.Warnings();
  return r;
}

}  // namespace mortem
