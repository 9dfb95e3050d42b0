// The file: store backend: commit/load, endpoint ids, statuses, inotify
// watch, and commits racing from several processes.

#include "store/store.h"
#include "store/file_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "store/codec.h"
#include "store/file_store.h"

namespace vnet::store {
namespace {

namespace fs = std::filesystem;
using topology::Endpoint;
using topology::Topology;

Topology with_endpoints(const std::vector<std::string>& names) {
  Topology t;
  t.hosts.push_back(topology::Host{
      .name = "hv1", .vtep_ip = Ipv4::parse("198.18.0.1").value(), .underlay_interface = "eth0"});
  t.networks.push_back(topology::Network{
      .name = "blue", .vni = 1001, .subnet = Ipv4Prefix::parse("10.0.1.0/24").value()});
  std::uint32_t n = 10;
  for (const auto& name : names) {
    Endpoint e;
    e.name = name;
    e.id = 999;  // whatever the caller says, the store assigns
    e.host = "hv1";
    e.network = "blue";
    e.interface = name + "-h";
    e.mac.bytes = {2, 0, 0, 0, 0, static_cast<std::uint8_t>(n)};
    e.ip = Ipv4{0x0a000100u + n};
    ++n;
    t.endpoints.push_back(std::move(e));
  }
  return t;
}

std::map<std::string, std::uint32_t> ids_of(const Topology& t) {
  std::map<std::string, std::uint32_t> out;
  for (const auto& e : t.endpoints) {
    out[e.name] = e.id;
  }
  return out;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vnet-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/nested/store";  // open_store creates missing parents
    auto s = open_store("file:" + dir_);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string root_;
  std::string dir_;
  std::unique_ptr<Store> store_;
};

// vnetd refuses at start a --host whose status file could not be written
// (it would show as down forever).
TEST(HostFileName, OnlyNamesThatCanBeStatusFiles) {
  EXPECT_TRUE(check_host_file_name("hv1").is_ok());
  EXPECT_TRUE(check_host_file_name("rack-7.hv12").is_ok());
  for (const std::string& bad : {std::string(), std::string(".hv1"), std::string("a/b"),
                                std::string("a\nb"), std::string("a\0b", 3),
                                std::string(201, 'h')}) {
    EXPECT_FALSE(check_host_file_name(bad).is_ok()) << bad;
  }
}

TEST(OpenStore, Urls) {
  auto etcd = open_store("etcd://127.0.0.1:2379");
  ASSERT_FALSE(etcd.is_ok());
  EXPECT_NE(etcd.status().message().find("etcd backend not available yet"), std::string::npos);
  EXPECT_FALSE(open_store("nfs://x").is_ok());
  EXPECT_FALSE(open_store("file:").is_ok());
  EXPECT_FALSE(open_store("/var/lib/vnet").is_ok());
  auto not_dir = open_store("file:/dev/null");
  ASSERT_FALSE(not_dir.is_ok());
}

TEST_F(StoreTest, EmptyStoreLoadsNothing) {
  EXPECT_TRUE(fs::is_directory(dir_ + "/status"));
  auto s = store_->load();
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_FALSE(s->has_value());
  auto st = store_->statuses();
  ASSERT_TRUE(st.is_ok());
  EXPECT_TRUE(st->empty());
}

TEST_F(StoreTest, CommitAndLoad) {
  auto c = store_->commit(with_endpoints({"a", "b"}));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->generation, 1u);
  EXPECT_EQ(ids_of(c->topology), (std::map<std::string, std::uint32_t>{{"a", 1}, {"b", 2}}));

  auto l = store_->load();
  ASSERT_TRUE(l.is_ok()) << l.status().message();
  ASSERT_TRUE(l->has_value());
  EXPECT_EQ((*l)->generation, 1u);
  EXPECT_EQ(ids_of((*l)->topology), ids_of(c->topology));
  EXPECT_EQ((*l)->topology.hosts.at(0).name, "hv1");
  EXPECT_EQ((*l)->topology.endpoints.at(1).interface, "b-h");

