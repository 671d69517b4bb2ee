#!/bin/sh
# scripts/deps.sh - install the Debian 12 packages that mreža needs to build, run and test.
# Idempotent: does nothing (and prints nothing) when every package is already installed.
set -eu
# clang, llvm (llvm-ar and the LTO linker plugin) and libclang-rt-14-dev (clang's
# sanitizer and libFuzzer runtimes): CI also builds with clang; `make fuzz` needs them.
# libpsl-dev: the Public Suffix List (obs_public_suffix: sightings of catch-all domain
# indicators). libgnutls28-dev: TLS of `mreza serve`; gnutls-bin: certtool and gnutls-cli, with which
# the tests make their CA and certificates and offer old TLS versions.
PKGS="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
      libsodium-dev libcurl4-openssl-dev libcmocka-dev zlib1g-dev libidn2-dev libpsl-dev libxxhash-dev libpcre2-dev
      nettle-dev libgnutls28-dev
      sqlite3 curl gnutls-bin
      clang llvm libclang-rt-14-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
