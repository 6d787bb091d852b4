# The two commands a new user runs (see README):  make run   and   make test
CONFIG ?=
SWIFT_BUILD_FLAGS ?=
# Seconds per fuzz target: `make fuzz` (a developer's run) and the short fixed-seed run at the end of `make test`.
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 20

.PHONY: setup build release run install test fuzz bench bench-audio bench-images bench-stt clean

setup:
	scripts/setup

build: setup
	swift build $(SWIFT_BUILD_FLAGS)

release: setup
	swift build -c release $(SWIFT_BUILD_FLAGS)

# Builds and starts `chorus serve` on the embedded default (or on CONFIG=path/to/chorus.yaml).
run: release
	.build/release/chorus serve $(if $(CONFIG),--config $(CONFIG),)

# Puts the release `chorus` on the PATH (PREFIX=/usr/local by default).
PREFIX ?= /usr/local
# The web console's files (/ui) travel beside the binary, in the resource folder SwiftPM copies next to it.
install: release
	install -m 755 .build/release/chorus $(PREFIX)/bin/chorus
	rm -rf $(PREFIX)/bin/Chorus_ChorusGateway.resources
	cp -r .build/release/Chorus_ChorusGateway.resources $(PREFIX)/bin/

# Sets up and runs the whole test suite: Swift tests, the official openai SDK against a live gateway, two replicas
# on one scratch PostgreSQL behind nginx (deploy/nginx.conf; tests/deployment), the web console in headless
# Chromium driven by selenium (tests/console), then every
# fuzz target for a short fixed-seed run (fuzz/README.md). The suites that keep both cores busy on purpose (long
# decodes, espeak, recognition and alignment, recognition stopped by a hang-up, each timed against a 1 s bound;
# the offline realtime engine; a thousand realtime sessions opened and dropped; a PostgreSQL server stopped and
# restarted under a gateway, which once did not finish in the parallel pass) run on their own after the rest, one suite at a time (--no-parallel), so they neither miss their bound nor shift the
# timing of the connection and timeout tests. A scratch PostgreSQL server runs for the Swift tests: the storage
# tests run against it and SQLite, and the gateway suite runs a second time with its gateways on it.
CPU_HEAVY_SUITES = HangUpTests|EngineCancellationTests|AudioCancellationTests|LongAudioTests|AlignmentTests|TranscriptContinuityTests|PocketSphinxEngineTests|CascadeSessionTests|RealtimeGatewayTests|RealtimeMediaTests|PostgresOutageTests
test:
	scripts/setup --test
	scripts/folder-deps >/dev/null || scripts/folder-deps
	swift build --build-tests --explicit-target-dependency-import-check error $(SWIFT_BUILD_FLAGS)
	scripts/test-swift '$(CPU_HEAVY_SUITES)' $(SWIFT_BUILD_FLAGS)
	scripts/test-sdk
	tests/deployment/run
	tests/console/run
	FUZZ_SEED=1 fuzz/run $(FUZZ_TEST_SECONDS)

# libFuzzer + AddressSanitizer on every parser of caller bytes, FUZZ_SECONDS per target (fuzz/README.md).
fuzz:
	fuzz/run $(FUZZ_SECONDS)

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
	rm -rf .build fuzz/.build fuzz/out