  // Mode and no tmp leftovers.
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/desired").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find("desired.tmp"), std::string::npos);
  }
}

TEST_F(StoreTest, IdsAreStableAndNeverReused) {
  ASSERT_TRUE(store_->commit(with_endpoints({"a", "b"})).is_ok());  // a=1 b=2
  auto g2 = store_->commit(with_endpoints({"c", "b"}));
  ASSERT_TRUE(g2.is_ok());
  EXPECT_EQ(g2->generation, 2u);
  EXPECT_EQ(ids_of(g2->topology), (std::map<std::string, std::uint32_t>{{"b", 2}, {"c", 3}}));

  // "a" came back after a generation without it: a new id, never 1 again.
  auto g3 = store_->commit(with_endpoints({"a", "c"}));
  ASSERT_TRUE(g3.is_ok());
  EXPECT_EQ(ids_of(g3->topology), (std::map<std::string, std::uint32_t>{{"a", 4}, {"c", 3}}));

  // Removing the highest id does not free it either (next_id is persisted).
  ASSERT_TRUE(store_->commit(with_endpoints({"c"})).is_ok());
  ASSERT_TRUE(store_->commit(with_endpoints({})).is_ok());
  auto g6 = store_->commit(with_endpoints({"z"}));
  ASSERT_TRUE(g6.is_ok());
  EXPECT_EQ(g6->generation, 6u);
  EXPECT_EQ(ids_of(g6->topology), (std::map<std::string, std::uint32_t>{{"z", 5}}));

  // A second handle on the same directory sees the same state.
  auto other = open_store("file:" + dir_);
  ASSERT_TRUE(other.is_ok());
  auto g7 = (*other)->commit(with_endpoints({"z", "y"}));
  ASSERT_TRUE(g7.is_ok());
  EXPECT_EQ(g7->generation, 7u);
  EXPECT_EQ(ids_of(g7->topology), (std::map<std::string, std::uint32_t>{{"y", 6}, {"z", 5}}));
}

TEST_F(StoreTest, CorruptDesiredIsAnErrorAndNotOverwritten) {
  ASSERT_TRUE(store_->commit(with_endpoints({"a"})).is_ok());
  {
    std::ofstream f(dir_ + "/desired", std::ios::binary | std::ios::trunc);
    f << "VNET garbage";
  }
  auto l = store_->load();
  ASSERT_FALSE(l.is_ok());
  EXPECT_NE(l.status().message().find("corrupt"), std::string::npos) << l.status().message();
  EXPECT_FALSE(store_->commit(with_endpoints({"a"})).is_ok());
  EXPECT_EQ(fs::file_size(dir_ + "/desired"), 12u);
}

TEST_F(StoreTest, StaleTmpFromACrashedCommitIsRemoved) {
  const std::string stale = dir_ + "/desired.tmp.99999";
  { std::ofstream(stale) << "half"; }
  ASSERT_TRUE(store_->commit(with_endpoints({"a"})).is_ok());
  EXPECT_FALSE(fs::exists(stale));
}

