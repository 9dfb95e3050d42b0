#include "store/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "store/codec.h"
#include "store/delta.h"
#include "util/fs.h"
#include "util/unique_fd.h"

namespace vnet::store {

namespace {

constexpr const char* kDesired = "desired";
constexpr const char* kTmpPrefix = "desired.tmp.";
constexpr const char* kDelta = "delta";
constexpr const char* kDeltaTmpPrefix = "delta.tmp.";



// The whole file, or nullopt if it does not exist.
Result<std::optional<std::string>> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return std::optional<std::string>();
    }
    return Status::os_error("open " + path, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return Status::os_error("stat " + path, errno);
  }
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  for (;;) {
    if (done == out.size()) {
      out.resize(out.size() + 4096);  // the file may have grown; read to EOF
    }
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::os_error("read " + path, errno);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return std::optional<std::string>(std::move(out));
}

// Up to `n` bytes from the start of the file, or nullopt if it does not exist.
Result<std::optional<std::string>> read_head(const std::string& path, std::size_t n) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return std::optional<std::string>();
    }
    return Status::os_error("open " + path, errno);
  }
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd.get(), out.data() + done, n - done, static_cast<off_t>(done));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::os_error("read " + path, errno);
    }
    if (got == 0) {
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  out.resize(done);
  return std::optional<std::string>(std::move(out));
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::os_error("write " + path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

Status fsync_path(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return Status::os_error("open " + path, errno);
  }
  if (::fsync(fd.get()) != 0) {
    return Status::os_error("fsync " + path, errno);
  }
  return Status::ok();
}

// Writes `data` to `tmp` and renames it over `path`. With `durable`, the data
// and the directory entry are on disk before this returns.
Status replace_file(const std::string& dir, const std::string& tmp, const std::string& path,
                    std::string_view data, bool durable) {
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return Status::os_error("create " + tmp, errno);
  }
  Status s = write_all(fd.get(), data, tmp);
  if (s && durable && ::fsync(fd.get()) != 0) {
    s = Status::os_error("fsync " + tmp, errno);
  }
  if (s && ::close(fd.release()) != 0) {
    s = Status::os_error("close " + tmp, errno);
  }
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::os_error("rename " + tmp + " -> " + path, errno);
  }
  if (!s) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (durable) {
    return fsync_path(dir);
  }
  return Status::ok();
}

// flock(2) held for the lifetime of the object.
Result<UniqueFd> lock_exclusive(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return Status::os_error("open " + path, errno);
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return Status::os_error("flock " + path, errno);
    }
  }
  return fd;
}

Result<std::optional<EncodedState>> read_desired(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) {
    return bytes.status();
  }
  if (!bytes->has_value()) {
    return std::optional<EncodedState>();
  }
  auto decoded = decode_state(**bytes);
  if (!decoded) {
    return decoded.status().with_context(path);
  }
  return std::optional<EncodedState>(std::move(*decoded));
}

// Names keep the id they had; new names get ids never handed out before.
// Ids start at 1 so 0 can mean "unassigned".
Status assign_ids(const std::optional<EncodedState>& prev, topology::Topology& topo,
                  std::uint32_t& next_id) {
  std::unordered_map<std::string_view, std::uint32_t> known;
  next_id = 1;
  if (prev) {
    next_id = std::max(next_id, prev->next_id);
    known.reserve(prev->state.topology.endpoints.size());
    for (const auto& ep : prev->state.topology.endpoints) {
      known.emplace(ep.name, ep.id);
      if (ep.id != std::numeric_limits<std::uint32_t>::max()) {
        next_id = std::max(next_id, ep.id + 1);  // belt and braces vs. a stale counter
      }
    }
  }
  for (auto& ep : topo.endpoints) {
    if (auto it = known.find(ep.name); it != known.end() && it->second != 0) {
      ep.id = it->second;
      continue;
    }
    if (next_id == std::numeric_limits<std::uint32_t>::max()) {
      return Status::error("endpoint ids exhausted", EOVERFLOW);
    }
    ep.id = next_id++;
  }
  return Status::ok();
}

// Watches the store directory for `desired` being renamed into place. The
// watch is on the directory's inode: when the directory is deleted, moved
// or replaced, the kernel drops the watch (IN_IGNORED) and rearm() adds it
// again on the path once a directory is there.
class InotifyWatch final : public Watch {
 public:
  InotifyWatch(UniqueFd fd, std::string dir) : fd_(std::move(fd)), dir_(std::move(dir)) {}

