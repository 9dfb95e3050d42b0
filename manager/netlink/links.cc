#include "netlink/links.h"

#include <linux/rtnetlink.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>

#include "vnet/abi.h"

namespace vnet::netlink {

std::uint16_t port_flags_for_kind(const std::string& kind) {
  if (kind == "veth") {
    return VNET_PORT_F_PEER;
  }
  if (kind == "tun" || kind == "tap") {
    return VNET_PORT_F_XDP_DELIVER;
  }
  return 0;
}

std::uint16_t port_flags_for(const LinkInfo& link, bool peer_native_xdp) {
  std::uint16_t flags = port_flags_for_kind(link.kind);
  if (link.kind == "veth" && peer_native_xdp) {
    flags |= VNET_PORT_F_XDP_DELIVER;
  }
  return flags;
}

std::optional<PeerRef> foreign_peer(const LinkInfo& link) {
  if (link.kind != "veth" || link.link_ifindex == 0 || !link.link_netnsid ||
      *link.link_netnsid < 0) {
    return std::nullopt;
  }
  return PeerRef{*link.link_netnsid, link.link_ifindex};
}

Result<LinkCache> LinkCache::open() {
  auto events = Socket::open(RTMGRP_LINK, /*nonblocking=*/true);
  if (!events) {
    return events.status().with_context("link notifications");
  }
  auto peer_events = Socket::open(RTMGRP_LINK, /*nonblocking=*/true);
  if (!peer_events) {
    return peer_events.status().with_context("peer link notifications");
  }
  if (auto s = peer_events->listen_all_nsid(); !s) {
    // Needs CAP_NET_BROADCAST, which a vnetd that can load BPF has: a
    // failure here is a real problem, not a degraded mode to run in.
    return s.with_context("peer link notifications");
  }
  auto requests = Socket::open();
  if (!requests) {
    return requests.status().with_context("link requests");
  }
  LinkCache cache(std::move(*events), std::move(*peer_events), std::move(*requests));
  auto r = cache.refresh();
  if (!r) {
    return r.status();
  }
  return cache;
}

Result<std::set<std::string>> LinkCache::refresh() {
  std::map<std::uint32_t, LinkInfo> fresh;
  Status s;
  // A dump interrupted by a concurrent change may have skipped live links:
  // replace() would then drop them. Ask again; give up (keeping the table)
  // after a few tries, and the next resync asks again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    fresh.clear();
    char buf[kRequestBufferSize];
    nlmsghdr* nlh = build_link_dump(buf, requests_.next_seq());
    s = requests_.request(nlh, [&](const nlmsghdr* msg) {
      auto link = parse_link(msg);
      if (!link) {
        return link.status();
      }
      fresh[link->ifindex] = std::move(*link);
      return Status::ok();
    });
    if (s.err() != EAGAIN) {
      break;
    }
  }
  if (!s) {
    return s.with_context("dump links");
  }
  std::set<std::string> changed;
  table_.replace(fresh, &changed);
  peer_problem_.clear();
  query_peers(table_.foreign_peers(), &changed);
  return changed;
}

Result<std::set<std::string>> LinkCache::recheck_native_peers() {
  std::set<std::string> changed;
  std::vector<PeerRef> peers = table_.native_peers();
  for (const PeerRef& peer : table_.suspect_peers()) {
    peers.push_back(peer);
  }
  query_peers(peers, &changed);
  return changed;
}

void LinkCache::query_peers(const std::vector<PeerRef>& peers, std::set<std::string>* changed) {
  for (const PeerRef& peer : peers) {
    char buf[kRequestBufferSize];
    nlmsghdr* nlh = build_link_get(buf, requests_.next_seq(), peer.ifindex, peer.nsid);
    std::optional<LinkInfo> answer;
    Status s = requests_.request(nlh, [&](const nlmsghdr* msg) {
      auto link = parse_link(msg);
      if (!link) {
        return link.status();
      }
      // A kernel that ignored IFLA_TARGET_NETNSID answers about our own
      // netns, where the same ifindex is another device: refuse it.
      if (link->target_netnsid != peer.nsid || link->ifindex != peer.ifindex) {
        return Status::error("reply is not about the requested netns (IFLA_TARGET_NETNSID "
                             "unsupported?)",
                             EPROTO);
      }
      answer = std::move(*link);
      return Status::ok();
    });
    const bool native = s && answer && has_native_xdp(*answer);
    if (!s && s.err() != ENODEV) {
      peer_problem_ = "veth peer ifindex " + std::to_string(peer.ifindex) + " in netns id " +
                      std::to_string(peer.nsid) + ": " + s.message() +
                      "; delivering by tc";
    }
    table_.set_peer(peer, native, changed);
  }
}

