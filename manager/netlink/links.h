#pragma once
// The host's links as vnetd needs them (name, ifindex, kind, MTU, state),
// kept current from RTNLGRP_LINK notifications on a non-blocking socket
// that sits in vnetd's epoll set. The subscription is opened before the
// initial dump so no change falls between the two; an overrun (ENOBUFS)
// is repaired with a fresh dump.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "netlink/messages.h"
#include "netlink/socket.h"
#include "reconcile/reconcile.h"
#include "util/result.h"

namespace vnet::netlink {

// VNET_PORT_F_* for an endpoint interface of this kind: a veth's host side
// is delivered to with bpf_redirect_peer, a tun/tap accepts XDP redirects.
std::uint16_t port_flags_for_kind(const std::string& kind);

// The link table itself, fed with RTM_NEWLINK/RTM_DELLINK messages. Pure
// (no socket), so the bookkeeping of renames and recreated interfaces is
// unit tested on canned messages.
class LinkTable {
 public:
  // Applies one message; adds the affected names to `changed` when a link
  // appeared, vanished, was renamed, or changed ifindex, kind or MTU
  // (operstate-only changes are not reported: the datapath does not depend
  // on them). A message that fails validation is ignored: the periodic
  // resync repairs the table.
  void apply(const nlmsghdr* nlh, std::set<std::string>* changed);
  // Replaces the table with `fresh` (a dump), reporting the differences.
  void replace(const std::map<std::uint32_t, LinkInfo>& fresh, std::set<std::string>* changed);

  const LinkInfo* find(const std::string& name) const;
  const LinkInfo* find(std::uint32_t ifindex) const;
  std::size_t size() const { return by_index_.size(); }

 private:
  void upsert(const LinkInfo& link, std::set<std::string>* changed);
  void erase(std::uint32_t ifindex, std::set<std::string>* changed);

  std::map<std::uint32_t, LinkInfo> by_index_;
  std::map<std::string, std::uint32_t> by_name_;
};

class LinkCache {
 public:
  static Result<LinkCache> open();

  // The subscription socket, for epoll (EPOLLIN).
  int fd() const { return events_.fd(); }

  // Applies queued notifications; returns the names that changed (see
  // LinkTable::apply).
  Result<std::set<std::string>> process_events();

  // Replaces the cache with a fresh dump; returns the names that changed.
  Result<std::set<std::string>> refresh();

  const LinkInfo* find(const std::string& name) const { return table_.find(name); }
  const LinkInfo* find(std::uint32_t ifindex) const { return table_.find(ifindex); }
  std::size_t size() const { return table_.size(); }

  // For reconcile::bind: ifindex and port flags of an existing interface.
  reconcile::InterfaceResolver resolver() const;

 private:
  LinkCache(Socket events, Socket requests)
      : events_(std::move(events)), requests_(std::move(requests)) {}

  Socket events_;
  Socket requests_;
  LinkTable table_;
};

}  // namespace vnet::netlink