  Status arm() {
    wd_ = ::inotify_add_watch(fd_.get(), dir_.c_str(),
                              IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
    if (wd_ < 0) {
      return Status::os_error("inotify_add_watch " + dir_, errno);
    }
    return Status::ok();
  }

  int fd() const override { return fd_.get(); }

  bool consume() override {
    bool changed = false;
    alignas(struct inotify_event) char buf[8192];
    for (;;) {
      const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        break;  // EAGAIN: drained
      }
      if (n == 0) {
        break;
      }
      for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
        const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
        if (ev->mask & IN_MOVE_SELF) {
          // The watch would follow the old inode wherever it went.
          ::inotify_rm_watch(fd_.get(), wd_);
        }
        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
          wd_ = -1;
        }
        // An overflowed queue or a vanished directory may hide a commit:
        // report a change and let the reader find out what is there.
        if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
          changed = true;
          continue;
        }
        if (ev->len > 0 && std::strcmp(ev->name, kDesired) == 0) {
          changed = true;
        }
      }
    }
    return changed;
  }

  bool rearm() override { return wd_ < 0 && arm().is_ok(); }

 private:
  UniqueFd fd_;
  std::string dir_;
  int wd_ = -1;
};

}  // namespace

Result<std::unique_ptr<FileStore>> FileStore::open(const std::string& dir) {
  std::string clean = dir;
  while (clean.size() > 1 && clean.back() == '/') {
    clean.pop_back();
  }
  if (Status s = make_dirs(clean + "/status", 0755); !s) {
    return s.with_context("store " + clean);
  }
  return std::unique_ptr<FileStore>(new FileStore(std::move(clean)));
}

Result<std::optional<StoredState>> FileStore::load() {
  auto cur = read_desired(dir_ + "/" + kDesired);
  if (!cur) {
    return cur.status();
  }
  if (!cur->has_value()) {
    return std::optional<StoredState>();
  }
  return std::optional<StoredState>(std::move((*cur)->state));
}

Result<StoredState> FileStore::commit_if(topology::Topology desired,
                                         std::optional<std::uint64_t> expected_generation) {
  auto lock = lock_exclusive(dir_ + "/lock");
  if (!lock) {
    return lock.status();
  }

  // Under the lock nobody else is writing a tmp file: any left is from a
  // commit that died half way.
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (const struct dirent* de = ::readdir(d)) {
      if (std::strncmp(de->d_name, kTmpPrefix, std::strlen(kTmpPrefix)) == 0 ||
          std::strncmp(de->d_name, kDeltaTmpPrefix, std::strlen(kDeltaTmpPrefix)) == 0) {
        ::unlinkat(dirfd(d), de->d_name, 0);
      }
    }
    ::closedir(d);
  }

  const std::string path = dir_ + "/" + kDesired;
  StoredState next;
  next.topology = std::move(desired);
  std::string bytes;
  {
    // The previous state lives only in this block (see the header).
    auto prev = read_desired(path);
    if (!prev) {
      // Never overwrite a state we cannot read: its ids would be lost and
      // handed out again. The operator moves the file aside to start over.
      return prev.status().with_context("commit");
    }
    const std::uint64_t current = *prev ? (*prev)->state.generation : 0;
    if (expected_generation && *expected_generation != current) {
      return Status::error("the desired state changed meanwhile (generation " +
                               std::to_string(current) + ", expected " +
                               std::to_string(*expected_generation) + ")",
                           ESTALE);
    }

    next.generation = current + 1;
    std::uint32_t next_id = 1;
    if (Status s = assign_ids(*prev, next.topology, next_id); !s) {
      return s.with_context("commit");
    }
    bytes = encode_state(next, next_id);

    // The delta for this generation is in place before `desired` names it,
    // so a reader that sees generation N there finds N's delta (or, if this
    // commit dies in between, a delta whose target matches no `desired`,
    // which readers ignore). Not fsynced: after a crash a torn or lost delta
    // only costs readers a full load, and they check it against `desired`.
    const std::string delta_path = dir_ + "/" + kDelta;
    std::optional<StateDelta> delta;
    if (*prev) {
      const StateVersion base{(*prev)->state.generation, (*prev)->crc};
      const StateVersion target{next.generation, peek_state_version(bytes)->crc};
      delta = make_delta((*prev)->state, base, next, target);
    }
    if (delta) {
      const std::string delta_tmp = dir_ + "/" + kDeltaTmpPrefix + std::to_string(::getpid());
      if (Status s = replace_file(dir_, delta_tmp, delta_path, encode_delta(*delta),
                                  /*durable=*/false);
          !s) {
        return s.with_context("commit");
      }
    } else if (::unlink(delta_path.c_str()) != 0 && errno != ENOENT) {
      // A stale delta could not be mistaken for this generation's (its
      // target is checked), but leaving one is still untidy: refuse rather
      // than guess.
      return Status::os_error("unlink " + delta_path, errno).with_context("commit");
    }
  }

  const std::string tmp = dir_ + "/" + kTmpPrefix + std::to_string(::getpid());
  if (Status s = replace_file(dir_, tmp, path, bytes, /*durable=*/true); !s) {
    return s.with_context("commit");
  }
  return next;
}

