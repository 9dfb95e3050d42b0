#!/usr/bin/env bash
# Installs the Debian 12 packages vnet needs to build and test, if missing.
# Sourced or run by tools/demo.sh and tools/test.sh; needs root for apt.
set -euo pipefail

VNET_PACKAGES=(
  build-essential cmake pkg-config clang llvm
  libbpf-dev bpftool libelf-dev zlib1g-dev libmnl-dev libcli11-dev
  libyaml-cpp-dev libyaml-dev libgtest-dev
  iproute2 ethtool iputils-ping tcpdump python3 procps kmod iperf3 nftables
)

vnet_missing_packages() {
  local p missing=()
  for p in "${VNET_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  echo "${missing[@]:-}"
}

vnet_install_deps() {
  local missing
  missing=$(vnet_missing_packages)
  if [ -z "$missing" ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "vnet: missing packages ($missing); run as root to install them" >&2
    return 1
  fi
  echo "vnet: installing $missing" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  vnet_install_deps
fi
