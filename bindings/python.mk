# Python binding (issue 3): targets python, test-python, bench-python, clean-python.
.PHONY: python test-python bench-python clean-python
python:
test-python:
bench-python:
clean-python:
