#!/usr/bin/env bash
# Installs the two pre-commit releases test/hooks.test.ts installs and runs the hook with:
#
#   - Debian's own package (bookworm: 3.0.4), with apt-get. It also brings the Python packages
#     both releases need (cfgv, identify, nodeenv, virtualenv, yaml).
#   - The current release (4.7.0, pre-commit's newest since October 2026), from Debian's testing
#     suite (forky), because PyPI is not reachable here and Debian is; should forky's stop running
#     on this Python, the newest 4.x that does (trixie: 4.2.0). apt fetches and verifies the .deb
#     with a private sources list and private package lists (the machine's apt configuration is
#     left as it is); it is unpacked into a virtualenv that sees the system's Python packages, so
#     `pre-commit install` writes git hooks that run this release, not Debian's.
#
# Run it once per machine, as root or with sudo (apt-get install); .ci/run does. The current
# release lands in ${XDG_CACHE_HOME:-~/.cache}/migrate-safe/pre-commit-4, its command in bin/pre-commit.
set -euo pipefail

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

if ! command -v pre-commit >/dev/null || ! /usr/bin/python3 -c 'import virtualenv, nodeenv, cfgv, identify, yaml' 2>/dev/null; then
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends pre-commit
fi

target="${XDG_CACHE_HOME:-$HOME/.cache}/migrate-safe/pre-commit-4"
# An earlier run's install stays when it is the current release or newer.
current=4.7.0
installed="$("$target/bin/pre-commit" --version 2>/dev/null | sed -n 's/^pre-commit //p' || true)"
if [ -n "$installed" ] && [ "$(printf '%s\n%s\n' "$current" "$installed" | sort -V | head -n1)" = "$current" ]; then
  echo "pre-commit $installed is installed in $target"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
printf 'deb http://deb.debian.org/debian %s main\n' forky trixie > "$work/sources.list"
apt_options=(
  -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Languages=none
)
apt-get "${apt_options[@]}" update >/dev/null

for suite in forky trixie; do
  rm -rf "$work/root" "$work"/*.deb "$target"
  (cd "$work" && apt-get "${apt_options[@]}" download "pre-commit/$suite" >/dev/null)
  deb="$(ls "$work"/pre-commit_4.*_all.deb)"
  dpkg-deb -x "$deb" "$work/root"
  /usr/bin/python3 -m virtualenv --quiet --no-seed --system-site-packages "$target"
  site="$("$target/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
  cp -r "$work"/root/usr/lib/python3/dist-packages/pre_commit "$work"/root/usr/lib/python3/dist-packages/pre_commit-*-info "$site/"
  printf '#!/bin/sh\nexec "%s/bin/python" -m pre_commit "$@"\n' "$target" > "$target/bin/pre-commit"
  chmod +x "$target/bin/pre-commit"
  if "$target/bin/pre-commit" --version >/dev/null 2>&1; then
    echo "$("$target/bin/pre-commit" --version) is installed in $target (from $(basename "$deb"), Debian $suite)"
    exit 0
  fi
  echo "$(basename "$deb") from Debian $suite does not run with $(/usr/bin/python3 --version): trying the next suite" >&2
done
echo "no pre-commit 4.x from Debian runs here" >&2
exit 1
