"""Hypothesis profiles: ``ci`` (default, deterministic, keeps the suite within
budget on 2 cores) and ``thorough`` (20x the examples, random), chosen with
``ARCHSPEC_HYPOTHESIS_PROFILE=thorough python -m pytest``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 60

settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "thorough",
    max_examples=20 * CI_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("ARCHSPEC_HYPOTHESIS_PROFILE", "ci"))
