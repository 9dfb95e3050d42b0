#pragma once
// The embedded `file:DIR` store backend.
//
//   DIR/lock              flock(2)ed exclusively for the whole of commit()
//   DIR/desired           the current generation, store/codec.h binary format;
//                         replaced by tmp + fsync + rename + fsync(DIR), so a
//                         reader sees the old or the new file, never a mix
//   DIR/desired.tmp.<pid> a commit in progress (a leftover from a crashed
//                         commit is removed by the next one, under the lock)
//   DIR/delta             how the latest generation N differs from N-1
//                         (store/codec.h encode_delta), replaced (tmp +
//                         rename, DIR/delta.tmp.<pid>) BEFORE `desired`;
//                         absent when the last commit had no expressible
//                         delta. Readers use it only when its base is the
//                         version they hold and its target is what `desired`
//                         names (generation and checksum), else load in full.
//   DIR/status/<host>     one vnetd's status, store/codec.h text format,
//                         replaced by tmp + rename on every change/heartbeat
//
// Readers take no lock: rename(2) is atomic. Several processes (vnetctl
// invocations, vnetd heartbeats) may use one DIR concurrently.
//
// watch() watches DIR itself with inotify, so it sees every `desired`
// replacement (IN_MOVED_TO). Create the watch before the first load() so no
// commit can fall between them.

#include <memory>
#include <string>

#include "store/store.h"

namespace vnet::store {

class FileStore final : public Store {
 public:
  // Creates DIR and DIR/status (mode 0755) if missing.
  static Result<std::unique_ptr<FileStore>> open(const std::string& dir);

  Result<std::optional<StoredState>> load() override;
  // Everything but the new state is released before `desired` is renamed
  // into place: the daemons wake on that rename, and on a host they share
  // with the writer, its clean-up (the previous state decoded, the delta)
  // would take CPU they are applying the change with.
  Result<StoredState> commit_if(topology::Topology desired,
                                std::optional<std::uint64_t> expected_generation) override;
  // Reads only the head of `desired` and the small `delta` when `have` is
  // the delta's base and `desired` is its target.
  Result<StateUpdate> load_update(const std::optional<StateVersion>& have) override;
  Status put_status(const HostStatus& status) override;
  Result<std::vector<HostStatus>> statuses() override;
  Result<std::unique_ptr<Watch>> watch() override;

  const std::string& dir() const { return dir_; }

 private:
  explicit FileStore(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
};

// Host names become file names under status/: not empty, at most 200
// bytes, no leading '.', no '/', NUL or newline.
Status check_host_file_name(const std::string& host);

}  // namespace vnet::store
