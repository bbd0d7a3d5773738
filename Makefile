# SPDX-License-Identifier: MIT
# The two commands a newcomer needs: `make demo` and `make check`.
# Everything else is a step they depend on.

BUILD     ?= build
BUILD_SAN ?= build-san

.PHONY: all deps build demo check clean

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

# All tests, suite by suite, ending with "N passed, N failed, N skipped".
check: deps
	@tests/check.sh

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-*
