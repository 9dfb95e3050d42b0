// vnet_bpf_tests: BPF_PROG_TEST_RUN fixture tables for the vnet datapath.
//
// Needs root (BPF, namespaces). Everything runs inside a private network and
// mount namespace created here, before any test: bpf_clone_redirect really
// transmits, so nothing may run in the caller's namespace. The namespace and
// its interfaces die with the process; the bpffs mount and its directory are
// removed on exit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "datapath.h"
#include "lab.h"

namespace {

// Also reached on --gtest_list_tests and early exits, where gtest runs no
// environment teardown. Idempotent.
void cleanup() {
  vt::programs_unload();
  vt::lab_teardown();
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (geteuid() != 0) {
    // Only the builder/checksum self-tests can run; every datapath test is
    // reported as skipped by not running at all, and the exit status is 0.
    std::printf("vnet_bpf_tests: SKIPPED datapath tests: need root (BPF_PROG_TEST_RUN, network "
                "namespaces). Running only the fixture self-tests.\n");
    GTEST_FLAG_SET(filter, "Checksum.*:Builder.*");
    return RUN_ALL_TESTS();
  }
  std::string err;
  if (!vt::lab_setup(&err)) {
    std::fprintf(stderr, "vnet_bpf_tests: namespace setup failed: %s\n", err.c_str());
    cleanup();
    return 1;
  }
  if (!vt::programs_load(&err)) {
    std::fprintf(stderr, "vnet_bpf_tests: %s\n", err.c_str());
  }
  std::atexit(cleanup);
  int rc = RUN_ALL_TESTS();
  cleanup();
  return rc;
}
