"""Reflex configuration of Heartbeat; the port comes from Heartbeat's settings."""

import reflex as rx

from engine.core.settings import load_settings

_settings = load_settings()

config = rx.Config(
    app_name="heartbeat_app",
    frontend_port=_settings.port,
    backend_port=_settings.port,
    telemetry_enabled=False,
    # Never "*": CORS (Reflex's middleware on the API and the app) answers only these extra origins, and
    # never reflects another one with credentials. The app's own origin needs no CORS; engine.api.origins
    # refuses every other Origin on the websocket handshake and on /api.
    cors_allowed_origins=list(_settings.allowed_origins),
    show_built_with_reflex=False,
    # One worker: tab states live in memory only (no pickle per tab on disk, which outsiders could fill); a
    # closed tab's state is released within seconds (heartbeat_app.sessions); this expiry is only the backstop.
    # Several workers (HEARTBEAT_REDIS_URL): Reflex's own Redis state manager, so any worker serves any tab
    # and a tab whose worker died reconnects to another (docs/operations.md).
    state_manager_mode="redis" if _settings.redis_url else "memory",
    redis_url=_settings.redis_url,
    redis_token_expiration=15 * 60,
    # A TV on a wall: dark unless the viewer switches.
    default_color_mode="dark",
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="dark", accent_color="iris", gray_color="slate", radius="medium", scaling="110%")
        ),
    ],
    # Nothing here is for search engines.
    disable_plugins=[rx.plugins.SitemapPlugin],
)
