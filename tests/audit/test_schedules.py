"""The daily audit and segment schedules are registered with the leader's scheduler, with real bodies."""

from __future__ import annotations

from engine.runtime import wiring


def test_audit_and_segment_jobs_are_scheduled(settings, db):
    jobs = {job.id: job for job in wiring.scheduled_jobs(settings, db)}
    assert jobs["audit"].cron == "45 4 * * *"
    assert jobs["segments"].cron == "30 4 * * *"
    assert jobs["audit"].run.__qualname__.startswith("audit_snapshots")
    assert jobs["segments"].run.__qualname__.startswith("client_segments")


def test_refresh_recomputes_the_cuts_of_red_and_amber_metrics_after_compute(settings, db):
    hooks = wiring.refresh_context(settings, db).after_compute
    assert any(h.__qualname__.startswith("cut_recompute") for h in hooks)
