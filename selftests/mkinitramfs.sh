#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KDIR OUT MODE [--module DEST SRC]... -- SCRIPT...
#
# Pack the test VM's root filesystem: a static busybox, iproute2's ip and
# wireguard-tools' wg with their shared libraries, the C driver's module
# from the same kernel build, each SRC as /modules/DEST, and the SCRIPTs
# as /tests/. MODE is tests, bench (the benchmarks' inputs too), demo
# (the demo instead of scripts), base (no scripts: for selftests/interop.sh,
# which boots its own init) or minimal (tests, without Python and the
# other clients: the harness self-check's VMs). Fails if MODE wants scripts
# and none is given: a run that tests nothing must not pass.
#
# The archive is two gzipped cpio archives one after the other (the kernel
# unpacks both): the tools, taken from the host, which are the same for
# every run and cached under $WGRS_CACHE/initramfs/ by what goes into them;
# then what this run brings (init, the scripts, our tools, the modules).
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
case $mode in
tests|bench|minimal)
	if [ ${#scripts[@]} = 0 ]; then
		echo "mkinitramfs: no test script to pack" >&2
		exit 1
	fi;;
demo|base) ;;
*) echo "mkinitramfs: unknown mode '$mode'" >&2; exit 2;;
esac
full=1; [ "$mode" = minimal ] && full=0
ksrc=$(readlink -f "$kdir/source")
. "$here/../scripts/pyroute2.env"

# ---- the tools: cached ----

