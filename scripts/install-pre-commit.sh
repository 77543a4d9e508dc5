#!/usr/bin/env bash
# Installs the two pre-commit releases test/hooks.test.ts installs and runs the hook with:
#
#   - Debian's own package (bookworm: 3.0.4), with apt-get. It also brings the Python packages
#     both releases need (cfgv, identify, nodeenv, virtualenv, yaml).
#   - The current 4.x release, from Debian's newer stable suite (trixie: 4.2.0), because PyPI is
#     not reachable here and Debian is. apt fetches and verifies the .deb with a private sources
#     list and private package lists (the machine's apt configuration is left as it is); it is
#     unpacked into a virtualenv that sees the system's Python packages, so `pre-commit install`
#     writes git hooks that run this release, not Debian's.
#
# Run it once per machine, as root or with sudo (apt-get install); .ci/run does. The 4.x release
# lands in ${XDG_CACHE_HOME:-~/.cache}/migrate-safe/pre-commit-4, its command in bin/pre-commit.
set -euo pipefail

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

if ! command -v pre-commit >/dev/null || ! /usr/bin/python3 -c 'import virtualenv, nodeenv, cfgv, identify, yaml' 2>/dev/null; then
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends pre-commit
fi

target="${XDG_CACHE_HOME:-$HOME/.cache}/migrate-safe/pre-commit-4"
if [ -x "$target/bin/pre-commit" ] && "$target/bin/pre-commit" --version | grep -q '^pre-commit 4\.'; then
  echo "$("$target/bin/pre-commit" --version) is installed in $target"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo 'deb http://deb.debian.org/debian trixie main' > "$work/sources.list"
apt_options=(
  -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Languages=none
)
apt-get "${apt_options[@]}" update >/dev/null
(cd "$work" && apt-get "${apt_options[@]}" download pre-commit/trixie >/dev/null)
deb="$(ls "$work"/pre-commit_4.*_all.deb)"
dpkg-deb -x "$deb" "$work/root"

rm -rf "$target"
/usr/bin/python3 -m virtualenv --quiet --no-seed --system-site-packages "$target"
site="$("$target/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
cp -r "$work"/root/usr/lib/python3/dist-packages/pre_commit "$work"/root/usr/lib/python3/dist-packages/pre_commit-*-info "$site/"
cat > "$target/bin/pre-commit" <<EOF
#!/bin/sh
exec "$target/bin/python" -m pre_commit "\$@"
EOF
chmod +x "$target/bin/pre-commit"
echo "$("$target/bin/pre-commit" --version) is installed in $target (from $(basename "$deb"))"
