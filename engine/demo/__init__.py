"""Demo source systems: a small card-issuing fintech with planted incidents.

``build_demo`` creates three PostgreSQL source databases (webbank, aml,
card_management) and the currency-rate files; ``serve_rates`` serves the
rates as a paginated REST API; ``append_live`` keeps the sources moving;
``INCIDENTS`` lists what the cockpit must catch, with known answers.
See docs/sources.md.
"""

from engine.demo.build import DEFAULT_SCALE, SOURCE_DATABASES, DemoReport, build_demo, database_names, read_meta
from engine.demo.incidents import INCIDENTS, Between, Incident
from engine.demo.live import LiveReport, append_live
from engine.demo.plan import DemoError
from engine.demo.rates_api import RatesServer, serve_rates

__all__ = [
    "DEFAULT_SCALE",
    "INCIDENTS",
    "SOURCE_DATABASES",
    "Between",
    "DemoError",
    "DemoReport",
    "Incident",
    "LiveReport",
    "RatesServer",
    "append_live",
    "build_demo",
    "database_names",
    "read_meta",
    "serve_rates",
]
