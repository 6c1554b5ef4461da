# proctord — the two commands that matter:
#   make demo   run the daemon on the demo timeline (status page on http://127.0.0.1:8080)
#   make test   install what is missing, build, and run every test
.PHONY: demo docs-images test setup runtime models build check bench accuracy clean-state deb

CARGO ?= cargo

setup:
	scripts/setup.sh

runtime models:
	scripts/setup.sh --runtime

build: setup
	$(CARGO) build --release

demo: setup
	scripts/demo.sh

# The README's pictures (docs/status-page.png, docs/report-page1.png), from the running demo
docs-images: setup
	scripts/docs-images.sh

test: setup
	$(CARGO) build --workspace --all-targets
	$(CARGO) test --workspace --no-fail-fast -- --test-threads=2
	scripts/check-units.sh

# Debian packages (release builds) in target/debian/: proctord_<version>_<arch>.deb for
# each of DEB_ARCHS (arm64 cross-built by scripts/cross-aarch64.sh) and
# proctord-models_<version>_all.deb. README "Deploying on a Raspberry Pi or Jetson".
DEB_ARCHS ?= amd64 arm64
deb: setup
	for arch in $(DEB_ARCHS); do scripts/deb.sh --arch $$arch --no-models || exit 1; done
	scripts/deb.sh --models-only

bench: runtime
	bench/run.sh

# The verdicts on the labelled development set (../shared/media/eval) -> bench/ACCURACY.md
accuracy: runtime
	$(CARGO) build --release
	bench/accuracy.sh

clean-state:
	rm -rf var/demo