TEST_F(StoreTest, Statuses) {
  HostStatus hv2{.host = "hv2",
                 .applied_generation = 3,
                 .state = HostState::kError,
                 .errors = {"vm3-h: no such interface", "second\nline"},
                 .heartbeat_unix_ms = 1700000000000,
                 .pid = 77};
  HostStatus hv1{.host = "hv1", .applied_generation = 4, .state = HostState::kOk, .pid = 76};
  ASSERT_TRUE(store_->put_status(hv2).is_ok());
  ASSERT_TRUE(store_->put_status(hv1).is_ok());
  hv1.applied_generation = 5;  // overwrite in place
  ASSERT_TRUE(store_->put_status(hv1).is_ok());

  auto st = store_->statuses();
  ASSERT_TRUE(st.is_ok()) << st.status().message();
  ASSERT_EQ(st->size(), 2u);
  EXPECT_EQ((*st)[0].host, "hv1");
  EXPECT_EQ((*st)[0].applied_generation, 5u);
  EXPECT_EQ((*st)[0].state, HostState::kOk);
  EXPECT_EQ((*st)[1].host, "hv2");
  EXPECT_EQ((*st)[1].errors, hv2.errors);
  EXPECT_EQ((*st)[1].heartbeat_unix_ms, hv2.heartbeat_unix_ms);
  EXPECT_EQ((*st)[1].pid, 77);

  // Names that would escape status/ or hide as dotfiles are refused.
  for (const char* bad : {"", "../x", "a/b", ".hidden"}) {
    EXPECT_FALSE(store_->put_status(HostStatus{.host = bad}).is_ok()) << bad;
  }

  // A torn file shows up as that host in error, without hiding the others.
  { std::ofstream(dir_ + "/status/hv3") << "vnet-status=1\nhost=hv3\napplied_gen"; }
  st = store_->statuses();
  ASSERT_TRUE(st.is_ok());
  ASSERT_EQ(st->size(), 3u);
  EXPECT_EQ((*st)[2].host, "hv3");
  EXPECT_EQ((*st)[2].state, HostState::kError);
  EXPECT_EQ((*st)[2].heartbeat_unix_ms, 0);
  ASSERT_EQ((*st)[2].errors.size(), 1u);
  EXPECT_NE((*st)[2].errors[0].find("unreadable"), std::string::npos);
}

bool readable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

TEST_F(StoreTest, WatchSeesCommitsOnly) {
  auto w = store_->watch();
  ASSERT_TRUE(w.is_ok()) << w.status().message();
  Watch& watch = **w;
  EXPECT_FALSE(readable(watch.fd(), 0));
  EXPECT_FALSE(watch.consume());

  ASSERT_TRUE(store_->commit(with_endpoints({"a"})).is_ok());
  ASSERT_TRUE(readable(watch.fd(), 2000));
  EXPECT_TRUE(watch.consume());
  EXPECT_FALSE(readable(watch.fd(), 0));  // drained
  EXPECT_FALSE(watch.consume());

  // Status heartbeats live in status/, which the watch does not see.
  ASSERT_TRUE(store_->put_status(HostStatus{.host = "hv1"}).is_ok());
  EXPECT_FALSE(readable(watch.fd(), 50));

  // Several commits before the reader wakes up: one consume covers them.
  ASSERT_TRUE(store_->commit(with_endpoints({"a", "b"})).is_ok());
  ASSERT_TRUE(store_->commit(with_endpoints({"b"})).is_ok());
  ASSERT_TRUE(readable(watch.fd(), 2000));
  EXPECT_TRUE(watch.consume());
  EXPECT_FALSE(watch.consume());
}

// An operator who deletes or replaces the store directory must not leave
// vnetd deaf: the watch reports the loss and rearm() watches the new one.
TEST_F(StoreTest, WatchSurvivesTheDirectoryBeingReplaced) {
  auto w = store_->watch();
  ASSERT_TRUE(w.is_ok()) << w.status().message();
  Watch& watch = **w;
  EXPECT_FALSE(watch.rearm());  // armed: nothing to do

  for (const char* how : {"delete", "move"}) {
    SCOPED_TRACE(how);
    std::error_code ec;
    if (std::string(how) == "delete") {
      fs::remove_all(dir_, ec);
    } else {
      fs::rename(dir_, root_ + "/moved", ec);
    }
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(readable(watch.fd(), 2000));
    EXPECT_TRUE(watch.consume());
    EXPECT_FALSE(watch.rearm());  // no directory yet

    auto again = open_store("file:" + dir_);  // what the next apply does
    ASSERT_TRUE(again.is_ok()) << again.status().message();
    EXPECT_TRUE(watch.rearm());
    EXPECT_FALSE(watch.rearm());
    ASSERT_TRUE((*again)->commit(with_endpoints({"a"})).is_ok());
    ASSERT_TRUE(readable(watch.fd(), 2000));
    EXPECT_TRUE(watch.consume());
    // A host's status goes on being written into the new directory.
    EXPECT_TRUE(store_->put_status(HostStatus{.host = "hv1"}).is_ok());
    fs::remove_all(root_ + "/moved", ec);
  }
}

