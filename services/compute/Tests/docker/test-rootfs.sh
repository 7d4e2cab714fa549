#!/usr/bin/env bash
# Writes to stdout a tar of the smallest root filesystem the executor tests' jobs need: the
# host's /bin/sh, a few coreutils and python3 with its standard library, each with the shared
# libraries `ldd` says it loads. No registry is reachable here, so the Docker executor's tests
# `docker import` this (POST /images/create?fromSrc=-) instead of pulling an image.
set -euo pipefail
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
programs=(/bin/sh /bin/dash /bin/sleep /bin/true /bin/cat /bin/echo /bin/ls /bin/mkdir /bin/id /usr/bin/env /usr/bin/python3)
copy() {  # copy a file to the same path under the root, following symlinks, keeping the link
  local path=$1
  mkdir -p "$root$(dirname "$path")"
  if [ -L "$path" ]; then
    cp -P "$path" "$root$path"
    local target; target=$(readlink -f "$path")
    [ -e "$root$target" ] || copy "$target"
  else
    cp "$path" "$root$path"
  fi
}
mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/etc" "$root/tmp" "$root/job" "$root/output" "$root/data"
# Debian 12 merges /bin and /lib into /usr: keep the same links.
ln -s usr/bin "$root/bin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp"
for program in "${programs[@]}"; do
  copy "$(readlink -f "$program")"
  [ "$(readlink -f "$program")" = "$program" ] || { mkdir -p "$root$(dirname "$program")"; [ -e "$root$program" ] || ln -s "$(readlink -f "$program")" "$root$program"; }
  for library in $(ldd "$(readlink -f "$program")" | grep -oE '/[^ ]+\.so[^ ]*'); do
    [ -e "$root$library" ] || copy "$library"
  done
done
python=$(readlink -f /usr/bin/python3)
version=$(basename "$python")
# The standard library, without its tests and caches (most of its size).
tar -C / --exclude='*/test' --exclude='*/tests' --exclude='__pycache__' --exclude='*/idlelib' --exclude='*/tkinter' -cf - "usr/lib/$version" | tar -C "$root" -xf -
# The stdlib's C extensions load more libraries (e.g. libffi for ctypes, libz for zlib).
for extension in "$root/usr/lib/$version"/lib-dynload/*.so; do
  for library in $(ldd "$extension" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*'); do
    [ -e "$root$library" ] || copy "$library"
  done
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
tar -C "$root" --numeric-owner -cf - .
