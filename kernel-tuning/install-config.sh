#!/bin/sh
# kernel-tuning/install-config.sh - meson install script: put the example
# config in place as SYSCONFDIR/sluice/sluice.conf unless a config is
# already there, so reinstalling never overwrites an operator's edits.
#
# Usage (meson.add_install_script): install-config.sh EXAMPLE SYSCONFDIR
# Honours DESTDIR as meson sets it (meson install --destdir DIR).
set -eu
src=$1
dir="${DESTDIR:-}$2/sluice"
if [ -e "$dir/sluice.conf" ]; then
  echo "kept $dir/sluice.conf (the new example is in the doc directory)"
  exit 0
fi
mkdir -p "$dir"
cp "$src" "$dir/sluice.conf"
chmod 0644 "$dir/sluice.conf"
echo "Installing $src to $dir/sluice.conf"