Result<StateUpdate> FileStore::load_update(const std::optional<StateVersion>& have) {
  const std::string path = dir_ + "/" + kDesired;
  StateUpdate out;
  if (have) {
    // Only the head of `desired`: whether we are current, and which
    // generation a delta must lead to.
    auto head = read_head(path, kCodecPeekSize);
    if (!head) {
      return head.status();
    }
    if (!head->has_value()) {
      return out;  // kEmpty
    }
    auto version = peek_state_version(**head);
    if (version && *version == *have) {
      out.kind = StateUpdate::Kind::kUnchanged;
      out.version = *version;
      return out;
    }
    if (version) {
      // Any problem with the delta (absent, torn, for another generation)
      // just means the full load below.
      auto bytes = read_file(dir_ + "/" + kDelta);
      if (bytes && bytes->has_value()) {
        auto delta = decode_delta(**bytes);
        if (delta && delta->base == *have && delta->target == *version) {
          out.kind = StateUpdate::Kind::kDelta;
          out.version = *version;
          out.delta = std::move(*delta);
          return out;
        }
      }
    }
  }
  auto cur = read_desired(path);
  if (!cur) {
    return cur.status();
  }
  if (!cur->has_value()) {
    return out;  // kEmpty
  }
  out.version = StateVersion{(*cur)->state.generation, (*cur)->crc};
  if (have && *have == out.version) {
    out.kind = StateUpdate::Kind::kUnchanged;
    return out;
  }
  out.kind = StateUpdate::Kind::kFull;
  out.state = std::move((*cur)->state);
  return out;
}

Status FileStore::put_status(const HostStatus& status) {
  if (Status s = check_host_file_name(status.host); !s) {
    return s;
  }
  // Unique per process and call, so concurrent writers never share a tmp.
  static std::atomic<std::uint64_t> seq{0};
  const std::string dir = dir_ + "/status";
  const std::string tmp = dir + "/." + status.host + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(seq.fetch_add(1));
  // Not fsynced: it is rewritten every heartbeat, and a torn file after a
  // crash reads as an unreadable (and not live) status until the next one.
  Status s = replace_file(dir, tmp, dir + "/" + status.host, encode_status(status),
                          /*durable=*/false);
  if (!s && s.err() == ENOENT) {
    // The store was removed or replaced under us: recreate our corner of it.
    if (Status made = make_dirs(dir, 0755); !made) {
      return made;
    }
    s = replace_file(dir, tmp, dir + "/" + status.host, encode_status(status),
                     /*durable=*/false);
  }
  return s;
}

Result<std::vector<HostStatus>> FileStore::statuses() {
  const std::string dir = dir_ + "/status";
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) {
      return std::vector<HostStatus>();
    }
    return Status::os_error("opendir " + dir, errno);
  }
  while (const struct dirent* de = ::readdir(d)) {
    if (de->d_name[0] != '.') {
      names.emplace_back(de->d_name);
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());

  std::vector<HostStatus> out;
  out.reserve(names.size());
  for (const auto& name : names) {
    auto text = read_file(dir + "/" + name);
    if (!text) {
      return text.status();
    }
    if (!text->has_value()) {
      continue;  // removed while listing
    }
    auto st = decode_status(**text);
    if (!st) {
      // One torn or foreign file must not hide every other host: report it
      // as that host in error, with no heartbeat (so never live).
      HostStatus bad;
      bad.host = name;
      bad.state = HostState::kError;
      bad.errors.push_back("unreadable status file: " + st.status().message());
      out.push_back(std::move(bad));
      continue;
    }
    out.push_back(std::move(*st));
  }
  return out;
}

Result<std::unique_ptr<Watch>> FileStore::watch() {
  UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd.valid()) {
    return Status::os_error("inotify_init1", errno);
  }
  auto watch = std::make_unique<InotifyWatch>(std::move(fd), dir_);
  if (Status s = watch->arm(); !s) {
    return s;
  }
  return std::unique_ptr<Watch>(std::move(watch));
}

// Host names become file names under status/.
Status check_host_file_name(const std::string& host) {
  if (host.empty() || host.size() > 200 || host[0] == '.' ||
      host.find_first_of(std::string_view("/\0\n", 3)) != std::string::npos) {
    return Status::error("host name '" + host + "' cannot be a status file name", EINVAL);
  }
  return Status::ok();
}

}  // namespace vnet::store
