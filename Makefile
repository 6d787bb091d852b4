# The two commands a new user runs (see README):  make run   and   make test
CONFIG ?=
SWIFT_BUILD_FLAGS ?=

.PHONY: setup build release run test bench bench-audio bench-images bench-stt clean

setup:
	scripts/setup

build: setup
	swift build $(SWIFT_BUILD_FLAGS)

release: setup
	swift build -c release $(SWIFT_BUILD_FLAGS)

# Builds and starts `chorus serve` on the embedded default (or on CONFIG=path/to/chorus.yaml).
run: release
	.build/release/chorus serve $(if $(CONFIG),--config $(CONFIG),)

# Sets up and runs the whole test suite: Swift tests, then the official openai SDK against a live gateway.
test:
	scripts/setup --test
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift test --skip-build $(SWIFT_BUILD_FLAGS)
	scripts/test-sdk

bench:
	scripts/setup --bench
	bench/run

bench-audio:
	scripts/setup --bench
	bench/audio/run

bench-images:
	scripts/setup --bench
	bench/images/run

# Word error rate of the embedded recogniser, and memory/time of a 25 MB transcription upload (bench/stt/STT-RESULTS.md).
bench-stt:
	scripts/setup --bench
	bench/stt/run

clean:
	rm -rf .build
