# SPDX-License-Identifier: GPL-2.0
#
# wireguard-rs top-level Makefile.
#
#   make demo            set up what is missing, boot a VM, show devices
#   make check           build everything and run all tests (normal + debug):
#                        harness self-check, VM tests, interop, upstream netns.sh
#   make bench           run the benchmarks under both clocks (figures, no pass/fail on timing)
#   make KDIR=<dir>      build the module against your own Rust-enabled kernel
#
# Everything heavy (toolchain, kernel source, kernels) is cached under
# $(WGRS_CACHE), by default ~/.cache/wireguard-rs.

export WGRS_CACHE ?= $(HOME)/.cache/wireguard-rs
BINDGEN_VERSION := 0.72.1
RUSTC ?= /usr/bin/rustc
RUST_LIB_SRC ?= /usr/lib/rustlib/src/rust/library
BINDGEN ?= $(WGRS_CACHE)/bindgen-$(BINDGEN_VERSION)/bin/bindgen
LLVM ?= -19
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib
KBUILD_FLAGS = LLVM=$(LLVM) RUSTC=$(RUSTC) RUST_LIB_SRC=$(RUST_LIB_SRC) BINDGEN=$(BINDGEN)

.PHONY: modules clean setup demo check check-normal check-debug bench fmt

ifdef KDIR
modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_FLAGS) modules
clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_FLAGS) clean
	rm -rf generated
else
modules:
	@echo "Set KDIR to a Rust-enabled kernel build directory, or use 'make check' / 'make demo'." >&2; exit 2
clean:
	rm -rf generated *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers rust/*.o shims/*.o rust/.*.cmd shims/.*.cmd
endif

setup:
	scripts/setup-toolchain.sh

demo:
	scripts/setup-toolchain.sh
	selftests/run.sh --demo normal

check:
	scripts/setup-toolchain.sh
	selftests/check.sh normal debug

check-normal:
	scripts/setup-toolchain.sh
	selftests/check.sh normal

check-debug:
	scripts/setup-toolchain.sh
	selftests/check.sh debug

# Both clocks (Documentation/development.md, "Benchmarks"), a VM boot per
# group of scripts (each boot well within run.sh's 2400 s on a busy host;
# each comparison within one boot), every round's raw figures in one
# results file. Under the host's clock only the tunnel's comparisons and
# the cipher's limit.
BENCH_ICOUNT_GROUPS := 10-,30-,33-,34- 35-,36-,37- 31-,32- 20-,21- 22-
BENCH_REAL_GROUPS := 10-,30-,33-,34- 35-,36-,37-
bench:
	scripts/setup-toolchain.sh
	@results=$${WGRS_BENCH_RESULTS:-$${WGRS_WORK:-$(WGRS_CACHE)}/bench/results-$$(date +%Y%m%d-%H%M%S).txt}; rc=0; \
	for g in $(BENCH_ICOUNT_GROUPS:%=icount:%) $(BENCH_REAL_GROUPS:%=real:%); do \
		WGRS_BENCH_CLOCK=$${g%%:*} WGRS_BENCH_RESULTS=$$results selftests/run.sh --bench \
			$$(echo "$${g#*:}" | tr ',' '\n' | sed 's/^/--only /') normal || rc=1; \
	done; \
	selftests/bench/report.py summary --merged "$$results" | grep 'goals met'; \
	echo "raw figures of both clocks: $$results"; \
	echo "README tables: selftests/bench/report.py table $$results --update README.md"; \
	exit $$rc

# Format the crate with the kernel's rustfmt settings (needs the kernel
# source, fetched by the scripts above).
fmt:
	rustfmt --edition 2021 --config-path "$$(scripts/fetch-kernel-source.sh)/.rustfmt.toml" rust/main.rs