# What the tools archive is made of: this script, the host's programs and
# libraries it copies (by package version), the pyroute2 wheel and the
# kernel's YNL client.
tools_key() {
	sha256sum "$0"
	dpkg-query -W busybox-static dash bash iproute2 wireguard-tools iperf3 wireguard-go \
		python3.11 python3-yaml libc6 2>/dev/null
	echo "$WGRS_PYROUTE2_SHA256 $ksrc $full"
	cat "$ksrc/tools/net/ynl/pyynl/cli.py" "$ksrc"/tools/net/ynl/pyynl/lib/*.py | sha256sum
}
cache=${WGRS_CACHE:-$HOME/.cache/wireguard-rs}/initramfs
tools=$cache/tools$full-$(tools_key | sha256sum | cut -c1-16).cpio.gz

# copy_bin ROOT SRC DST: a dynamically linked program and what it loads.
copy_bin() {
	local root=$1 src=$2 dst=$3 lib
	rm -f "$root/$dst"; cp -L "$src" "$root/$dst"
	for lib in $(ldd "$src" | grep -oE '/[^ ]+\.so[^ ]*'); do
		mkdir -p "$root/$(dirname "$lib")"
		[ -e "$root/$lib" ] || cp -L "$lib" "$root/$lib"
	done
}

build_tools() {
	local root
	root=$(mktemp -d)
	chmod 755 "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,var,root,modules,tests}
	ln -s ../run "$root/var/run"
	cp /bin/busybox "$root/bin/busybox"
	for applet in $(/bin/busybox --list-full); do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	# Debian's static busybox runs its own applets before searching PATH
	# when it is the shell, which would shadow iproute2's ip: the shell is
	# dash instead.
	copy_bin "$root" /bin/dash bin/dash
	ln -sf dash "$root/bin/sh"
	copy_bin "$root" "$(command -v ip)" usr/bin/ip
	copy_bin "$root" "$(command -v wg)" usr/bin/wg
	ln -sf /usr/bin/ip "$root/sbin/ip"
	ln -sf /usr/bin/ip "$root/bin/ip"
	if [ $full = 1 ]; then
		copy_bin "$root" "$(command -v iperf3)" usr/bin/iperf3
		# wireguard-go, the userspace WireGuard of tests/23-wireguard-go.sh.
		copy_bin "$root" "$(command -v wireguard-go)" usr/bin/wireguard-go
		copy_bin "$root" "$(command -v tc)" usr/sbin/tc
		# Other clients of the genl family, for tests/15-clients.sh:
		# wg-quick (a bash script), the kernel's own YNL client and
		# pyroute2, the last two on Debian's Python. Its standard library
		# goes in without the parts nothing here imports, and compiled
		# only (a .pyc in place of each .py, which Python imports without
		# the source): the VM neither compiles under emulation nor unpacks
		# both forms at every boot (the debug kernel unpacks this archive
		# at about 1 MB a second).
		copy_bin "$root" /bin/bash bin/bash
		cp /usr/bin/wg-quick "$root/usr/bin/wg-quick"
		copy_bin "$root" /usr/bin/python3.11 usr/bin/python3
		local pylib=/usr/lib/python3.11 dist=usr/lib/python3/dist-packages so
		mkdir -p "$root/$pylib" "$root/$dist" "$root/ynl"
		tar -C "$pylib" -c --exclude='__pycache__' --exclude=test --exclude=idlelib \
			--exclude=tkinter --exclude=lib2to3 --exclude=ensurepip --exclude=pydoc_data \
			--exclude=turtledemo --exclude='config-*' --exclude=site-packages \
			--exclude=dist-packages --exclude=distutils --exclude=venv --exclude=turtle.py \
			. | tar -C "$root/$pylib" -x
		# Not the extensions that only bring large libraries nothing here
		# uses (Berkeley DB, curses, readline, NIS). OpenSSL and SQLite stay:
		# pyroute2 imports ssl and sqlite3.
		rm -f "$root/$pylib"/lib-dynload/{_dbm,_gdbm,_curses,_curses_panel,readline,nis,_crypt}.*
		rm -rf "$root/$pylib"/{dbm,curses}
		for so in "$root/$pylib"/lib-dynload/*.so; do copy_bin "$root" "${so#"$root"}" "${so#"$root"/}"; done
		cp -r "/$dist/yaml" "$root/$dist/"
		find "$root/$dist/yaml" -name __pycache__ -prune -exec rm -rf {} +
		/usr/bin/python3.11 -m zipfile -e "$WGRS_PYROUTE2_WHEEL" "$root/$dist/"
		/usr/bin/python3.11 -m compileall -q -b -j 0 -s "$root" -p / "$root/$pylib" "$root/$dist" >/dev/null
		find "$root/$pylib" "$root/$dist" -name '*.py' -delete
		cp -r "$ksrc/tools/net/ynl/pyynl/cli.py" "$ksrc/tools/net/ynl/pyynl/lib" "$root/ynl/"
		cp "$ksrc/Documentation/netlink/specs/wireguard.yaml" "$root/ynl/"
	fi
	echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
	mkdir -p "$cache"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 > "$tools.part"
	mv "$tools.part" "$tools"
	rm -rf "$root"
}
if [ ! -s "$tools" ]; then
	mkdir -p "$cache"
	# One builder at a time; the others wait and reuse its archive.
	exec 9>"$cache/.lock"
	flock 9
	# A new key: older archives of this kind are only taking disk.
	[ -s "$tools" ] || { rm -f "$cache/tools$full-"*; build_tools; }
	flock -u 9
fi

# ---- what this run brings ----

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{usr/bin,modules,tests}
# Our raw generic netlink client, for requests wg(8) never sends, and the
# kernel log reader the harness scans each script's log with.
gcc -O2 -Wall -Wextra -Werror -static -o "$root/usr/bin/wgnl" "$here/tools/wgnl.c"
gcc -O2 -Wall -Wextra -Werror -static -o "$root/usr/bin/kmsg" "$here/tools/kmsg.c"
if [ $full = 1 ]; then
	# Our own family's spec (for the YNL client) and the command over it.
	mkdir -p "$root/ynl"
	cp "$here/../Documentation/netlink/specs/wireguard-rs.yaml" "$root/ynl/"
	cp "$here/../tools/wgrs" "$root/usr/bin/wgrs"
	cp "$here/tools/xfer.py" "$here/tools/wgpkt.py" "$here/tools/l3send.py" "$root/usr/bin/"
	# The eBPF programs of tests/27-l3-redirect.sh, built here (the guest
	# has no compiler).
	mkdir -p "$root/bpf"
	for prog in "$here"/bpf/*.c; do
		clang-19 -O2 -g -Wall -Werror -target bpf -I/usr/include/x86_64-linux-gnu \
			-c "$prog" -o "$root/bpf/$(basename "${prog%.c}").o"
	done
fi

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
case $mode in
demo) cp "$here/demo.sh" "$root/tests/";;
bench)
	# Valid initiations for the handshake benchmark, made here with the
	# project's own Noise implementation (the guest has no X25519).
	mkdir -p "$root/bench"
	/usr/bin/python3 "$here/tools/gen_initiations.py" 1000 "$root/bench/inits.txt"
	# The benchmarks' shared part, their round count and the clock the VM
	# runs on (selftests/bench/bench.inc).
	cp "$here/bench/bench.inc" "$here/bench/netlink.inc" "$root/tests/"
	# The netlink table's input, made here (the guest's awk took five
	# minutes of the instruction clock for it).
	case " ${scripts[*]} " in
	*netlink-table*) /usr/bin/python3 "$here/tools/gen_table.py" "$root/bench/table.conf";;
	esac
	echo "${WGRS_BENCH_ROUNDS:-6}" > "$root/bench/rounds"
	echo "${WGRS_BENCH_CLOCK:-icount}" > "$root/bench/clock";;
esac
for t in "${scripts[@]}"; do cp "$t" "$root/tests/"; done
chmod +x "$root/init" "$root"/tests/*.sh 2>/dev/null || true
{
	cat "$tools"
	# Not "." itself: the first archive made the root directory.
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1
} > "$out"
