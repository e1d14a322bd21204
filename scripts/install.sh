#!/usr/bin/env bash
# Installs Storekeeper on this machine: builds the release binary and installs
#   $PREFIX/bin/storekeeper                     the program
#   $PREFIX/lib/storekeeper/cleanup.sh          the cron fallback
#   $PREFIX/share/doc/storekeeper/operations.md
#   /etc/storekeeper/storekeeper.yaml           only when missing: never overwritten
#   /etc/systemd/system/storekeeper.service, storekeeper-clean.{service,timer}
#   /etc/logrotate.d/storekeeper
#   $PREFIX/share/storekeeper/prometheus/storekeeper-rules.yml   alert rules to load into Prometheus
#   $PREFIX/share/man/man1/storekeeper.1        the man page
#   /usr/share/bash-completion/completions/storekeeper, /usr/share/zsh/vendor-completions/_storekeeper,
#   /usr/share/fish/vendor_completions.d/storekeeper.fish   shell completion
# then creates the `media` system user and group if missing, the log folder
# /var/log/storekeeper and the storage layout (`storekeeper init`, as media).
# Idempotent: files already up to date are left alone, so a second run
# changes nothing. It enables nothing; it prints the systemctl commands.
#
# --uninstall removes what an install put there: the program, cleanup.sh, the
# docs, the units, the logrotate rule, the alert rules, the man page, the
# completion scripts, and the config only
# while it is unchanged from the shipped one. Never the storage tree, the
# index, the logs or the media user.
#
# Usage: scripts/install.sh [--prefix DIR] [--destdir DIR] [--binary FILE] [--dry-run] [--uninstall]
#   --prefix DIR   where the program goes (default /usr/local); the units are
#                  rewritten to match
#   --destdir DIR  stage every file under DIR (packaging); the user, the log
#                  folder, the layout and systemctl are then skipped, since
#                  they belong to the target machine
#   --binary FILE  install this storekeeper instead of building one
#   --dry-run      print every action, change nothing
#   --uninstall    remove what an install put there (see above)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
. "$repo/scripts/lib.sh"

prefix=/usr/local
destdir=
binary=
dry_run=false
uninstall=false
user=media
group=media
usage() {
  echo "usage: scripts/install.sh [--prefix DIR] [--destdir DIR] [--binary FILE] [--dry-run] [--uninstall]"
  exit "${1:-64}"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage >&2; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --destdir) [ $# -ge 2 ] || usage >&2; destdir="$2"; shift 2 ;;
    --destdir=*) destdir="${1#*=}"; shift ;;
    --binary) [ $# -ge 2 ] || usage >&2; binary="$2"; shift 2 ;;
    --binary=*) binary="${1#*=}"; shift ;;
    --dry-run) dry_run=true; shift ;;
    --uninstall) uninstall=true; shift ;;
    -h|--help) usage 0 ;;
    *) printf 'error: unknown option %s\n' "$1" >&2; usage >&2 ;;
  esac
