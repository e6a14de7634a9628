"""The side panel of a metric's page: the lines that judge it, and operator mode (unlock, then edit).

The controls only draw what the token opened; every write event checks the token again on the server.
"""

from __future__ import annotations

import reflex as rx

from heartbeat_app.display.chart import AMBER, GREEN, RED
from heartbeat_app.state.detail import DetailState
from heartbeat_app.state.operator import BROWSER_TOKEN

H = DetailState.header


def _line_row(label: str, value, colour: str) -> rx.Component:
    return rx.hstack(
        rx.box(width="1.1rem", height="0.3rem", background=colour, border_radius="2px"),
        rx.text(label, size="4", color_scheme="gray"),
        rx.spacer(),
        rx.text(value, size="5", weight="bold"),
        align="center",
        width="100%",
    )


def lines_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Lines", size="5"),
            _line_row("alert (red)", H["alert"], RED),
            _line_row("norm (amber)", H["norm"], AMBER),
            rx.cond(H["typical"] != "", _line_row("typical μ ± σ", H["typical"], "rgba(129,140,248,0.6)")),
            rx.cond(H["target_line"] != "", _line_row("target", H["target_line"], GREEN)),
            rx.cond(H["pace"] != "", rx.text(H["pace"], size="4", weight="medium", id="detail-pace")),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def _message(text, colour: str = "red", **props) -> rx.Component:
    return rx.cond(
        text != "",
        rx.callout(text, icon="triangle-alert" if colour == "red" else "check", color_scheme=colour, size="1",
                   width="100%", **props),
    )


def unlock_form() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.icon("lock", size=22), rx.heading("Operator mode", size="5"), align="center", spacing="2"),
        rx.text("Read-only. Enter the operator token once to edit owner, verification and thresholds "
                "(kept in this browser).", size="3", color_scheme="gray"),
        rx.form(
            rx.hstack(
                rx.input(name="token", type="password", placeholder="operator token", size="3",
                         auto_complete="off", id="operator-token", flex="1"),
                rx.button("Unlock", type="submit", size="3", id="operator-unlock"),
                width="100%",
            ),
            on_submit=DetailState.unlock,
            reset_on_submit=True,
            width="100%",
        ),
        _message(DetailState.operator_message, id="operator-message"),
        spacing="3",
        width="100%",
    )


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="3", weight="medium", color_scheme="gray"), control, spacing="1",
                     width="100%")


def _threshold_input(field: str, placeholder: str, type_: str = "text") -> rx.Component:
    return rx.input(
        name=field,
        default_value=DetailState.inputs[field],
        key=DetailState.version.to_string() + field,
        type=type_,
        placeholder=placeholder,
        size="3",
        id=f"edit-{field.replace('_', '-')}",
        width="100%",
    )


def _owner_field() -> rx.Component:
    return _field(
        "Owner (saved when you leave the box)",
        rx.input(
            default_value=DetailState.inputs["owner"],
            key=DetailState.version.to_string() + "owner",
            on_blur=lambda value: DetailState.save_owner(value, BROWSER_TOKEN),
            placeholder="owner@example.com",
            type="email",
            size="3",
            id="edit-owner",
            width="100%",
        ),
    )


def _verification_field() -> rx.Component:
    return _field(
        "Verification",
        rx.segmented_control.root(
            rx.segmented_control.item("Verified", value="verified"),
            rx.segmented_control.item("Unverified", value="unverified"),
            value=H["verification_state"],
            on_change=lambda value: DetailState.save_verification(value, BROWSER_TOKEN),
            size="3",
            id="edit-verification",
            width="100%",
        ),
    )


def _thresholds_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _field("Norm (amber line)", _threshold_input("norm_value", "none")),
                _field("Alert (red line)", _threshold_input("alert_value", "none")),
                _field("Target", _threshold_input("target_value", "none")),
                _field("Target due date", _threshold_input("target_due_date", "YYYY-MM-DD", "date")),
                columns="2",
                spacing="3",
                width="100%",
            ),
            rx.text("An empty box clears the line.", size="2", color_scheme="gray"),
            rx.button("Save thresholds", type="submit", size="3", id="save-thresholds"),
            spacing="3",
            width="100%",
        ),
        on_submit=lambda form: DetailState.save_thresholds(form, BROWSER_TOKEN),
        width="100%",
    )


def edit_controls() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("lock-open", size=22, color=rx.color("grass", 10)),
            rx.heading("Operator mode", size="5"),
            rx.spacer(),
            rx.button("Lock", on_click=DetailState.lock, variant="soft", color_scheme="gray", size="2",
                      id="operator-lock"),
            align="center",
            width="100%",
        ),
        _owner_field(),
        _message(DetailState.owner_message, id="owner-message"),
        _verification_field(),
        _message(DetailState.verification_message, id="verification-message"),
        _thresholds_form(),
        _message(DetailState.thresholds_message, id="thresholds-message"),
        _message(DetailState.saved_message, colour="grass", id="saved-message"),
        spacing="3",
        width="100%",
        id="operator-controls",
    )


def operator_card() -> rx.Component:
    return rx.card(
        rx.cond(DetailState.operator, edit_controls(), unlock_form()),
        size="3",
        width="100%",
        id="operator-panel",
    )
