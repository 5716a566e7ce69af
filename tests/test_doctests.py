"""The docstring examples of the modules no other test runs them for: they are what a user reads
first, so they must show what the code prints (EffTox's showed estimates of an earlier sampler)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["doseesc.designs.base", "doseesc.designs.boin12", "doseesc.designs.crm", "doseesc.designs.efftox",
           "doseesc.designs.interval", "doseesc.designs.modifiers", "doseesc.designs.threep3",
           "doseesc.designs.tite", "doseesc.designs.tite_boin12", "doseesc.designs.backfill", "doseesc.engine.api",
           "doseesc.results", "doseesc.scenario", "doseesc.timemodel", "doseesc.benchmark", "doseesc.paths",
           "doseesc.outcomes"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
