#include "netlink/links.h"

#include <linux/rtnetlink.h>

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

Result<LinkCache> LinkCache::open() {
  auto events = Socket::open(RTMGRP_LINK, /*nonblocking=*/true);
  if (!events) {
    return events.status().with_context("link notifications");
  }
  auto requests = Socket::open();
  if (!requests) {
    return requests.status().with_context("link requests");
  }
  LinkCache cache(std::move(*events), std::move(*requests));
  auto r = cache.refresh();
  if (!r) {
    return r.status();
  }
  return cache;
}

Result<std::set<std::string>> LinkCache::refresh() {
  std::map<std::uint32_t, LinkInfo> fresh;
  char buf[kRequestBufferSize];
  nlmsghdr* nlh = build_link_dump(buf, requests_.next_seq());
  Status s = requests_.request(nlh, [&](const nlmsghdr* msg) {
    auto link = parse_link(msg);
    if (!link) {
      return link.status();
    }
    fresh[link->ifindex] = std::move(*link);
    return Status::ok();
  });
  if (!s) {
    return s.with_context("dump links");
  }
  std::set<std::string> changed;
  table_.replace(fresh, &changed);
  return changed;
}

Result<std::set<std::string>> LinkCache::process_events() {
  std::set<std::string> changed;
  Status s = events_.drain([&](const nlmsghdr* nlh) {
    table_.apply(nlh, &changed);
    return Status::ok();
  });
  if (!s) {
    if (s.err() == ENOBUFS) {
      // Notifications were lost: the dump is the truth.
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
    if (link == nullptr) {
      return std::nullopt;
    }
    return reconcile::InterfaceInfo{link->ifindex, port_flags_for_kind(link->kind)};
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
}

void LinkTable::apply(const nlmsghdr* nlh, std::set<std::string>* changed) {
  auto link = parse_link(nlh);
  if (!link) {
    return;
  }
  if (nlh->nlmsg_type == RTM_DELLINK) {
    erase(link->ifindex, changed);
  } else {
    upsert(*link, changed);
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
    } else if (old.kind != link.kind || old.mtu != link.mtu) {
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
