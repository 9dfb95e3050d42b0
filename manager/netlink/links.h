#pragma once
// The host's links as vnetd needs them (name, ifindex, kind, MTU, state),
// kept current from RTNLGRP_LINK notifications on a non-blocking socket
// that sits in vnetd's epoll set. The subscription is opened before the
// initial dump so no change falls between the two; an overrun (ENOBUFS)
// is repaired with a fresh dump.
//
// For veths it also knows whether the peer (the VM's side) runs an XDP
// program in native mode, because only then does XDP_REDIRECT into our
// side deliver (the peer's NAPI takes the frames; without it they are
// dropped silently). A peer in another netns is asked for with
// RTM_GETLINK + IFLA_TARGET_NETNSID and followed by a second subscription
// with NETLINK_LISTEN_ALL_NSID, whose messages only ever update peer state:
// ifindexes repeat across namespaces, so a message from another netns is
// matched by (nsid, ifindex) against the peers of our veths, never against
// our own links.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "netlink/messages.h"
#include "netlink/socket.h"
#include "reconcile/reconcile.h"
#include "util/result.h"

namespace vnet::netlink {

// VNET_PORT_F_* for an endpoint interface of this kind: a veth's host side
// is delivered to with bpf_redirect_peer, a tun/tap accepts XDP redirects.
std::uint16_t port_flags_for_kind(const std::string& kind);

// VNET_PORT_F_* for an endpoint interface: a veth whose peer has NAPI
// running because of a native XDP program also takes XDP redirects
// (PEER | XDP_DELIVER); any other veth PEER; tun/tap XDP_DELIVER.
std::uint16_t port_flags_for(const LinkInfo& link, bool peer_native_xdp);

// A veth's peer in another netns: the netns's id in ours and the peer's
// ifindex there.
struct PeerRef {
  std::int32_t nsid = 0;
  std::uint32_t ifindex = 0;
  auto operator<=>(const PeerRef&) const = default;
};
// The peer of `link` when it is a veth whose peer lives in another netns.
std::optional<PeerRef> foreign_peer(const LinkInfo& link);

// The link table itself, fed with RTM_NEWLINK/RTM_DELLINK messages. Pure
// (no socket), so the bookkeeping of renames and recreated interfaces is
// unit tested on canned messages.
class LinkTable {
 public:
  // Applies one message; adds the affected names to `changed` when a link
  // appeared, vanished, was renamed, or changed ifindex, kind, MTU or MAC
  // (up/down and operstate changes are not reported, but a VXLAN device's
  // up/down: the datapath does not depend on them). A message that fails validation is ignored: the periodic
  // resync repairs the table.
  // Links whose port flags (port_flags()) changed are reported too.
  //
  // A notification about one of our veths whose peer has native XDP makes
  // that peer suspect: it counts as no XDP (tc delivers, which always
  // works) until it is asked again or heard from. The reason: when the VM
  // detaches its program the kernel stops the peer's NAPI and changes our
  // side's features (a notification here) some 15 ms before it reports the
  // detach in the VM's netns; every frame redirected in between is lost.
  void apply(const nlmsghdr* nlh, std::set<std::string>* changed);
  // Replaces the table with `fresh` (a dump), reporting the differences.
  void replace(const std::map<std::uint32_t, LinkInfo>& fresh, std::set<std::string>* changed);

  // A RTM_NEWLINK/RTM_DELLINK from the netns with id `nsid`: when it is the
  // peer of one of our veths its XDP state is taken (a DELLINK: gone, no
  // XDP) and the veth's name reported if its flags changed; anything else
  // is ignored.
  void apply_peer(std::int32_t nsid, const nlmsghdr* nlh, std::set<std::string>* changed);
  // The answer to a query for a peer (false also when it is gone).
  void set_peer(const PeerRef& peer, bool native_xdp, std::set<std::string>* changed);

