// Purpose: a heap's pages as V8 itself lists them. Every space keeps its pages in a
// heap::List<Page> memory_chunk_list_ {front_, back_} and every page links into it through its
// ListNode list_node_ {next_, prev_} (heap/list.h, heap/spaces.h, in the page header up to V8 12.4,
// in the page metadata from 13.6 on). Neither offset is exported, so both are learnt once per
// target from the pages the header scan found: the one node offset at which pages of one owner
// link to each other both ways, and the one head offset at which owners point at a first page
// with no previous and a last page with no next. A space whose list is then whole and agrees
// with the headers has exactly its listed pages; pages whose headers still look valid but that
// no list names (pooled for reuse, waiting for the unmapper) are not heap. A list damaged at one
// link is followed the other way (next_ from the front, or prev_ from the back), and says so. A
// space whose list loops, leaves the core or disagrees with the headers both ways keeps the
// scan's pages, and says so.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mortem/core/memory.h"
#include "mortem/v8/heap.h"

namespace mortem::v8 {

// A page header the scan accepted: where its list node lives (the page itself, or its metadata
// object from 13.6 on) and which space object owns it.
struct PageCandidate {
  Page page;
  Address heap = 0;
  Address owner = 0;
  Address node_base = 0;
};

// The page header at `chunk` as the header scan reads it, its space id set from its owner; nullopt
// where no valid header of a space of this layout is there.
std::optional<PageCandidate> ReadPageCandidate(const Memory& memory, const Layout& layout,
                                               Address chunk);

struct PageListShape {
  uint32_t node = 0;  // offset of ListNode {next_, prev_} from a candidate's node_base
  uint32_t head = 0;  // offset of List {front_, back_} inside the owning space object
};

// The list offsets, learnt from all of a target's candidates; nullopt if no pair of pages links.
std::optional<PageListShape> LearnPageListShape(const Memory& memory,
                                                const std::vector<PageCandidate>& candidates);

struct ListedPages {
  // The heap's pages, by address: listed ones, or scanned ones where a list failed.
  std::vector<Page> pages;
  size_t unlisted_pages = 0;  // headers found on no list of their owner: left out
  uint64_t unlisted_bytes = 0;
  size_t listed_owners = 0;
  std::vector<std::string> fallbacks;  // one per owner whose list was not used, with why
  // One per owner whose list was damaged at a link but whose links the other way held alone
  // (its pages listed by them; counted in listed_owners too), with where.
  std::vector<std::string> recoveries;
};

// The pages of one heap (candidates all of one Heap*, space ids already set). Without a shape
// every owner falls back to the scan.
ListedPages FollowPageLists(const Memory& memory, const Layout& layout,
                            const std::optional<PageListShape>& shape,
                            const std::vector<PageCandidate>& candidates);

}  // namespace mortem::v8