void LinkCache::refetch_orphans(std::set<std::string>* changed) {
  for (std::uint32_t ifindex : table_.orphaned_veths()) {
    char buf[kRequestBufferSize];
    nlmsghdr* nlh = build_link_get(buf, requests_.next_seq(), ifindex, std::nullopt);
    std::optional<LinkInfo> answer;
    Status s = requests_.request(nlh, [&](const nlmsghdr* msg) {
      auto link = parse_link(msg);
      if (!link) {
        return link.status();
      }
      answer = std::move(*link);
      return Status::ok();
    });
    if (s && answer && answer->ifindex == ifindex) {
      table_.update(*answer, changed);
    } else if (!s && s.err() == ENODEV) {
      table_.remove(ifindex, changed);  // its DELLINK is on the way
    }
    // Anything else: the full resync's dump repairs it.
  }
}

Result<std::set<std::string>> LinkCache::process_events() {
  std::set<std::string> changed;
  Status s = events_.drain([&](const nlmsghdr* nlh) {
    table_.apply(nlh, &changed);
    return Status::ok();
  });
  if (s) {
    // The other namespaces: only peers of our veths are looked at. A
    // message without an nsid is our own netns's, already read above.
    s = peer_events_.drain_with_nsid([&](std::optional<std::int32_t> nsid, const nlmsghdr* nlh) {
      if (nsid) {
        table_.apply_peer(*nsid, nlh, &changed);
      }
      return Status::ok();
    });
  }
  if (s) {
    // New veths (or peers moved): learn their peers now, not at the resync.
    refetch_orphans(&changed);
    query_peers(table_.unknown_peers(), &changed);
  }
  if (!s) {
    if (s.err() == ENOBUFS) {
      // Notifications were lost: the dump is the truth, and what is still
      // queued is older than the ones lost.
      events_.discard();
      peer_events_.discard();
      auto r = refresh();
      if (!r) {
        return r.status();
      }
      changed.insert(r->begin(), r->end());
      return changed;
    }
    return s.with_context("link notifications");
  }
  return changed;
}

reconcile::InterfaceResolver LinkCache::resolver() const {
  return [this](const std::string& name) -> std::optional<reconcile::InterfaceInfo> {
    const LinkInfo* link = find(name);
    if (link == nullptr || !is_ethernet(*link)) {
      return std::nullopt;  // an L3 tun is refused by vnetd, never programmed
    }
    return reconcile::InterfaceInfo{link->ifindex, table_.port_flags(*link)};
  };
}

// ---- LinkTable ----------------------------------------------------------------

void LinkTable::replace(const std::map<std::uint32_t, LinkInfo>& fresh,
                        std::set<std::string>* changed) {
  for (auto it = by_index_.begin(); it != by_index_.end();) {
    auto next = std::next(it);
    if (fresh.count(it->first) == 0) {
      erase(it->first, changed);
    }
    it = next;
  }
  for (const auto& [ifindex, link] : fresh) {
    upsert(link, changed);
  }
  update_flags(changed);
}

void LinkTable::apply(const nlmsghdr* nlh, std::set<std::string>* changed) {
  auto link = parse_link(nlh);
  if (!link) {
    return;
  }
  if (nlh->nlmsg_type == RTM_DELLINK) {
    erase(link->ifindex, changed);
  } else {
    if (const LinkInfo* old = find(link->ifindex)) {
      auto peer = foreign_peer(*old);
      if (peer && peer == foreign_peer(*link)) {
        auto it = peers_.find(*peer);
        if (it != peers_.end() && it->second) {
          it->second = false;
          suspect_.insert(*peer);
        }
      }
    }
    upsert(*link, changed);
  }
  update_flags(changed);
}

void LinkTable::apply_peer(std::int32_t nsid, const nlmsghdr* nlh,
                           std::set<std::string>* changed) {
  auto link = parse_link(nlh);
  if (!link) {
    return;
  }
  const PeerRef peer{nsid, link->ifindex};
  if (!referenced(peer)) {
    return;  // some other netns's link, or a link of that netns that is not a peer of ours
  }
  set_peer(peer, nlh->nlmsg_type != RTM_DELLINK && has_native_xdp(*link), changed);
}

void LinkTable::set_peer(const PeerRef& peer, bool native_xdp, std::set<std::string>* changed) {
  if (!referenced(peer)) {
    return;  // the veth went away while we asked
  }
  peers_[peer] = native_xdp;
  suspect_.erase(peer);
  update_flags(changed);
}

std::vector<std::uint32_t> LinkTable::orphaned_veths() const {
  std::vector<std::uint32_t> out;
  for (const auto& [ifindex, link] : by_index_) {
    if (link.kind == "veth" && !link.link_netnsid && link.link_ifindex != 0 &&
        by_index_.count(link.link_ifindex) == 0) {
      out.push_back(ifindex);
    }
  }
  return out;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> LinkTable::xdp_links() const {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& [ifindex, link] : by_index_) {
    if (link.xdp_drv_prog_id != 0) {
      out.emplace_back(ifindex, link.xdp_drv_prog_id);
    }
  }
  return out;
}

