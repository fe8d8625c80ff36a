# Traductor — every entry point operators and developers use. `make help` lists them.
SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= Release
CONFIGURATION ?= Release
JOBS ?= $(shell nproc)
DOTNET ?= dotnet
TRADUCTOR = $(DOTNET) run --project src/Traductor.Cli -c $(CONFIGURATION) --no-build --
MODEL ?= nllb-200-distilled-600M
MODELS_DIR ?= models
MODEL_PATH ?= $(MODELS_DIR)/$(MODEL)-ct2-int8
IMAGE ?= traductor-es-da:latest

.PHONY: help setup build native managed test test-native test-managed sanitize run demo bench bench-short \
        download convert verify-model docker-build docker-run security clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup: ## install system packages (apt-get, needs root) and restore NuGet packages
	bash scripts/install-deps.sh
	$(DOTNET) restore Traductor.sln

build: native managed ## build the native library, the engine harness and the .NET projects

native: ## configure and build native/ into $(BUILD_DIR)/native (libtraductor.so, traductor-engine, tests)
	@mkdir -p $(BUILD_DIR)
	flock $(BUILD_DIR)/.lock bash -c 'cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null && cmake --build $(BUILD_DIR) -j$(JOBS)'

managed: native ## build the .NET solution (copies libtraductor.so next to the assemblies)
	$(DOTNET) build Traductor.sln -c $(CONFIGURATION) --nologo -v q

test: build ## run every suite (native ctest + .NET) and print one line of totals
	bash scripts/run-tests.sh

test-native: native ## native GoogleTest suites only
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

test-managed: managed ## .NET test projects only
	$(DOTNET) test Traductor.sln -c $(CONFIGURATION) --no-build

sanitize: ## native suites under -fsanitize=address,undefined
	cmake -S . -B $(BUILD_DIR)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRD_SANITIZE=ON >/dev/null
	cmake --build $(BUILD_DIR)-asan -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_DIR)-asan --output-on-failure -j$(JOBS)

run: managed ## run the service on MODEL_PATH (settings from the environment or .env)
	MODEL_PATH=$(MODEL_PATH) $(TRADUCTOR) serve

demo: managed ## run the service on a generated SMOKE model (random weights: output is nonsense)
	bash scripts/demo.sh

bench: build ## engine and pipeline benchmarks; writes bench/results/
	bash scripts/bench.sh

bench-short: build ## a short benchmark pass (CI)
	bash scripts/bench.sh --short

download: managed ## fetch MODEL from the Hugging Face hub into $(MODELS_DIR)/$(MODEL)-hf
	$(TRADUCTOR) model download --model $(MODEL) --to $(MODELS_DIR)/$(MODEL)-hf

convert: managed ## convert $(MODELS_DIR)/$(MODEL)-hf to CTranslate2 int8 at MODEL_PATH
	$(TRADUCTOR) model convert --from $(MODELS_DIR)/$(MODEL)-hf --to $(MODEL_PATH) --quantization int8

verify-model: managed ## load MODEL_PATH and print shape, size and a smoke translation
	$(TRADUCTOR) model verify $(MODEL_PATH)

docker-build: ## build the image $(IMAGE)
	docker build -t $(IMAGE) .

docker-run: ## run the image with the handbook's limits, models read-only
	docker run -d --name traductor-es-da --restart unless-stopped -p 8000:8000 \
	  -v $(CURDIR)/models:/models:ro --memory=8g --cpus=2 \
	  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --stop-timeout 45 \
	  -e MODEL_PATH=/models/$(MODEL)-ct2-int8 $(IMAGE)

security: ## NuGet vulnerability scan and the native libraries the image ships
	bash scripts/security.sh

clean: ## remove build outputs
	rm -rf $(BUILD_DIR) $(BUILD_DIR)-asan
	$(DOTNET) clean Traductor.sln -v q >/dev/null || true
