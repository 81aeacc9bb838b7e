# kook's build, test and demo entry points. `make test` is what CI runs
# (.ci/run): it installs ZooKeeper and ansible-core where missing, because
# the store tests run against a real server and fail, not skip, without one.

GO       ?= go
# The race detector runs on every package: the store and the importer are
# concurrent, and the suite stays affordable with it. `make test RACE=`
# trades that safety for speed.
RACE     ?= -race
TESTARGS ?=
# The demo's ZooKeeper: data, log and pidfile live in ZKDIR.
ZKDIR    ?= .kook
ZKPORT   ?= 2181

.PHONY: all build test demo demo-stop bench fmt vet clean deps

all: build

deps:
	@echo "==> scripts/install-deps (installs zookeeper and ansible-core if missing)"
	@scripts/install-deps

build:
	@mkdir -p bin
	$(GO) build -o bin/ ./cmd/...

vet:
	$(GO) vet ./...

test: deps vet
	$(GO) test $(RACE) -count=1 $(TESTARGS) ./...

fmt:
	gofmt -l -w .

demo: deps build
	@echo "==> scripts/zookeeper start $(ZKDIR) $(ZKPORT)"
	@scripts/zookeeper start $(ZKDIR) $(ZKPORT)
	@echo "demo: import and ansible run come with kook-import"

demo-stop:
	@echo "==> scripts/zookeeper stop $(ZKDIR)"
	@scripts/zookeeper stop $(ZKDIR)

bench:
	@echo "bench: the benchmark comes with the scale issue"

# clean stops the demo server before removing its directory.
clean: demo-stop
	rm -rf bin $(ZKDIR)
