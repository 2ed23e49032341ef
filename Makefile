# kexue-book — two commands do all set-up:
#   make book   build the book from sources/ as HTML, PDF and EPUB (creates .venv on first use)
#   make test   run every test
#   make html / make pdf / make epub   one format only
#   make serve  live preview on http://127.0.0.1:8000 (HOST=, PORT= to change)
#   make node_modules   MathJax for the EPUB's MathML (npm ci; book, epub and test do it)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SOURCES ?= sources

HOST   ?= 127.0.0.1
PORT   ?= 8000

NODE_STAMP := node_modules/.package-lock.json

.PHONY: book html pdf epub serve test clean distclean

# MathJax's TeX input (npm mathjax-full, pinned by package-lock.json) makes the EPUB's MathML.
$(NODE_STAMP): package.json package-lock.json
	scripts/debian-deps node
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node_modules: $(NODE_STAMP)

$(STAMP): pyproject.toml
	scripts/debian-deps base
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

book: $(STAMP) $(NODE_STAMP)
	scripts/debian-deps book
	$(BIN)/kexue-book build $(SOURCES) --format all

html: $(STAMP)
	$(BIN)/kexue-book build $(SOURCES) --format html

pdf: $(STAMP)
	scripts/debian-deps book
	$(BIN)/kexue-book build $(SOURCES) --format $@

epub: $(STAMP) $(NODE_STAMP)
	scripts/debian-deps book
	$(BIN)/kexue-book build $(SOURCES) --format $@

# Live preview: rebuilds the HTML when a source, a page or kexue-book.yaml changes.
serve: $(STAMP)
	$(BIN)/kexue-book serve $(SOURCES) --host $(HOST) --port $(PORT)

test: $(STAMP) $(NODE_STAMP)
	scripts/debian-deps test
	$(BIN)/python -m pytest

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) node_modules
