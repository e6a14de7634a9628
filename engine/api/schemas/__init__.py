"""The response models of the REST API: what every route answers, as pydantic models.

They document the API (``/api/openapi.json``, ``/docs/api``); the handlers still answer with orjson
(``engine.api.deps.Json``) and FastAPI does not validate a returned Response, so a served answer costs
nothing more. ``tests/docs/test_api_answers.py`` and the Schemathesis fuzz test hold the real answers to
these models (``extra="forbid"``: a field the model does not know fails them too).
"""
