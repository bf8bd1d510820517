#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the Debian packages (debian/) built with
# `dpkg-buildpackage -us -uc -b` from a copy of this tree in
# build/deb/kipc-VERSION, so that the .debs, .buildinfo and .changes land in
# build/deb/ and the tree itself is not touched; then lintian, which must
# report no error. Installs the build dependencies and lintian first (apt,
# as root) when they are missing. Prints the .debs and the time taken.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
version=$(sed -n 's/^VERSION := //p' lib/Makefile)
changelog_version=$(dpkg-parsechangelog -S Version)
if [ "$changelog_version" != "$version" ]; then
	echo "deb.sh: debian/changelog says $changelog_version, lib/Makefile $version" >&2
	exit 1
fi
out=$top/build/deb
src=$out/kipc-$version
start=$(date +%s)

missing=$(dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' |
	sed -E 's/\([^)]*\)//g')
command -v lintian > /dev/null || missing="$missing lintian"
if [ -n "${missing// /}" ]; then
	echo "deb.sh: installing$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi

rm -rf "$out"
mkdir -p "$src"
# The working tree as git sees it (tracked and new files, not ignored
# ones): what a clean clone plus the current edits would hold.
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	cpio --quiet -0 -pdm "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b)
echo "=== lintian"
lintian --fail-on error --display-info "$out"/kipc_"$version"_*.changes
ls -l "$out"/*.deb
echo "deb.sh: built in $(( $(date +%s) - start )) s"