done
case "$prefix" in /*) ;; *) die "--prefix must be absolute: $prefix" ;; esac
if [ -n "$destdir" ]; then
  case "$destdir" in /*) ;; *) destdir="$(pwd)/$destdir" ;; esac
  destdir="${destdir%/}"
fi
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ] && ! $dry_run; then
  die "installing into the system needs root (or use --destdir DIR, or --dry-run)"
fi

config_file=/etc/storekeeper/storekeeper.yaml
default_base=/opt/services/media-analysis/storage
log_dir=/var/log/storekeeper

# run CMD... — does it, or in a dry run only says it would.
run() {
  if $dry_run; then
    printf 'would run: %s\n' "$*"
  else
    printf 'run: %s\n' "$*"
    "$@"
  fi
}

# put MODE DEST — writes stdin to $destdir$DEST unless it already holds
# exactly that, so a second install rewrites nothing.
put() {
  local mode="$1" target="$destdir$2" staged
  staged="$(mktemp)"
  cat > "$staged"
  if [ -f "$target" ] && cmp -s "$staged" "$target" && [ "$(stat -c %a "$target")" = "${mode#0}" ]; then
    printf 'up to date: %s\n' "$target"
  elif $dry_run; then
    printf 'would install: %s (mode %s)\n' "$target" "$mode"
  else
    printf 'install: %s (mode %s)\n' "$target" "$mode"
    install -D -m "$mode" "$staged" "$target"
  fi
  rm -f "$staged"
}

# Units and docs name /usr/local; another prefix is written into them.
with_prefix() { sed -e "s|/usr/local/|$prefix/|g" "$1"; }

# The shipped default config, pointed at the service's base and log file.
installed_config() {
  sed -e "s|^  base_path: \.\./storage\$|  base_path: $default_base|" \
      -e "s|^    log_file:\$|    log_file: $log_dir/storekeeper.log|" \
      "$repo/config/storekeeper.yaml"
}

units=(storekeeper.service storekeeper-clean.service storekeeper-clean.timer)
# `storekeeper completion FORMAT` writes each of these from the command specs,
# so they always match the binary being installed.
generated=(
  "bash /usr/share/bash-completion/completions/storekeeper"
  "zsh /usr/share/zsh/vendor-completions/_storekeeper"
  "fish /usr/share/fish/vendor_completions.d/storekeeper.fish"
  "man $prefix/share/man/man1/storekeeper.1"
)

# remove DEST — deletes $destdir$DEST when present.
remove() {
  local target="$destdir$1"
  if [ ! -e "$target" ] && [ ! -L "$target" ]; then
    printf 'not installed: %s\n' "$target"
  elif $dry_run; then
    printf 'would remove: %s\n' "$target"
  else
    printf 'remove: %s\n' "$target"
    rm -f -- "$target"
  fi
}

# prune DIR... — removes each of $destdir's folders when the uninstall left it empty.
prune() {
  for dir in "$@"; do
    [ -d "$destdir$dir" ] || continue
    if [ -z "$(ls -A "$destdir$dir")" ]; then
      if $dry_run; then printf 'would remove: %s/\n' "$destdir$dir"; else rmdir -- "$destdir$dir"; fi
    fi
  done
}

if $uninstall; then
  if [ -z "$destdir" ] && [ -d /run/systemd/system ]; then
    for unit in storekeeper.service storekeeper-clean.timer; do
      if [ -e "/etc/systemd/system/$unit" ]; then run systemctl disable --now "$unit"; fi
    done
  fi
  remove "$prefix/bin/storekeeper"
  remove "$prefix/lib/storekeeper/cleanup.sh"
  remove "$prefix/share/doc/storekeeper/operations.md"
  for unit in "${units[@]}"; do remove "/etc/systemd/system/$unit"; done
  remove /etc/logrotate.d/storekeeper
  remove "$prefix/share/storekeeper/prometheus/storekeeper-rules.yml"
  for entry in "${generated[@]}"; do remove "${entry#* }"; done
  # An edited config is the operator's: it stays, and so does its folder.
  if [ -f "$destdir$config_file" ] && ! installed_config | cmp -s - "$destdir$config_file"; then
    printf 'kept (changed since install): %s\n' "$destdir$config_file"
  else
    remove "$config_file"
  fi
  prune "$prefix/lib/storekeeper" "$prefix/share/doc/storekeeper" "$prefix/share/storekeeper/prometheus" \
    "$prefix/share/storekeeper" /etc/storekeeper
  if [ -z "$destdir" ] && [ -d /run/systemd/system ]; then run systemctl daemon-reload; fi
  printf 'kept: the storage tree and its index, %s, the %s user and group\n' "$log_dir" "$user"
  exit 0
fi

# 1. The program.
if [ -z "$binary" ]; then
  if $dry_run; then
    printf 'would run: swift build %s (in %s)\n' "${release_build_flags[*]}" "$repo"
    binary="$repo/.build/release/storekeeper"
  else
    require_build_dependencies
    say "building storekeeper (release, Swift runtime linked in)"
    binary="$(build_release "$repo")"
  fi
fi
if [ -f "$binary" ] || ! $dry_run; then
  [ -x "$binary" ] || die "no storekeeper executable at $binary"
  put 0755 "$prefix/bin/storekeeper" < "$binary"
else
  printf 'would install: %s (mode 0755, from %s)\n' "$destdir$prefix/bin/storekeeper" "$binary"
fi
with_prefix "$repo/scripts/cleanup.sh" | put 0755 "$prefix/lib/storekeeper/cleanup.sh"
put 0644 "$prefix/share/doc/storekeeper/operations.md" < "$repo/docs/operations.md"
for entry in "${generated[@]}"; do
  if [ -x "$binary" ]; then
    text="$("$binary" completion "${entry%% *}")" || die "$binary completion ${entry%% *} failed"
    printf '%s\n' "$text" | sed -e "s|/usr/local/|$prefix/|g" | put 0644 "${entry#* }"
  else
    printf 'would install: %s (mode 0644, from %s completion %s)\n' "$destdir${entry#* }" "$binary" "${entry%% *}"
  fi
done

# 2. The configuration: a local one is never touched.
if [ -e "$destdir$config_file" ]; then
  printf 'kept existing: %s\n' "$destdir$config_file"
else
  installed_config | put 0644 "$config_file"
fi

# 3. systemd units and the logrotate rule.
for unit in "${units[@]}"; do
  with_prefix "$repo/config/systemd/$unit" | put 0644 "/etc/systemd/system/$unit"
done
put 0644 /etc/logrotate.d/storekeeper < "$repo/config/logrotate.d/storekeeper"
put 0644 "$prefix/share/storekeeper/prometheus/storekeeper-rules.yml" < "$repo/config/prometheus/storekeeper-rules.yml"

if [ -n "$destdir" ]; then
  printf 'skipped (--destdir): the %s user, %s, the storage layout, systemctl daemon-reload\n' "$user" "$log_dir"
  exit 0
fi

# 4. The user and group the daemon runs as.
if getent group "$group" >/dev/null; then
  printf 'exists: group %s\n' "$group"
else
  run groupadd --system "$group"
fi
if getent passwd "$user" >/dev/null; then
  printf 'exists: user %s\n' "$user"
else
  run useradd --system --gid "$group" --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$user"
fi

# 5. The log folder and the storage layout, owned by that user.
bin="$prefix/bin/storekeeper"
if [ -d "$log_dir" ]; then
  printf 'exists: %s\n' "$log_dir"
else
  run install -d -o "$user" -g "$group" -m 0750 "$log_dir"
fi
if $dry_run && [ ! -x "$bin" ]; then
  printf 'would run: install -d -o %s -g %s -m 0755 <base_path of %s>\n' "$user" "$group" "$config_file"
  printf 'would run: runuser -u %s -- %s init --config %s\n' "$user" "$bin" "$config_file"
else
  if $dry_run && [ ! -e "$config_file" ]; then
    base="$default_base"
  else
    base="$("$bin" check --config "$config_file" | sed -n 's/^  base:  //p')"
  fi
  [ -n "$base" ] || die "cannot read base_path from $config_file"
  if [ -d "$base" ]; then
    printf 'exists: %s\n' "$base"
  else
    run install -d -o "$user" -g "$group" -m 0755 "$base"
  fi
  run runuser -u "$user" -- "$bin" init --config "$config_file"
fi

# 6. Tell systemd about the units (when it is the init system).
if [ -d /run/systemd/system ]; then
  run systemctl daemon-reload
else
  printf 'skipped: systemctl daemon-reload (systemd is not running)\n'
fi
cat <<EOF
next steps:
  systemctl enable --now storekeeper.service        # the daemon
  systemctl enable --now storekeeper-clean.timer    # optional: daily fallback cleanup
  or, without systemd, in /etc/cron.d/storekeeper:
  0 2 * * * $user $prefix/lib/storekeeper/cleanup.sh
EOF
