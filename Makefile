# kook's build, test and demo entry points. `make test` is what CI runs
# (.ci/run): it installs ZooKeeper and ansible-core where missing, because
# the store tests run against a real server and fail, not skip, without one.
# `make unittest` runs, in well under a minute, every test that needs
# neither ZooKeeper nor Ansible, on a machine that has neither.

GO       ?= go
# The race detector runs on every package: the store and the importer are
# concurrent, and the suite stays affordable with it. `make test RACE=`
# trades that safety for speed.
RACE     ?= -race
TESTARGS ?=
# The demo's ZooKeeper: data, log and pidfile live in ZKDIR.
ZKDIR    ?= .kook
ZKPORT   ?= 2181
# Where the demo's kook serve listens.
SERVE_ADDR ?= 127.0.0.1:8080

# The shared corpus of real inventories (see internal/corpus): an explicit
# KOOK_CORPUS wins, else ../shared/corpus where it exists. Without it the
# corpus tests do not run, and each package says so in one line.
KOOK_CORPUS ?= $(wildcard $(abspath ../shared/corpus))
export KOOK_CORPUS

# Tests pipe `go test -json` through internal/testreport, which prints what
# plain go test prints plus those corpus lines; pipefail keeps go test's
# exit status.
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c
TESTREPORT   = $(GO) run ./internal/testreport

# What unittest leaves out: tests named TestIntegration* (they start
# ZooKeeper or run Ansible, as in go-zookeeper/zk), and the front door's
# Example, which reads from ZooKeeper.
UNIT_SKIP  = TestIntegration|^Example$$

.PHONY: all build test unittest demo demo-stop bench fmt vet clean deps screenshots

all: build

deps:
	@echo "==> scripts/install-deps (installs zookeeper and ansible-core if missing)"
	@scripts/install-deps

# Static binaries (no cgo): kook-inventory starts once per Ansible run, and
# loading libc through the dynamic linker costs milliseconds of each start.
build:
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -o bin/ ./cmd/...

vet:
	$(GO) vet ./...

test: deps vet
	@echo "==> KOOK_CORPUS=$(if $(KOOK_CORPUS),$(KOOK_CORPUS),(not set: corpus tests do not run))"
	$(GO) test -json $(RACE) -count=1 $(TESTARGS) ./... | $(TESTREPORT)

unittest: vet
	@echo "==> go test -skip '$(UNIT_SKIP)'"
	@$(GO) test -json -count=1 -skip '$(UNIT_SKIP)' $(TESTARGS) ./... | $(TESTREPORT)

fmt:
	gofmt -l -w .

# The demo talks to the ZooKeeper it starts (or finds) on 127.0.0.1:$(ZKPORT),
# under the root /kook-demo so it never touches a real inventory there.
DEMO_ENV = KOOK_ZK=127.0.0.1:$(ZKPORT) KOOK_ROOT=/kook-demo KOOK_CONFIG=/dev/null

demo: deps build
	@echo "==> scripts/zookeeper start $(ZKDIR) $(ZKPORT)"
	@scripts/zookeeper start $(ZKDIR) $(ZKPORT)
	@echo "==> kook-import testdata/example   (INI inventory + group_vars/ + host_vars/)"
	@$(DEMO_ENV) bin/kook-import testdata/example
	@echo "==> ansible-inventory -i bin/kook-inventory --graph"
	@$(DEMO_ENV) ansible-inventory -i bin/kook-inventory --graph
	@echo "==> kook explain web-01.example.com http_port   (where the value comes from)"
	@$(DEMO_ENV) bin/kook explain web-01.example.com http_port || true
	@echo "==> ansible-playbook -i bin/kook-inventory testdata/site.yml"
	@$(DEMO_ENV) ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_NOCOLOR=1 ansible-playbook -i bin/kook-inventory testdata/site.yml
	@echo "==> kook config: a demo service 'shop' with environments, configs and associations"
	@$(DEMO_ENV) bin/kook config delete shop --force >/dev/null 2>&1 || true
	@$(DEMO_ENV) bin/kook config create shop
	@echo '{"name": "shop", "timeout": 30, "ratio": 1.0, "workers": 4}' | $(DEMO_ENV) bin/kook config set shop / --json -
	@$(DEMO_ENV) bin/kook config create shop prod
	@echo '{"timeout": 60, "db": {"host": "db-01.example.com", "port": 5432}}' | $(DEMO_ENV) bin/kook config set shop prod --json -
	@$(DEMO_ENV) bin/kook config create shop prod/eu
	@echo '{"region": "eu-west-1", "max_body": 12345678901234567890123}' | $(DEMO_ENV) bin/kook config set shop prod/eu --json -
	@$(DEMO_ENV) bin/kook config create shop staging
	@$(DEMO_ENV) bin/kook config assoc shop web-01.example.com prod/eu
	@$(DEMO_ENV) bin/kook config assoc shop web-02.example.com prod/eu
	@$(DEMO_ENV) bin/kook config assoc shop db-01.example.com prod
	@echo "==> scripts/serve start $(ZKDIR) $(SERVE_ADDR)   (kook serve over the demo inventory)"
	@$(DEMO_ENV) scripts/serve start $(ZKDIR) $(SERVE_ADDR)
	@echo
	@echo "ZooKeeper keeps running on 127.0.0.1:$(ZKPORT) (data in $(ZKDIR)/). Try:"
	@echo "  $(DEMO_ENV) bin/kook hosts 'prod:!db'"
	@echo "kook serve runs on http://$(SERVE_ADDR)/ (log in as demo, password demo; log in $(ZKDIR)/serve.log)"
	@echo "  curl -u demo:demo -H 'Accept: application/json' http://$(SERVE_ADDR)/service/shop/prod/"
	@echo "Stop both with: make demo-stop"

demo-stop:
	@echo "==> scripts/serve stop $(ZKDIR)"
	@scripts/serve stop $(ZKDIR)
	@echo "==> scripts/zookeeper stop $(ZKDIR)"
	@scripts/zookeeper stop $(ZKDIR)

# screenshots: PNGs of the main pages of kook serve into docs/, taken by
# the browser tests in headless chromium.
screenshots: deps
	@mkdir -p docs
	KOOK_SCREENSHOTS=$(abspath docs) $(GO) test -count=1 -run 'TestIntegrationBrowser' ./web/

# bench: the scale benchmark. Builds, generates 1,000-, 10,000- and
# 100,000-host inventories, starts a ZooKeeper of its own on a free port for
# each (1 GB heap, autopurge, fsync), prints one markdown table (medians of
# 5 runs, of 20 for the millisecond rows; min-max, CPU, peak RSS, bytes
# written to ZooKeeper's log by each edit) and which targets are met.
# ansible-inventory rows run up to 10,000 hosts only (BENCHFLAGS='-ansible-max
# 100000' adds 100,000: tens of minutes). Other flags: -runs N,
# -sizes 1000,10000, -out FILE, -profile DIR (CPU profiles instead).
BENCHFLAGS ?=

bench: deps build
	$(GO) run ./internal/bench -bin bin $(BENCHFLAGS)

# clean stops the demo server before removing its directory.
clean: demo-stop
	rm -rf bin $(ZKDIR)
