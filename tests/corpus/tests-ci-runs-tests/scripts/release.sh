#!/bin/sh
set -e
python -m pytest -x
twine upload dist/*
