# small — make targets. `make demo` and `make test` are the two set-up
# commands: they need only Go and git; everything else is installed here.

GO    ?= go
TOOLS := $(CURDIR)/.tools/bin
NODE_DIR := $(CURDIR)/.tools/node
# The cue CLI (the oracle for validity) at the version small is built with.
CUE_VERSION = $(shell $(GO) list -m -f '{{.Version}}' cuelang.org/go)
GOBIN_DIR   = $(shell $(GO) env GOBIN)
ifeq ($(GOBIN_DIR),)
GOBIN_DIR   = $(shell $(GO) env GOPATH)/bin
endif

export PATH := $(TOOLS):$(PATH)

.PHONY: all build test tools chromium bench fuzz demo install clean

all: build

## build: compile bin/small
build:
	$(GO) build -o bin/small ./cmd/small

## test: go vet and every test, testscript scenarios included
test: tools
	$(GO) vet ./...
	$(GO) test ./...

## tools: install the peers the tests check small against into .tools/bin:
## the cue CLI (validity), actionlint (the GitHub workflow small writes),
## ajv (JSON Schema 2020-12, for the exported schemas) and the official MCP
## Inspector (small mcp). The Node.js peers come from npm at the versions
## internal/peers pins; without npm the tests that need them skip and say why.
## And Debian's chromium, for the browser test of small serve's pages.
tools: $(TOOLS)/cue $(TOOLS)/actionlint $(TOOLS)/.node chromium

## chromium: Debian's chromium at /usr/bin/chromium, for the end-to-end
## test of small serve's pages (cmd/internal/httpapi/ui). Installed once,
## with apt-get, when run as root; otherwise says why and the test skips.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "make: no $(CHROMIUM), and not root to apt-get install chromium: the browser test of small serve will skip"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "make: no $(CHROMIUM), and no apt-get to install it with: the browser test of small serve will skip"; \
	else \
		mkdir -p $(CURDIR)/.tools; \
		echo "make: installing Debian's chromium (apt-get install chromium; log in .tools/chromium.log)"; \
		if ! DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >$(CURDIR)/.tools/chromium.log 2>&1; then \
			apt-get update >>$(CURDIR)/.tools/chromium.log 2>&1; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >>$(CURDIR)/.tools/chromium.log 2>&1 || \
			echo "make: apt-get could not install chromium (see .tools/chromium.log): the browser test of small serve will skip"; \
		fi; \
	fi

$(TOOLS)/.node: internal/peers/package.json internal/peers/package-lock.json
	@mkdir -p $(NODE_DIR) $(TOOLS)
	@cp internal/peers/package.json internal/peers/package-lock.json $(NODE_DIR)/
	@if (cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then \
		ln -sf ../node/node_modules/.bin/ajv $(TOOLS)/ajv; \
		ln -sf ../node/node_modules/.bin/mcp-inspector $(TOOLS)/mcp-inspector; \
		touch $@; \
	else \
		echo "make: npm could not install internal/peers (see $(NODE_DIR)/npm.log): the ajv and MCP Inspector tests will skip"; \
	fi

$(TOOLS)/cue: go.mod
	GOBIN=$(TOOLS) $(GO) install cuelang.org/go/cmd/cue@$(CUE_VERSION)
	@touch $@

$(TOOLS)/actionlint:
	GOBIN=$(TOOLS) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

## bench: the benchmarks of the issues, on generated corpora (small validate
## against cue vet, small build, small lineage, small serve under load)
bench: build tools
	$(GO) run ./internal/bench -small $(CURDIR)/bin/small -cue $(TOOLS)/cue

## fuzz: a short, bounded run of each fuzz target
fuzz:
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s
	$(GO) test ./manifest -run '^$$' -fuzz '^FuzzDecodeFrontMatter$$' -fuzztime 30s
	$(GO) test ./config -run '^$$' -fuzz '^FuzzMatchGlob$$' -fuzztime 15s
	$(GO) test ./config -run '^$$' -fuzz '^FuzzFileGlob$$' -fuzztime 15s
	$(GO) test ./repo -run '^$$' -fuzz '^FuzzParseTrailers$$' -fuzztime 15s
	$(GO) test ./signers -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 15s
	$(GO) test ./content -run '^$$' -fuzz '^FuzzCheckMessage$$' -fuzztime 15s
	$(GO) test ./cmd/internal/httpapi -run '^$$' -fuzz '^FuzzBadPath$$' -fuzztime 15s
	$(GO) test ./adopt -run '^$$' -fuzz '^FuzzInfer$$' -fuzztime 15s

## demo: a guided tour of small in a throwaway repository
demo: build
	./bin/small demo

## install: install small, git-small so that `git small ...` works, and the
## manual pages (small(1), one per command, git-small(1)) where man finds them
MANDIR ?= $(GOBIN_DIR)/../share/man
install:
	$(GO) install ./cmd/small
	ln -sf small $(GOBIN_DIR)/git-small
	$(GOBIN_DIR)/small man $(MANDIR)/man1

clean:
	rm -rf bin .tools
