# Two commands matter: `make book` builds the site, `make test` checks everything.
# Both create the virtual environment .venv on first use and reinstall when the pins change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-runtime.txt pyproject.toml | cksum | cut -d' ' -f1)
JB     := $(BIN)/jupyter-book
# What a student's kernel has (Binder's binder/postBuild) plus the test runner: the notebooks run here
RT     := .venv-runtime
RT_STAMP := $(RT)/.installed-$(shell cat requirements-runtime.txt requirements-grader.txt binder/postBuild pyproject.toml | cksum | cut -d' ' -f1)
STRICT := --warningiserror --nitpick --keep-going
export PYTHONHASHSEED := 0

.PHONY: book serve test lint exercises bench clean student autograder pdf pdf-deps vendor browser-deps

$(STAMP): requirements.txt requirements-runtime.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	@rm -f $(VENV)/.installed-*; touch $@

$(RT_STAMP): requirements-runtime.txt requirements-grader.txt binder/postBuild pyproject.toml
	@test -x $(RT)/bin/python || $(PYTHON) -m venv $(RT)
	PATH=$(CURDIR)/$(RT)/bin:$$PATH TORCH_INDEX="" bash binder/postBuild
	$(RT)/bin/python -m pip install -q $$(grep -E '^(pytest|nbval)==' requirements.txt)
	@rm -f $(RT)/.installed-*; touch $@

CODE := $(shell find code -name '*.py' -o -name '*.yaml')

# jupyter-cache and Sphinx key a notebook on its own text only: when tinyseek changes, start afresh.
_build/.code-stamp: $(CODE)
	rm -rf _build/.jupyter_cache _build/.doctrees
	@mkdir -p _build && touch $@

# Sphinx rewrites only the pages whose sources changed: when the build extensions change, every page.
_build/.ext-stamp: $(wildcard book/_ext/*.py)
	rm -rf _build/.doctrees
	@mkdir -p _build && touch $@

## vendor: the JavaScript the site serves itself, so that it works offline, and axe-core for the
## browser tests: `npm ci` installs the versions package-lock.json pins (each checked against its
## sha512) into node_modules/, then the site's files are copied into book/_static/vendor/: MathJax's
## loader and only the components the book's TeX uses (0.2 MB gzip, where tex-mml-chtml.js with its
## menu is 0.3), and plotly.js's cartesian bundle, the smallest that draws scatter, bar and heatmap
## (1.5 MB, 0.5 MB gzip; the full bundle is 4.6 MB). Its version must be the plotly wheel's (tests/test_setup.py).
VENDOR := book/_static/vendor
MATHJAX_PARTS := startup.js core.js input/tex-base.js input/tex/extensions/ams.js \
                 input/tex/extensions/noundefined.js output/chtml.js output/chtml
vendor: browser-deps $(VENDOR)/.installed

node_modules/.package-lock.json: package-lock.json
	npm ci --silent --no-audit --no-fund

$(VENDOR)/.installed: node_modules/.package-lock.json
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/mathjax
	cd node_modules/mathjax/es5 && cp -r --parents $(MATHJAX_PARTS) $(CURDIR)/$(VENDOR)/mathjax/
	cp node_modules/plotly.js-cartesian-dist-min/plotly-cartesian.min.js $(VENDOR)/
	touch $@

## browser-deps: npm and Debian's chromium (installed with apt-get when missing)
browser-deps:
	@bash tools/browser-deps.sh

## book: execute every chapter and build the HTML site into _build/html (strict: any warning fails);
## the build itself writes the exercise pages book/exercises/NN-slug.md from the masters first
book: $(STAMP) _build/.code-stamp _build/.ext-stamp vendor
	$(JB) build . $(STRICT)
	@echo "The book is at file://$(CURDIR)/_build/html/index.html  (or run: make serve)"

## serve: serve the built site on http://localhost:8000
serve:
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

## lint: ruff on the code, tests, tools and notebooks (configuration in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .

## test: lint, unit tests, the strict build, built-site checks, the site in a real browser (Playwright
## driving chromium: tests/test_browser.py), nbval on every notebook in the runtime environment
## .venv-runtime (Binder's packages and the test runner, nothing else), the student build (no
## solution may leak), otter grading, and the PDF (skipped, saying why, only where TeX cannot be
## installed)
test: lint book student $(RT_STAMP)
	@$(MAKE) --no-print-directory pdf || echo "make pdf failed; tests/test_instructor.py reports why"
	$(BIN)/python -m pytest -p no:cacheprovider tests; unit=$$?; \
	$(RT)/bin/python -m pytest -p no:cacheprovider book exercises --nbval-lax; notebooks=$$?; \
	exit $$(( unit || notebooks ))

## exercises: regenerate the student notebooks in exercises/ and the exercise pages from
## exercises/masters/
exercises: $(STAMP)
	$(BIN)/python tools/exercises.py

## student: the site without solutions (pages, search, downloads), into _build/student/_build/html.
## The student edition and the PDF reuse the notebooks `make book` executed (execute.cache in
## _config.yml) and start with fresh doctrees: after a change to tinyseek Sphinx would keep a
## chapter's old outputs (its text is unchanged). Their executed notebooks (solutions included)
## are a by-product, not the site, and go.
student: $(STAMP) _build/.code-stamp vendor
	rm -rf _build/student/_build/.doctrees
	TINYSEEK_STUDENT=1 $(JB) build . --path-output _build/student $(STRICT)
	rm -rf _build/student/_build/jupyter_execute
	@echo "The student edition is at file://$(CURDIR)/_build/student/_build/html/index.html"

## autograder: an otter autograder bundle per exercise notebook, in exercises/dist/NN-slug/
autograder: $(STAMP)
	$(BIN)/python tools/exercises.py autograder

## pdf: the whole book as _build/pdf/_build/latex/book.pdf (installs Debian's TeX when missing);
## LaTeX starts afresh: latexmk will not retry a run that failed until its inputs change
pdf: $(STAMP) _build/.code-stamp pdf-deps
	rm -rf _build/pdf/_build/.doctrees _build/pdf/_build/latex
	$(JB) build . --path-output _build/pdf --builder pdflatex $(STRICT)
	rm -rf _build/pdf/_build/jupyter_execute
	@echo "The PDF is at $(CURDIR)/_build/pdf/_build/latex/book.pdf"

pdf-deps:
	@bash tools/pdf-deps.sh

## bench: time the clean build, the cached rebuild, each notebook, every benchmarks/bench_*.py,
## then every page of the site in the browser (gzip bytes, first visit and second chapter, largest
## first) and the installed size of Binder's runtime-only environment
bench: $(STAMP) vendor browser-deps
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build
