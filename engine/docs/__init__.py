"""What /docs shows beyond the hand-written pages: the reference generated from the declarations
(settings, CLI parser, OpenAPI document), the catalogues generated from the registries (metrics, cuts,
sources), the set of pages, and search across all of them.

Generated at request time (catalogues) or at build time (declarations that only change with the code),
so they can never drift from what Heartbeat does. May import the layers below it: ``engine.api``,
``engine.cli``, ``engine.audit.read``, ``engine.read``, ``engine.sources``, ``engine.core``,
``engine.contract`` — and never the UI.
"""
