"""One search and one page loader for /docs and the MCP server: what a reader of either finds, from the docs
folder as shipped (no database)."""

from __future__ import annotations

from engine.docs.handwritten import shipped_pages
from engine.docs.pages import load_docs
from engine.docs.search import Searchable, search
from engine.mcp.tools import search_docs


def test_the_search_box_and_search_docs_find_the_same_section():
    pages = [Searchable(p.route, p.title, p.body) for p in load_docs()]
    box = search("silence reason", pages)
    agent = search_docs("silence reason", "http://hb")
    assert box and agent.hits
    first = agent.hits[0]
    # The agent's link is the box's page with the section's anchor, and quotes the same line.
    assert any(f"http://hb{hit.href}#{hit.anchor}" == first.link and hit.line == first.excerpt for hit in box)
    assert all("silence" in h.excerpt.lower() or "reason" in h.excerpt.lower() for h in agent.hits)


def test_the_box_wants_every_word_and_an_agent_gets_the_closest_sections():
    pages = [Searchable(p.route, p.title, p.body) for p in shipped_pages()]
    assert search("silence xyzzy", pages) == []
    hits = search_docs("how would I silence a noisy alert xyzzy", "http://hb").hits
    assert hits and "silence" in " ".join(h.excerpt.lower() for h in hits)


def test_a_line_that_defines_the_term_beats_a_mention_and_long_lines_are_cut_around_it():
    pages = [Searchable("/docs/a", "Alpha", "# Alpha\n\n## Notes\n\nWe chose to rename frobnicate_limit last year.\n"),
             Searchable("/docs/b", "Beta", "# Beta\n\n## Settings\n\n| `frobnicate_limit` | 10 | how many |\n"
                                           "\n## Long\n\n" + "word " * 100 + "zanzibar " + "word " * 100 + "\n")]
    hits = search("frobnicate_limit", pages)
    assert [(h.href, h.section, h.anchor) for h in hits] == [("/docs/b", "Settings", "settings"),
                                                              ("/docs/a", "Notes", "notes")]
    long = search("zanzibar", pages)[0].line
    assert "zanzibar" in long and long.startswith("… ") and len(long) < 260


def test_the_agent_reads_every_hand_written_page_runbooks_included():
    slugs = {p.slug for p in shipped_pages()}
    assert {"index", "mcp", "runbooks/daily-triage"} <= slugs
    # /docs shows the same pages, with their generated references appended.
    assert {p.slug for p in load_docs()} == slugs
