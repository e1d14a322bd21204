# Shared by scripts/run, scripts/test and scripts/install.sh: say what is done,
# install what is missing, build the release binary the same way.
# Sourced, not run.

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_install PACKAGE... — installs Debian packages when missing (root only),
# without the packages they merely recommend, and without starting any service
# a package ships (a policy-rc.d that says no for the install's duration;
# Debian's maintainer scripts ask it before starting anything).
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
  fi
  say "installing ${missing[*]} with apt-get (no recommends, no services started)"
  export DEBIAN_FRONTEND=noninteractive
  local policy=/usr/sbin/policy-rc.d placed=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# placed by storekeeper scripts/lib.sh while it installs packages\nexit 101\n' > "$policy"
    chmod 0755 "$policy"
    placed=true
  fi
  local status=0
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  } || status=$?
  if $placed; then rm -f "$policy"; fi
  return "$status"
}

# keep_stopped UNIT... — on a systemd host, stops and disables units a package
# just enabled, so nothing listens on a port after the install or a reboot.
keep_stopped() {
  [ -d /run/systemd/system ] || return 0
  for unit in "$@"; do
    if systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl is-active --quiet "$unit" 2>/dev/null; then
      say "stopping and disabling $unit (installed for the tests only)"
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
  done
}

require_swift() {
  command -v swift >/dev/null 2>&1 || die "the Swift toolchain (6.x) is not on PATH; see https://www.swift.org/install/linux/"
}

# The C library and pkg-config file that the CSQLite system-library target links.
require_build_dependencies() {
  require_swift
  apt_install libsqlite3-dev pkg-config
}

# One release build for scripts/run, scripts/install.sh and scripts/bench: the same
# flags in the same folder (.build/), so switching between them reuses the build
# instead of relinking. The Swift runtime is linked in, and so is the C++ runtime
# it needs (libstdc++.a, from a folder that holds nothing else, so the linker
# prefers it to libstdc++.so): loading libstdc++.so cost about 1.2 ms of every
# command's start, more than `stats` itself (docs/performance.md, "Process
# start"). No $ORIGIN run path either: nothing is loaded from beside the binary,
# and the loader does not search there. An installed binary needs only libc and
# libsqlite3.
lib_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
static_cxx_dir="$lib_repo/.build-static-cxx"
release_build_flags=(-c release --static-swift-stdlib --disable-local-rpath -Xlinker "-L$static_cxx_dir"
  --product storekeeper)

# prepare_static_cxx — links libstdc++.a into $static_cxx_dir (from the compiler
# the toolchain ships, or gcc's); without one the build links libstdc++.so.
prepare_static_cxx() {
  mkdir -p "$static_cxx_dir"
  [ -e "$static_cxx_dir/libstdc++.a" ] && return 0
  local compiler archive
  for compiler in clang g++ gcc; do
    archive="$("$compiler" -print-file-name=libstdc++.a 2>/dev/null)" || continue
    if [ "${archive#/}" != "$archive" ] && [ -f "$archive" ]; then
      ln -sf "$archive" "$static_cxx_dir/libstdc++.a"
      return 0
    fi
  done
  say "no libstdc++.a found (Debian: libstdc++-12-dev): the binary loads libstdc++.so at start"
}

# build_release REPO — builds (output on stderr) and prints the binary's absolute path.
build_release() {
  prepare_static_cxx
  (cd "$1" && swift build "${release_build_flags[@]}" >&2 && echo "$(swift build "${release_build_flags[@]}" --show-bin-path)/storekeeper")
}
