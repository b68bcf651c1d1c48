#!/bin/sh
# Builds OpenSSL 3.5 from Debian 13's source package into PREFIX, once: the
# result is kept (PREFIX/.done) for the next run.
#
# The source comes through an apt configuration of its own under WORK (a
# deb-src line for trixie, its own lists and cache): the system's apt
# configuration is never touched.  The version is pinned and the .dsc's
# SHA-256 checked, then dpkg-source checks the tarballs against the .dsc.
# Configured with install_sw and install_ssldirs into PREFIX (its own
# openssl.cnf and certs directory), shared, no tests or docs.
#
# Exit status: 0 built (or already there); 2 the source cannot be had (the
# reason on the last line of output, "skip: ..."); 1 the build failed.
#   usage: build-openssl35.sh PREFIX WORK
set -eu
prefix=$1; work=$2
VERSION=3.5.7-1~deb13u2
UPSTREAM=3.5.7
DSC_SHA256=25904642004d30c5c3da4642a72a7d09f8d9eb6e5ce62dab53c0371114faf8f2
MIRROR=${TLSHS_DEBIAN_MIRROR:-http://deb.debian.org/debian}

[ -f "$prefix/.done" ] && [ "$(cat "$prefix/.done")" = "$VERSION" ] && { echo "openssl $VERSION: already built in $prefix"; exit 0; }
skip() { echo "skip: OpenSSL $VERSION source cannot be had: $*"; exit 2; }
command -v dpkg-source >/dev/null || skip "dpkg-source is missing (package dpkg-dev)"
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/src"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || skip "no $keyring (package debian-archive-keyring)"
echo "deb-src [signed-by=$keyring] $MIRROR trixie main" > "$work/apt/sources.list"
set -- -o Dir::Etc::SourceList="$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
       -o Dir::State::Lists="$work/apt/lists" -o Dir::Cache="$work/apt/cache" -o Debug::NoLocking=1 \
       -o APT::Sandbox::User=root
if [ ! -f "$work/src/openssl_$VERSION.dsc" ]; then
    apt-get "$@" -q update > "$work/apt-update.log" 2>&1 || skip "apt-get update for trixie failed: $(tail -1 "$work/apt-update.log")"
    (cd "$work/src" && apt-get "$@" -q source --download-only "openssl=$VERSION") > "$work/apt-source.log" 2>&1 ||
        skip "apt-get source openssl=$VERSION failed: $(grep -m1 '^E:' "$work/apt-source.log" || tail -1 "$work/apt-source.log")"
fi
got=$(sha256sum "$work/src/openssl_$VERSION.dsc" | cut -d' ' -f1)
[ "$got" = "$DSC_SHA256" ] || { echo "openssl_$VERSION.dsc: SHA-256 $got, expected $DSC_SHA256"; exit 1; }
rm -rf "$work/src/openssl-$UPSTREAM"
(cd "$work/src" && dpkg-source -x "openssl_$VERSION.dsc" "openssl-$UPSTREAM") > "$work/dpkg-source.log" 2>&1 ||
    { tail -5 "$work/dpkg-source.log"; exit 1; }
# dpkg-source -x checked each file of the package against the .dsc's checksums
cd "$work/src/openssl-$UPSTREAM"
echo "openssl $VERSION: configuring and building into $prefix (a few minutes)"
./Configure --prefix="$prefix" --openssldir="$prefix/ssl" --libdir=lib shared no-tests no-docs \
    "-Wl,-rpath,$prefix/lib" > "$work/configure.log" 2>&1 || { tail -20 "$work/configure.log"; exit 1; }
make -j"$(nproc)" > "$work/make.log" 2>&1 || { tail -30 "$work/make.log"; exit 1; }
make install_sw install_ssldirs > "$work/install.log" 2>&1 || { tail -20 "$work/install.log"; exit 1; }
echo "$VERSION" > "$prefix/.done"
"$prefix/bin/openssl" version
