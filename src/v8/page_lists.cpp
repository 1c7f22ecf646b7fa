#include "mortem/v8/page_lists.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "mortem/v8/object_view.h"

namespace mortem::v8 {
namespace {

// How far into a page header (or page metadata) and into a space object the list fields may lie.
// The node sits behind the chunk's slot sets, mutexes and counters: under 0x200 bytes on every
// line; the head behind the space's allocation observers, backing-store counters and free list.
constexpr uint32_t kMaxNodeOffset = 0x800;
constexpr uint32_t kMaxHeadOffset = 0x400;
constexpr size_t kLearnSample = 512;  // pages sampled to learn the node offset
constexpr size_t kLearnOwners = 256;  // owners sampled to learn the head offset

using NodeIndex = std::unordered_map<Address, size_t>;

NodeIndex IndexNodes(const std::vector<PageCandidate>& candidates) {
  NodeIndex index;
  index.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) index.emplace(candidates[i].node_base, i);
  return index;
}

// A ListNode {next_, prev_} or a List {front_, back_} at `offset` in the object at `base` (a
// page header, page metadata or space object); 0 for a word that cannot be read.
struct Links {
  Address first = 0, second = 0;
};

Links LinksAt(const Memory& memory, Address base, uint32_t offset) {
  const ObjectView object(memory, base);
  return {object.Word(offset).value_or(0), object.Word(offset + 8).value_or(0)};
}

// The one offset at which the most scores count; nullopt when none counts or two tie.
std::optional<uint32_t> UniqueBest(const std::vector<size_t>& scores) {
  auto best = std::max_element(scores.begin(), scores.end());
  if (best == scores.end() || *best == 0) return std::nullopt;
  if (std::count(scores.begin(), scores.end(), *best) != 1) return std::nullopt;
  return static_cast<uint32_t>((best - scores.begin()) * 8);
}

std::optional<uint32_t> LearnNodeOffset(const Memory& memory,
                                        const std::vector<PageCandidate>& candidates,
                                        const NodeIndex& index) {
  std::map<Address, size_t> per_owner;
  for (const auto& c : candidates) ++per_owner[c.owner];
  std::vector<size_t> sample;
  for (size_t i = 0; i < candidates.size() && sample.size() < kLearnSample; ++i)
    if (!candidates[i].page.read_only && per_owner[candidates[i].owner] >= 2) sample.push_back(i);
  std::vector<size_t> scores(kMaxNodeOffset / 8, 0);
  for (uint32_t offset = 0; offset < kMaxNodeOffset; offset += 8) {
    for (size_t i : sample) {
      const PageCandidate& c = candidates[i];
      Address next = LinksAt(memory, c.node_base, offset).first;
      auto it = next && next != c.node_base ? index.find(next) : index.end();
      if (it == index.end() || candidates[it->second].owner != c.owner) continue;
      if (LinksAt(memory, next, offset).second == c.node_base) ++scores[offset / 8];
    }
  }
  return UniqueBest(scores);
}

// A list head {front_, back_} at owner + offset: a first page of this owner with no previous
// page and a last one with no next.
bool HeadFits(const Memory& memory, const std::vector<PageCandidate>& candidates,
              const NodeIndex& index, Address owner, uint32_t node, uint32_t offset) {
  const auto [front, back] = LinksAt(memory, owner, offset);
  auto f = front ? index.find(front) : index.end();
  auto b = back ? index.find(back) : index.end();
  if (f == index.end() || b == index.end()) return false;
  if (candidates[f->second].owner != owner || candidates[b->second].owner != owner) return false;
  return LinksAt(memory, front, node).second == 0 && LinksAt(memory, back, node).first == 0;
}

std::optional<uint32_t> LearnHeadOffset(const Memory& memory,
                                        const std::vector<PageCandidate>& candidates,
                                        const NodeIndex& index, uint32_t node) {
  std::vector<Address> owners;
  for (const auto& c : candidates)
    if (!c.page.read_only && c.owner) owners.push_back(c.owner);
  std::sort(owners.begin(), owners.end());
  owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
  if (owners.size() > kLearnOwners) owners.resize(kLearnOwners);
  std::vector<size_t> scores(kMaxHeadOffset / 8, 0);
  for (uint32_t offset = 0; offset < kMaxHeadOffset; offset += 8)
    for (Address owner : owners)
      if (HeadFits(memory, candidates, index, owner, node, offset)) ++scores[offset / 8];
  return UniqueBest(scores);
}

std::string Hex(Address a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(a));
  return buf;
}

// Follows one owner's list; the candidates it names in order, or why the list cannot be used.
// `recovered`: the list was damaged (`failure` says where) but its links the other way hold
// alone, and `listed` follows them.
struct Walked {
  std::vector<size_t> listed;
  std::string failure;
  std::string recovered;
};

// The owner's pages by one direction's links alone: from `start` through next_ (forward) or
// prev_ (backward) to the page that ends the list that way (its link 0), which must be `end`;
// each a page header of this owner, seen once. nullopt where they do not hold.
std::optional<std::vector<size_t>> FollowOneWay(const Memory& memory,
                                                const std::vector<PageCandidate>& candidates,
                                                const NodeIndex& index, const PageListShape& shape,
                                                Address owner, size_t owner_pages, Address start,
                                                Address end, bool forward) {
  std::vector<size_t> listed;
  std::vector<bool> seen(candidates.size(), false);
  Address last = 0;
  for (Address node = start; node != 0;) {
    auto it = index.find(node);
    if (listed.size() >= owner_pages || it == index.end() ||
        candidates[it->second].owner != owner || seen[it->second])
      return std::nullopt;
    seen[it->second] = true;
    listed.push_back(it->second);
    last = node;
    auto link = ObjectView(memory, node).Word(shape.node + (forward ? 0 : 8));
    if (!link) return std::nullopt;
    node = *link;
  }
  if (last != end) return std::nullopt;
  if (!forward) std::reverse(listed.begin(), listed.end());
  return listed;
}

