# The course's interface: `make setup`, `make test`, `make lab`, `make book`, `make site-test`, `make lab-test`.
# Everything runs from a project-local virtual environment in .venv, created on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-stamp
KERNEL := lrlib-course
PYTEST_FLAGS ?= -q
# Tests and the website run on the offline digits data (lrlib's default too): the same numbers everywhere.
COURSE_DATA ?= digits
# `make notebooks` runs every notebook once per seed: the chapters' conclusions must hold for each.
NOTEBOOK_SEEDS ?= 0 1 2
# `make fashion-test` times the chapters on a Fashion-MNIST-shaped stand-in (the real data needs internet).
FASHION_CACHE ?= build/fake-fashion-mnist
FASHION_LIMIT ?= 180

.PHONY: setup test unit notebooks fashion-test lab lab-test book site-test clean-notebooks bench

setup: $(STAMP)

# Re-run only when the pins or the package metadata change, so `make setup` is quick when nothing did.
$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if (3, 10) <= v[:2] <= (3, 13) else "Python 3.10-3.13 is needed, found %d.%d" % v[:2])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (lrlib course)"
	touch $(STAMP)

test: unit notebooks

unit: setup
	$(PY) -m pytest $(PYTEST_FLAGS) tests

notebooks: setup
	for seed in $(NOTEBOOK_SEEDS); do \
		echo "== notebooks with LRLIB_SEED=$$seed"; \
		LRLIB_SEED=$$seed LRLIB_DATASET=$(COURSE_DATA) $(PY) -m pytest $(PYTEST_FLAGS) --nbval-lax notebooks || exit 1; \
	done

# Each chapter on 60,000 Fashion-MNIST-shaped images must finish within FASHION_LIMIT seconds.
fashion-test: setup
	test -f $(FASHION_CACHE)/fashion_mnist/FashionMNIST/raw/t10k-labels-idx1-ubyte || \
		$(PY) scripts/fake_fashion_mnist.py $(FASHION_CACHE)
	LRLIB_CACHE=$(abspath $(FASHION_CACHE)) LRLIB_DATASET=fashion_mnist \
		$(PY) scripts/notebook_times.py notebooks/[0-9]*.ipynb --limit $(FASHION_LIMIT)

# LAB_ARGS go to jupyter lab, e.g. `make lab LAB_ARGS=--port=9000`.
lab: setup
	bash scripts/lab.sh $(LAB_ARGS)

lab-test: setup
	LRLIB_DATASET=$(COURSE_DATA) bash scripts/lab_test.sh

book: setup
	LRLIB_DATASET=$(COURSE_DATA) $(PY) scripts/book.py build

site-test: setup
	LRLIB_DATASET=$(COURSE_DATA) bash scripts/site_test.sh

bench: setup
	for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean-notebooks: setup
	$(VENV)/bin/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb notebooks/solutions/*.ipynb
