#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KDIR OUT MODE [--module DEST SRC]... -- SCRIPT...
#
# Pack the test VM's root filesystem: a static busybox, iproute2's ip and
# wireguard-tools' wg with their shared libraries, the C driver's module
# from the same kernel build, each SRC as /modules/DEST, and the SCRIPTs
# as /tests/. MODE is tests, bench (the benchmarks' inputs too), demo
# (the demo instead of scripts) or base (no scripts: for selftests/interop.sh,
# which boots its own init). Fails if MODE wants scripts and none is given:
# a run that tests nothing must not pass.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=$1 out=$2 mode=$3
shift 3
modules=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	[ "$1" = --module ] && [ $# -ge 3 ] || { echo "mkinitramfs: bad arguments at '$1'" >&2; exit 2; }
	modules+=("$2" "$3")
	shift 3
done
[ $# -gt 0 ] && shift
scripts=("$@")
if { [ "$mode" = tests ] || [ "$mode" = bench ]; } && [ ${#scripts[@]} = 0 ]; then
	echo "mkinitramfs: no test script to pack" >&2
	exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,var,root,modules,tests}
ln -s ../run "$root/var/run"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# Dynamically linked tools and everything they load.
copy_bin() {
	local src=$1 dst=$2 lib
	rm -f "$root/$dst"; cp -L "$src" "$root/$dst"
	for lib in $(ldd "$src" | grep -oE '/[^ ]+\.so[^ ]*'); do
		mkdir -p "$root/$(dirname "$lib")"
		[ -e "$root/$lib" ] || cp -L "$lib" "$root/$lib"
	done
}
# Debian's static busybox runs its own applets before searching PATH when it
# is the shell, which would shadow iproute2's ip: the shell is dash instead.
copy_bin /bin/dash bin/dash
ln -sf dash "$root/bin/sh"
copy_bin "$(command -v ip)" usr/bin/ip
copy_bin "$(command -v wg)" usr/bin/wg
copy_bin "$(command -v iperf3)" usr/bin/iperf3
ln -sf /usr/bin/ip "$root/sbin/ip"
# wireguard-go, the userspace WireGuard of tests/23-wireguard-go.sh.
copy_bin "$(command -v wireguard-go)" usr/bin/wireguard-go
# Our raw generic netlink client, for requests wg(8) never sends, and the
# kernel log reader the harness scans each script's log with.
gcc -O2 -Wall -Wextra -Werror -static -o "$root/usr/bin/wgnl" "$here/tools/wgnl.c"
gcc -O2 -Wall -Wextra -Werror -static -o "$root/usr/bin/kmsg" "$here/tools/kmsg.c"
ln -sf /usr/bin/ip "$root/bin/ip"

# Other clients of the genl family, for tests/15-clients.sh: wg-quick (a
# bash script), the kernel's own YNL client (with the spec the module's
# policy is generated from) and pyroute2, the last two on Debian's Python.
# Its standard library goes in without the parts nothing here imports,
# compiled files included so the VM does not compile them under emulation.
copy_bin /bin/bash bin/bash
cp /usr/bin/wg-quick "$root/usr/bin/wg-quick"
copy_bin /usr/bin/python3.11 usr/bin/python3
pylib=/usr/lib/python3.11
dist=usr/lib/python3/dist-packages
mkdir -p "$root/$pylib" "$root/$dist" "$root/ynl"
tar -C "$pylib" -c --exclude='*.opt-[12].pyc' --exclude=test --exclude=idlelib \
	--exclude=tkinter --exclude=lib2to3 --exclude=ensurepip --exclude=pydoc_data \
	--exclude=turtledemo --exclude='config-*' --exclude=site-packages \
	--exclude=dist-packages . | tar -C "$root/$pylib" -x
for so in "$pylib"/lib-dynload/*.so; do copy_bin "$so" "${so#/}"; done
cp -r "/$dist/yaml" "$root/$dist/"
. "$here/../scripts/pyroute2.env"
/usr/bin/python3.11 -m zipfile -e "$WGRS_PYROUTE2_WHEEL" "$root/$dist/"
/usr/bin/python3.11 -m compileall -q -d "/$dist" "$root/$dist/pyroute2" >/dev/null
ksrc=$(readlink -f "$kdir/source")
cp -r "$ksrc/tools/net/ynl/pyynl/cli.py" "$ksrc/tools/net/ynl/pyynl/lib" "$root/ynl/"
cp "$ksrc/Documentation/netlink/specs/wireguard.yaml" "$root/ynl/"
# Our own family's spec (for the YNL client) and the command over it.
cp "$here/../Documentation/netlink/specs/wireguard-rs.yaml" "$root/ynl/"
cp "$here/../tools/wgrs" "$root/usr/bin/wgrs"

set -- "${modules[@]}"
while [ $# -gt 0 ]; do
	mkdir -p "$(dirname "$root/modules/$1")"
	cp "$2" "$root/modules/$1"
	shift 2
done
cp "$kdir/drivers/net/wireguard/wireguard.ko" "$root/modules/wireguard.ko"

cp "$here/init.sh" "$root/init"
cp "$here/lib.sh" "$root/tests/lib.sh"
cp "$here/kernel-reports.txt" "$root/tests/kernel-reports.txt"
cp "$here/tunnel.sh" "$root/tests/tunnel.inc"
cp "$here/tools/xfer.py" "$here/tools/wgpkt.py" "$here/tools/l3send.py" "$root/usr/bin/"
# The eBPF programs of tests/27-l3-redirect.sh, built here (the guest has no
# compiler), and tc to attach one of them.
mkdir -p "$root/bpf"
for prog in "$here"/bpf/*.c; do
	clang-19 -O2 -g -Wall -Werror -target bpf -I/usr/include/x86_64-linux-gnu \
		-c "$prog" -o "$root/bpf/$(basename "${prog%.c}").o"
done
copy_bin "$(command -v tc)" usr/sbin/tc
case $mode in
demo) cp "$here/demo.sh" "$root/tests/";;
bench)
	# Valid initiations for the handshake benchmark, made here with the
	# project's own Noise implementation (the guest has no X25519).
	mkdir -p "$root/bench"
	/usr/bin/python3 "$here/tools/gen_initiations.py" 1000 "$root/bench/inits.txt";;
esac
for t in "${scripts[@]}"; do cp "$t" "$root/tests/"; done
chmod +x "$root/init" "$root"/tests/*.sh 2>/dev/null || true
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
