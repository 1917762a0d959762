# Leadlens. `make test` is the one test command: it installs what the tests need (Debian's
# chromium for the browser tests), checks formatting, generated code, vet and staticcheck, and
# runs every test with the race detector. CI runs exactly this (.ci/run).

GO ?= go
PKGS := ./...
# Seconds of coverage-guided fuzzing of the event API parser in every test run.
FUZZTIME ?= 15s

.PHONY: test deps fmtcheck templcheck vet staticcheck gotest fuzz generate build bench vendor demo

test: deps fmtcheck templcheck vet staticcheck gotest fuzz

deps:
	@scripts/ensure-chromium.sh

fmtcheck:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>&1); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Regenerate templ output and fail when it differs from what is committed.
templcheck:
	@$(GO) tool templ generate -log-level error
	@git diff --exit-code -- '*_templ.go' || { echo "generated templ files are stale: run 'go tool templ generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_templ.go'); if [ -n "$$untracked" ]; then echo "generated templ files not committed: $$untracked"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

gotest:
	$(GO) test -race -timeout 30m $(PKGS)

fuzz:
	@if [ -d events ] && grep -qs 'func FuzzParse' events/*_test.go; then \
		$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./events/; fi

generate:
	$(GO) tool templ generate

build:
	$(GO) build -o bin/leadlens .

demo:
	$(GO) run . demo

# Benchmarks behind docs/benchmarks.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

vendor:
	scripts/vendor.sh
