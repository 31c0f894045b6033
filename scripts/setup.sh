#!/usr/bin/env bash
# Prepares this machine for the end-to-end tests and the demo: the Debian packages a real
# VS Code needs, and code-server (VS Code served to a browser) under .cache/code-server/.
# Safe to run again: finished steps are detected and skipped.
#
# What runs as you: npm installs every package with --ignore-scripts, and every version is pinned —
# code-server below, and all of its dependencies and VS Code's by the npm-shrinkwrap.json files
# code-server ships (exact versions with integrity hashes). Then these install scripts from npm run,
# as you, to build native modules for this Node:
#   VS Code's (npm rebuild): node-pty 1.1.0-beta33, @vscode/spdlog 0.15.1, @parcel/watcher 2.5.1,
#     kerberos 2.1.1, native-watchdog 1.4.2, @vscode/deviceid 0.1.1, @vscode/ripgrep 1.15.11 (it finds
#     Debian's rg in place and downloads nothing), and the @vscode/windows-* ones, which do nothing on Linux;
#   code-server's: argon2 0.31.2;
#   the built-in extensions': code-server's own postinstall.mjs, which trims TypeScript.
# apt-get runs as root (through sudo when you are not root), for Debian's signed packages only.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3 # 4.100.x is the newest line that runs on Node 20
# The built-in extensions' package.json asks for ^5.8.3 and code-server ships no lockfile for it.
EXTENSIONS_TYPESCRIPT_VERSION=5.8.3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.cache/code-server"
STAMP="$DIR/installed"
# fonts-wqy-microhei: Chinese glyphs for the end-to-end test that runs VS Code in Chinese.
APT_PACKAGES=(build-essential pkg-config python3 libkrb5-dev libsecret-1-dev
  libx11-dev libxkbfile-dev ripgrep chromium fonts-dejavu-core fonts-wqy-microhei)

step() { printf '\n==> %s\n' "$*"; }

install_apt_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    # dpkg -s alone also succeeds for a removed package whose config files remain.
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    step "Debian packages already installed"
    return
  fi
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  step "Installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Follows shared recipe "real VS Code offline": every install script that would download
# (ripgrep from GitHub) or refuse to run as root under npm 11 is skipped, and the native
# modules are rebuilt explicitly instead.
install_code_server() {
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$CODE_SERVER_VERSION" ]; then
    step "code-server $CODE_SERVER_VERSION already installed in ${DIR#"$ROOT"/}"
    return
  fi
  if [ -e "$DIR" ]; then
    step "Removing an unfinished or outdated install in ${DIR#"$ROOT"/}"
    rm -rf "$DIR"
  fi
  local npm_quiet=(--no-audit --no-fund --loglevel=error)
  local start=$SECONDS
  mkdir -p "$DIR"
  cd "$DIR"
  npm init -y >/dev/null

  step "Installing code-server $CODE_SERVER_VERSION"
  npm install "${npm_quiet[@]}" --ignore-scripts --save-exact "code-server@$CODE_SERVER_VERSION"

  cd node_modules/code-server/lib/vscode
  step "Installing VS Code's own dependencies"
  npm install "${npm_quiet[@]}" --omit=dev --ignore-scripts

  step "Using Debian's ripgrep"
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg

  step "Building native modules (node-pty, spdlog, kerberos, watcher, ...)"
  npm_config_yes=true npm rebuild --loglevel=error
  ln -sfn node_modules node_modules.asar

  step "Installing the built-in extensions' dependencies"
  (cd extensions &&
    npm install "${npm_quiet[@]}" --omit=dev --ignore-scripts --no-save "typescript@$EXTENSIONS_TYPESCRIPT_VERSION" &&
    node postinstall.mjs >/dev/null)

  cd "$DIR"
  step "Building argon2"
  npm_config_yes=true npm rebuild --loglevel=error argon2

  echo "$CODE_SERVER_VERSION" >"$STAMP"
  step "code-server installed in $((SECONDS - start)) s"
}

install_apt_packages
install_code_server
