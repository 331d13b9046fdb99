#!/usr/bin/env bash
# Install everything the build and the tests need, on Debian 12.
# Usage: scripts/setup.sh   (make setup)
# Uses sudo when not run as root.  Safe to run again: apt and npm skip what
# is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: not root and no sudo" >&2; exit 1; }
  sudo=sudo
fi

mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/debian-packages.txt | grep -v '^$')
# Node.js may come from another repository (NodeSource) on some machines;
# install Debian's only when there is none, so the two never fight.
command -v npm >/dev/null || pkgs+=(nodejs npm)

echo "setup: installing ${#pkgs[@]} Debian packages"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${pkgs[@]}"

if [ -f package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
echo "setup: done"
