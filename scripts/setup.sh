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

echo "setup: installing ${#pkgs[@]} Debian packages"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${pkgs[@]}"

# Node.js: the major version in .node-version, for CI and contributors
# alike (the browser test and Pagefind run on it).  When there is no node,
# Debian's is installed if it has that major, else NodeSource's packages for
# it.  A node of another major is not replaced behind your back: setup stops
# and says so (SETUP_REPLACE_NODE=1 replaces it).
node_major=$(tr -d '[:space:]' < .node-version)
have_major() { command -v node >/dev/null && command -v npm >/dev/null &&
               [ "$(node -p 'process.versions.node.split(".")[0]')" = "$node_major" ]; }
install_nodesource() {
  echo "setup: installing Node.js $node_major from NodeSource's Debian repository"
  $sudo apt-get install -y -q --no-install-recommends ca-certificates curl gnupg
  $sudo install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key |
    $sudo gpg --batch --yes --dearmor -o /etc/apt/keyrings/nodesource.gpg
  echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$node_major.x nodistro main" |
    $sudo tee /etc/apt/sources.list.d/nodesource.list >/dev/null
  $sudo apt-get update -q
  $sudo apt-get install -y -q nodejs
}
if ! have_major; then
  if command -v node >/dev/null && [ "${SETUP_REPLACE_NODE:-0}" != 1 ]; then
    echo "setup: node $(node --version) is installed, but the book uses Node.js $node_major" \
         "(.node-version; CI runs that too)." >&2
    echo "setup: install Node.js $node_major (nvm, NodeSource), or rerun with SETUP_REPLACE_NODE=1" \
         "to let setup install NodeSource's nodejs $node_major in place of this one." >&2
    exit 1
  fi
  debian=$(apt-cache policy nodejs | sed -n 's/^ *Candidate: \([0-9]*\).*/\1/p')
  if [ "$debian" = "$node_major" ]; then
    $sudo apt-get install -y -q --no-install-recommends nodejs npm
  else
    install_nodesource
  fi
  have_major || { echo "setup: could not install Node.js $node_major" >&2; exit 1; }
fi
echo "setup: node $(node --version), npm $(npm --version)"

if [ -f package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
echo "setup: done"