// delete's read-modify-write commits only on top of what it read.
TEST_F(StoreTest, CommitIfRefusesAStaleBase) {
  auto first = store_->commit_if(with_endpoints({"a"}), 0);  // nothing applied yet
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(first->generation, 1u);
  ASSERT_TRUE(store_->commit(with_endpoints({"a", "b"})).is_ok());  // a concurrent apply

  auto stale = store_->commit_if(with_endpoints({}), 1);
  ASSERT_FALSE(stale.is_ok());
  EXPECT_EQ(stale.status().err(), ESTALE);
  auto now = store_->load();
  ASSERT_TRUE(now.is_ok() && now->has_value());
  EXPECT_EQ((*now)->generation, 2u);
  EXPECT_EQ((*now)->topology.endpoints.size(), 2u);

  auto fresh = store_->commit_if(with_endpoints({"b"}), 2);
  ASSERT_TRUE(fresh.is_ok()) << fresh.status().message();
  EXPECT_EQ(fresh->generation, 3u);
}

// The status directory is recreated if it vanished.
TEST_F(StoreTest, PutStatusRecreatesItsDirectory) {
  std::error_code ec;
  fs::remove_all(dir_ + "/status", ec);
  ASSERT_TRUE(store_->put_status(HostStatus{.host = "hv1"}).is_ok());
  auto all = store_->statuses();
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].host, "hv1");
}

TEST_F(StoreTest, ConcurrentCommitsFromProcessesSerialize) {
  constexpr int kProcs = 8;
  constexpr int kCommitsEach = 4;
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(pipefd[0]);
      // Own handle, as a separate vnetctl would have.
      auto s = open_store("file:" + dir_);
      int rc = s.is_ok() ? 0 : 1;
      for (int i = 0; i < kCommitsEach && rc == 0; ++i) {
        auto c = (*s)->commit(with_endpoints({"shared", "p" + std::to_string(p)}));
        if (!c.is_ok()) {
          rc = 2;
          break;
        }
        const std::uint64_t rec[2] = {c->generation, ids_of(c->topology).at("shared")};
        if (::write(pipefd[1], rec, sizeof rec) != static_cast<ssize_t>(sizeof rec)) {
          rc = 3;
        }
      }
      ::_exit(rc);
    }
    kids.push_back(pid);
  }
  ::close(pipefd[1]);
  std::vector<std::uint64_t> gens;
  std::set<std::uint64_t> shared_ids;
  std::uint64_t rec[2];
  while (::read(pipefd[0], rec, sizeof rec) == static_cast<ssize_t>(sizeof rec)) {
    gens.push_back(rec[0]);
    shared_ids.insert(rec[1]);
  }
  ::close(pipefd[0]);
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }

  constexpr std::uint64_t kTotal = kProcs * kCommitsEach;
  ASSERT_EQ(gens.size(), kTotal);
  const std::set<std::uint64_t> distinct(gens.begin(), gens.end());
  EXPECT_EQ(distinct.size(), kTotal) << "two commits got the same generation";
  EXPECT_EQ(*distinct.begin(), 1u);
  EXPECT_EQ(*distinct.rbegin(), kTotal);
  // "shared" is in every generation, so it kept the id of the first one.
  EXPECT_EQ(shared_ids, (std::set<std::uint64_t>{1}));

  auto l = store_->load();
  ASSERT_TRUE(l.is_ok());
  ASSERT_TRUE(l->has_value());
  EXPECT_EQ((*l)->generation, kTotal);
}

}  // namespace
}  // namespace vnet::store