Walked WalkBothWays(const Memory& memory, const std::vector<PageCandidate>& candidates,
                    const NodeIndex& index, const PageListShape& shape, Address owner,
                    size_t owner_pages, Address front, Address back) {
  Walked w;
  std::vector<bool> seen(candidates.size(), false);
  Address previous = 0;
  for (Address node = front; node != 0;) {
    if (w.listed.size() >= owner_pages) {
      w.failure = "its list runs past the " + std::to_string(owner_pages) +
                  " pages that name this space (it loops, or names pages the core lacks)";
      return w;
    }
    auto it = index.find(node);
    if (it == index.end() || candidates[it->second].owner != owner) {
      w.failure = "its list names " + Hex(node) + ", which is no page header of this space";
      return w;
    }
    if (seen[it->second]) {
      w.failure = "its list loops at " + Hex(node);
      return w;
    }
    const ObjectView page(memory, node);  // its header or metadata
    auto next = page.Word(shape.node);
    auto prev = page.Word(shape.node + 8);
    if (!prev || !next || *prev != previous) {
      w.failure = "its list's back link at " + Hex(node) + " does not match";
      return w;
    }
    seen[it->second] = true;
    w.listed.push_back(it->second);
    previous = node;
    node = *next;
  }
  if (previous != back) w.failure = "its list does not end at its last page " + Hex(back);
  return w;
}

// The owner's list, checked both ways; where one link is damaged, the other direction's links
// alone, if they hold from one end to the other (a page list is doubly linked: one overwritten
// word loses no page).
Walked WalkList(const Memory& memory, const std::vector<PageCandidate>& candidates,
                const NodeIndex& index, const PageListShape& shape, Address owner,
                size_t owner_pages) {
  const ObjectView space(memory, owner);
  auto front = space.Word(shape.head);
  auto back = space.Word(shape.head + 8);
  if (!front || !back) {
    Walked w;
    w.failure = "its list head at " + Hex(owner + shape.head) + " is not in the core";
    return w;
  }
  Walked w = WalkBothWays(memory, candidates, index, shape, owner, owner_pages, *front, *back);
  if (w.failure.empty()) return w;
  // Both ways may hold alone where a link was overwritten with another page of the list (it
  // then skips pages one way): the way that lists more pages.
  auto forward =
      FollowOneWay(memory, candidates, index, shape, owner, owner_pages, *front, *back, true);
  auto backward =
      FollowOneWay(memory, candidates, index, shape, owner, owner_pages, *back, *front, false);
  if (forward && (!backward || forward->size() >= backward->size())) {
    w.listed = std::move(*forward);
    w.recovered = "its forward links";
    return w;
  }
  if (backward) {
    w.listed = std::move(*backward);
    w.recovered = "its back links";
    return w;
  }
  w.listed.clear();
  return w;
}

}  // namespace

std::optional<PageListShape> LearnPageListShape(const Memory& memory,
                                                const std::vector<PageCandidate>& candidates) {
  const NodeIndex index = IndexNodes(candidates);
  auto node = LearnNodeOffset(memory, candidates, index);
  if (!node) return std::nullopt;
  auto head = LearnHeadOffset(memory, candidates, index, *node);
  if (!head) return std::nullopt;
  return PageListShape{*node, *head};
}

ListedPages FollowPageLists(const Memory& memory, const Layout& layout,
                            const std::optional<PageListShape>& shape,
                            const std::vector<PageCandidate>& candidates) {
  ListedPages out;
  const NodeIndex index = IndexNodes(candidates);
  std::map<Address, std::vector<size_t>> by_owner;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].page.read_only)
      out.pages.push_back(candidates[i].page);  // the read-only space is no list of pages
    else
      by_owner[candidates[i].owner].push_back(i);
  }
  for (const auto& [owner, pages] : by_owner) {
    const int space = candidates[pages.front()].page.space;
    const std::string name = space >= 0 && space < static_cast<int>(layout.spaces.names.size())
                                 ? layout.spaces.names[space]
                                 : "space " + std::to_string(space);
    Walked w;
    if (shape)
      w = WalkList(memory, candidates, index, *shape, owner, pages.size());
    else
      w.failure = "no page of this target links to another (page list offsets not found)";
    if (!w.failure.empty() && w.recovered.empty()) {
      out.fallbacks.push_back(name + " (" + Hex(owner) + "): " + w.failure +
                              "; its pages come from the page-header scan");
      for (size_t i : pages) out.pages.push_back(candidates[i].page);
      continue;
    }
    if (!w.recovered.empty())
      out.recoveries.push_back(name + " (" + Hex(owner) + "): " + w.failure +
                               "; its pages follow " + w.recovered +
                               " alone, which hold from one end to the other");
    ++out.listed_owners;
    std::vector<bool> listed(candidates.size(), false);
    for (size_t i : w.listed) {
      out.pages.push_back(candidates[i].page);
      listed[i] = true;
    }
    for (size_t i : pages) {
      if (listed[i]) continue;
      ++out.unlisted_pages;
      out.unlisted_bytes += candidates[i].page.size;
    }
  }
  // In address order, as the scan found them: walks read the core front to back.
  std::sort(out.pages.begin(), out.pages.end(),
            [](const Page& a, const Page& b) { return a.start < b.start; });
  return out;
}

}  // namespace mortem::v8
