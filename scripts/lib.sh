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

# One release build for scripts/run and scripts/install.sh: the same flags in
# the same folder (.build/), so switching between them reuses the build instead
# of relinking. The Swift runtime is linked in, so an installed binary needs
# only libsqlite3 and libstdc++, not the toolchain.
release_build_flags=(-c release --static-swift-stdlib --product storekeeper)

# build_release REPO — builds (output on stderr) and prints the binary's absolute path.
build_release() {
  (cd "$1" && swift build "${release_build_flags[@]}" >&2 && echo "$(swift build "${release_build_flags[@]}" --show-bin-path)/storekeeper")
}