void LinkTable::update(const LinkInfo& link, std::set<std::string>* changed) {
  upsert(link, changed);
  update_flags(changed);
}

void LinkTable::remove(std::uint32_t ifindex, std::set<std::string>* changed) {
  erase(ifindex, changed);
  update_flags(changed);
}

bool LinkTable::referenced(const PeerRef& peer) const {
  for (const auto& [ifindex, link] : by_index_) {
    if (foreign_peer(link) == peer) {
      return true;
    }
  }
  return false;
}

std::vector<PeerRef> LinkTable::foreign_peers() const {
  std::set<PeerRef> out;
  for (const auto& [ifindex, link] : by_index_) {
    if (auto peer = foreign_peer(link)) {
      out.insert(*peer);
    }
  }
  return {out.begin(), out.end()};
}

std::vector<PeerRef> LinkTable::unknown_peers() const {
  std::vector<PeerRef> out;
  for (const PeerRef& peer : foreign_peers()) {
    if (peers_.count(peer) == 0) {
      out.push_back(peer);
    }
  }
  return out;
}

std::vector<PeerRef> LinkTable::native_peers() const {
  std::vector<PeerRef> out;
  for (const auto& [peer, native] : peers_) {
    if (native) {
      out.push_back(peer);
    }
  }
  return out;
}

std::uint16_t LinkTable::port_flags(const LinkInfo& link) const {
  bool native = false;
  if (link.kind == "veth") {
    if (auto peer = foreign_peer(link)) {
      auto it = peers_.find(*peer);
      native = it != peers_.end() && it->second;
    } else if (!link.link_netnsid && link.link_ifindex != 0) {
      // Both ends in our netns: the peer is in this table.
      const LinkInfo* other = find(link.link_ifindex);
      native = other != nullptr && has_native_xdp(*other);
    }
  }
  return port_flags_for(link, native);
}

void LinkTable::update_flags(std::set<std::string>* changed) {
  std::map<std::uint32_t, std::uint16_t> fresh;
  for (const auto& [ifindex, link] : by_index_) {
    const std::uint16_t flags = port_flags(link);
    fresh[ifindex] = flags;
    auto old = flags_.find(ifindex);
    if (old != flags_.end() && old->second != flags) {
      changed->insert(link.name);
    }
  }
  flags_ = std::move(fresh);
  // Forget peers no veth refers to (deleted, or moved to another netns).
  const std::vector<PeerRef> live = foreign_peers();
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (!std::binary_search(live.begin(), live.end(), it->first)) {
      suspect_.erase(it->first);
      it = peers_.erase(it);
    } else {
      ++it;
    }
  }
}

void LinkTable::upsert(const LinkInfo& link, std::set<std::string>* changed) {
  auto it = by_index_.find(link.ifindex);
  if (it != by_index_.end()) {
    const LinkInfo& old = it->second;
    if (old.name != link.name) {
      // Renamed: the old name is gone as far as vnet is concerned.
      changed->insert(old.name);
      changed->insert(link.name);
      auto named = by_name_.find(old.name);
      if (named != by_name_.end() && named->second == link.ifindex) {
        by_name_.erase(named);
      }
    } else if (old.kind != link.kind || old.mtu != link.mtu || old.address != link.address ||
               (link.kind == "vxlan" && ((old.flags ^ link.flags) & IFF_UP) != 0)) {
      // A VXLAN device set down or up matters too: vnet's own, set down
      // by someone else, is brought back at once, not at the next resync.
      changed->insert(link.name);
    }
  } else {
    changed->insert(link.name);
  }
  // A name now held by another ifindex (the interface was recreated before
  // we saw the old one's RTM_DELLINK): the new one wins, the stale entry
  // goes, and the late DELLINK will not touch the name (erase() checks).
  auto named = by_name_.find(link.name);
  if (named != by_name_.end() && named->second != link.ifindex) {
    by_index_.erase(named->second);
  }
  by_index_[link.ifindex] = link;
  by_name_[link.name] = link.ifindex;
}

void LinkTable::erase(std::uint32_t ifindex, std::set<std::string>* changed) {
  auto it = by_index_.find(ifindex);
  if (it == by_index_.end()) {
    return;
  }
  auto named = by_name_.find(it->second.name);
  if (named != by_name_.end() && named->second == ifindex) {
    by_name_.erase(named);
  }
  changed->insert(it->second.name);
  by_index_.erase(it);
}

const LinkInfo* LinkTable::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return nullptr;
  }
  return find(it->second);
}

const LinkInfo* LinkTable::find(std::uint32_t ifindex) const {
  auto it = by_index_.find(ifindex);
  return it == by_index_.end() ? nullptr : &it->second;
}

}  // namespace vnet::netlink