  // Peers in other namespaces of our veths: all of them, and those whose
  // state was never learnt or is native XDP (to re-check: an XDP program
  // attached through a bpf_link comes and goes without a notification).
  std::vector<PeerRef> foreign_peers() const;
  std::vector<PeerRef> unknown_peers() const;
  std::vector<PeerRef> native_peers() const;
  // Our veths that name a peer in our netns that is not here (any more):
  // the peer was just moved to another netns, which the kernel reports as
  // a DELLINK here and nothing about our side. To be asked for again.
  std::vector<std::uint32_t> orphaned_veths() const;
  // Our links running a driver-mode XDP program: (ifindex, program id).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> xdp_links() const;
  // One link as asked for (RTM_GETLINK), or gone (ENODEV).
  void update(const LinkInfo& link, std::set<std::string>* changed);
  void remove(std::uint32_t ifindex, std::set<std::string>* changed);

  // Peers made suspect by apply(), to ask again.
  std::vector<PeerRef> suspect_peers() const { return {suspect_.begin(), suspect_.end()}; }

  // VNET_PORT_F_* for one of our links (port_flags_for with what is known
  // of its peer: unknown counts as no XDP).
  std::uint16_t port_flags(const LinkInfo& link) const;

  const LinkInfo* find(const std::string& name) const;
  const LinkInfo* find(std::uint32_t ifindex) const;
  std::size_t size() const { return by_index_.size(); }

 private:
  void upsert(const LinkInfo& link, std::set<std::string>* changed);
  void erase(std::uint32_t ifindex, std::set<std::string>* changed);
  // Recomputes every link's flags, reports those that changed and forgets
  // peers no veth refers to any more.
  void update_flags(std::set<std::string>* changed);
  bool referenced(const PeerRef& peer) const;

  std::map<std::uint32_t, LinkInfo> by_index_;
  std::map<std::string, std::uint32_t> by_name_;
  std::map<PeerRef, bool> peers_;                 // foreign peer -> native XDP
  std::set<PeerRef> suspect_;                     // native XDP until apply() doubted it
  std::map<std::uint32_t, std::uint16_t> flags_;  // ifindex -> last port flags
};

class LinkCache {
 public:
  static Result<LinkCache> open();

  // The subscription sockets, for epoll (EPOLLIN): our netns, and every
  // netns with an id in ours (for veth peers). Both go to process_events().
  int fd() const { return events_.fd(); }
  int peer_fd() const { return peer_events_.fd(); }

  // Applies queued notifications of both sockets and asks for peers not
  // known yet; returns the names that changed (see LinkTable::apply).
  Result<std::set<std::string>> process_events();

  // Replaces the cache with a fresh dump and asks every foreign peer again;
  // returns the names that changed.
  Result<std::set<std::string>> refresh();

  // Asks again for the peers that have native XDP now or had it until a
  // notification made them suspect (cheap: only ports on or near the XDP
  // path). Covers a detach that sends no notification (a bpf_link
  // released), which would otherwise blackhole the port until the next
  // full resync, and brings a suspect peer that still has XDP back.
  Result<std::set<std::string>> recheck_native_peers();

  // The last peer query that failed for a reason other than the peer being
  // gone ("" when the last round had none): such peers count as no XDP.
  const std::string& peer_problem() const { return peer_problem_; }

  const LinkInfo* find(const std::string& name) const { return table_.find(name); }
  const LinkInfo* find(std::uint32_t ifindex) const { return table_.find(ifindex); }
  std::size_t size() const { return table_.size(); }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> xdp_links() const {
    return table_.xdp_links();
  }

  // For reconcile::bind: ifindex and port flags of an existing interface.
  reconcile::InterfaceResolver resolver() const;

 private:
  LinkCache(Socket events, Socket peer_events, Socket requests)
      : events_(std::move(events)),
        peer_events_(std::move(peer_events)),
        requests_(std::move(requests)) {}

  // RTM_GETLINK for each peer; the results go to the table.
  void query_peers(const std::vector<PeerRef>& peers, std::set<std::string>* changed);
  // RTM_GETLINK for our veths whose peer just left our netns (to learn
  // where it went).
  void refetch_orphans(std::set<std::string>* changed);

  // Our own netns only: never confused with another's (no LISTEN_ALL_NSID).
  Socket events_;
  // Every netns: only messages that carry an nsid are used, for peers.
  Socket peer_events_;
  Socket requests_;
  LinkTable table_;
  std::string peer_problem_;
};

}  // namespace vnet::netlink
