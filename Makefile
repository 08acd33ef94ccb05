# Thin wrapper over CMake + CTest. `make help` lists the targets.
SHARED ?= $(abspath ../shared)
JOBS   ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 1
# The .mote loader fuzzer runs half as long (rounded up: 0 would mean forever).
FUZZ_MOTE_SECONDS = $(shell expr \( $(FUZZ_SECONDS) + 1 \) / 2)
# The device agent's and moted's request fuzzers run a quarter as long each (rounded up).
FUZZ_QUARTER_SECONDS = $(shell expr \( $(FUZZ_SECONDS) + 3 \) / 4)
# Seeds compiled fresh at fuzz time (next to tests/fuzz/corpus_mote), so a format or ABI change
# never leaves the loader fuzzer with stale seeds only.
MOTE_SEEDS = tflm/hello_world_int8 tflm/micro_speech_audio_preprocessor_int8 tflm/mnist_lstm_int8 mlperf-tiny/kws_int8
CMAKE_FLAGS = -DMOTE_SHARED_DIR=$(SHARED)
KWS_LABELS = down,go,left,no,off,on,right,stop,up,yes,silence,unknown

.PHONY: all build demo test test-asan fuzz build-types check clean help

all: build

help:
	@echo "make build      build everything into build/ (CLI: build/bin/mote)"
	@echo "make demo       build; inspect the MLPerf Tiny KWS model, classify the kws01 clips,"
	@echo "                compile it for the NUCLEO-L4R5ZI and verify it on an emulated Cortex-M4"
	@echo "make test       build and run the CTest suite"
	@echo "make test-asan  the same suite under AddressSanitizer + UndefinedBehaviorSanitizer"
	@echo "make fuzz       fuzz the TFLite reader for FUZZ_SECONDS (default 60), then the .mote loader and the ONNX reader"
	@echo "                for half that each,"
	@echo "                the device agent's readers and moted's request handling for a quarter each;"
	@echo "                FUZZ_SEED (default 1: reproducible; 0: random)"
	@echo "make build-types build (not test) Release and MinSizeRel with gcc and clang, and clang Debug"
	@echo "make check      fuzz + build-types + test + test-asan: what CI runs"

build:
	cmake -S . -B build $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j $(JOBS)

demo: build
	build/bin/mote inspect $(SHARED)/models/mlperf-tiny/kws_int8.tflite
	build/bin/mote classify $(SHARED)/models/mlperf-tiny/kws_int8.tflite \
	    $(SHARED)/data/mlperf-tiny-eval/kws01 --labels $(KWS_LABELS)
	build/bin/mote compile $(SHARED)/models/mlperf-tiny/kws_int8.tflite --target nucleo-l4r5zi -o build/kws-nucleo
	build/bin/mote verify $(SHARED)/models/mlperf-tiny/kws_int8.tflite --target nucleo-l4r5zi --format both

test: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B build-asan $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DMOTE_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS)

fuzz:
	CC=clang cmake -S . -B build-fuzz $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOTE_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) --target fuzz_tflite fuzz_mote_file fuzz_onnx fuzz_agent_codec fuzz_moted_request mote
	mkdir -p build-fuzz/corpus_onnx build-fuzz/corpus build-fuzz/corpus_mote build-fuzz/corpus_agent build-fuzz/corpus_moted
	cp tests/fuzz/corpus/* build-fuzz/corpus/
	cp tests/fuzz/corpus_mote/* build-fuzz/corpus_mote/
	cp tests/fuzz/corpus_agent/* build-fuzz/corpus_agent/
	cp tests/fuzz/corpus_moted/* build-fuzz/corpus_moted/
	cp tests/onnx/*.onnx build-fuzz/corpus_onnx/
	for m in $(MOTE_SEEDS); do build-fuzz/bin/mote compile $(SHARED)/models/$$m.tflite --target host \
	    -o build-fuzz/corpus_mote --format mote >/dev/null || exit 1; done
	build-fuzz/bin/fuzz_tflite build-fuzz/corpus -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) -max_len=70000 \
	    -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/ -print_final_stats=1
	build-fuzz/bin/fuzz_mote_file build-fuzz/corpus_mote -max_total_time=$(FUZZ_MOTE_SECONDS) -seed=$(FUZZ_SEED) \
	    -max_len=70000 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/mote- -print_final_stats=1
	build-fuzz/bin/fuzz_onnx build-fuzz/corpus_onnx -max_total_time=$(FUZZ_MOTE_SECONDS) -seed=$(FUZZ_SEED) \
	    -max_len=70000 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/onnx- -print_final_stats=1
	build-fuzz/bin/fuzz_agent_codec build-fuzz/corpus_agent -max_total_time=$(FUZZ_QUARTER_SECONDS) -seed=$(FUZZ_SEED) \
	    -max_len=16384 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/agent- -print_final_stats=1
	build-fuzz/bin/fuzz_moted_request build-fuzz/corpus_moted -max_total_time=$(FUZZ_QUARTER_SECONDS) -seed=$(FUZZ_SEED) \
	    -max_len=8192 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/moted- -print_final_stats=1

build-types:
	tests/build_types.sh $(SHARED)

check: fuzz build-types test test-asan

clean:
	rm -rf build build-asan build-fuzz build-types
