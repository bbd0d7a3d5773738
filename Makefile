# SPDX-License-Identifier: MIT
# The two commands a newcomer needs: `make demo` and `make check`.
# Everything else is a step they depend on.

BUILD     ?= build
BUILD_SAN ?= build-san

.PHONY: all deps build demo check bench clean

all: build

deps:
	@tools/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The main job: the ping-pong run (in the VM by default once it exists).
demo: deps
	@tools/demo.sh

# nvsvm bench in one VM boot (6.12): figures and plots in build-bench/.
bench: deps build
	@BUILD=$(BUILD) bench/run-vm.sh

# All tests, suite by suite, ending with "N passed, N failed, N skipped".
check: deps
	@tests/check.sh

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-*
