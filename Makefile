# Voxa: `make run` and `make test` are all a newcomer needs (see README.md).
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
LISTEN     ?= 127.0.0.1:8080
DATA_DIR   ?= data
JOBS       ?= $(shell nproc)

.PHONY: all deps build web run test bench clean

all: build

deps:
	@scripts/deps.sh build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) --target voxa -j $(JOBS)
	@scripts/web-build.sh

run: build
	$(BUILD)/voxa serve --listen $(LISTEN) --data-dir $(DATA_DIR) --web-dir web/out

test:
	@scripts/deps.sh build test
	@scripts/test.sh

bench:
	@scripts/deps.sh build test bench
	@bench/run.sh

web:
	@scripts/web-build.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz web/out web/.next web/sdk/dist
