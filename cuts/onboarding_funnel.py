"""Onboarding funnel: sign-up → KYC submitted → approved → first card → first payment."""

from engine.audit.windows import days

META = {
    "page": "journeys",
    "title": "Onboarding funnel: sign-up to first payment",
    "order": 10,
    "kind": "funnel",
    "metrics": ["onboarding_approval_rate_funnel", "card_activation_rate_funnel", "new_clients_onboarded_7d",
                "onboarding_rejection_rate_7d"],
    "sources": ["webbank.core", "card_management.cards"],
    "windows": ["30d", "90d", "180d"],
    "window_default": "90d",
    "owner": "growth@satchel.example",
    "prose_before": "Clients who signed up in the window, and how far each got: every step counts only those who also passed the steps before it.",
    "prose_after": (
        "The biggest drop between two steps is where onboarding leaks. A drop at *approved* is KYC "
        "(see the decisions on the clients page); a drop at *first card* is card issuing."
    ),
}


def compute(conn, *, window: str) -> dict:
    # A funnel is cumulative: a client who paid without a card has not passed "first card", so is not
    # counted at "first payment" either (else the last bar can outgrow the one before it).
    [row] = conn.rows(f"""
        WITH signed AS (
            SELECT id FROM webbank_core.client_profile WHERE create_time >= now() - interval '{days(window)} days'
        ), states AS (
            SELECT l.client_profile_id AS id, bool_or(l.profile_state = 'kyc_pending') AS kyc,
                   bool_or(l.profile_state = 'approved') AS approved
            FROM webbank_core.client_profile_state_log AS l JOIN signed ON signed.id = l.client_profile_id
            GROUP BY 1
        ), carded AS (
            SELECT DISTINCT c.client_profile_id AS id FROM card_management_cards.card AS c JOIN signed
              ON signed.id = c.client_profile_id
        ), paying AS (
            SELECT DISTINCT p.sender_profile_id AS id FROM webbank_core.payment AS p JOIN signed
              ON signed.id = p.sender_profile_id
            WHERE p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
        )
        SELECT (SELECT count(*) FROM signed), count(*) FILTER (WHERE st.kyc), count(*) FILTER (WHERE st.approved),
               count(*) FILTER (WHERE st.approved AND c.id IS NOT NULL),
               count(*) FILTER (WHERE st.approved AND c.id IS NOT NULL AND p.id IS NOT NULL)
        FROM states AS st LEFT JOIN carded AS c USING (id) LEFT JOIN paying AS p USING (id)
    """)
    labels = ["Signed up", "KYC submitted", "Approved", "First card", "First payment"]
    return {"kind": "funnel", "stages": [{"label": label, "value": int(v)} for label, v in zip(labels, row)],
            "unit": "clients"}
