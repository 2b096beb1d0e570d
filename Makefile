# SPDX-License-Identifier: GPL-2.0
#
# wireguard-rs top-level Makefile.
#
#   make demo            set up what is missing, boot a VM, show devices
#   make check           build everything and run all tests (normal + debug):
#                        harness self-check, VM tests, interop, upstream netns.sh
#   make bench           run the benchmarks (figures, no pass/fail on timing)
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

bench:
	scripts/setup-toolchain.sh
	selftests/run.sh --bench normal

# Format the crate with the kernel's rustfmt settings (needs the kernel
# source, fetched by the scripts above).
fmt:
	rustfmt --edition 2021 --config-path "$$(scripts/fetch-kernel-source.sh)/.rustfmt.toml" rust/main.rs
