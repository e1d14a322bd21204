# Shared by scripts/run and scripts/test: say what is done, install what is missing.
# Sourced, not run.

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_install PACKAGE... — installs Debian packages when missing (root only).
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
  fi
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    apt-get install -y -q "${missing[@]}" >/dev/null
  }
}

require_swift() {
  command -v swift >/dev/null 2>&1 || die "the Swift toolchain (6.x) is not on PATH; see https://www.swift.org/install/linux/"
}

# The C library and pkg-config file that the CSQLite system-library target links.
require_build_dependencies() {
  require_swift
  apt_install libsqlite3-dev pkg-config
}
