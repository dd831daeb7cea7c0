"""The composition root: the only place that builds the engine, adapter, messenger, scheduler
and dialogs. Everything else receives what it needs as arguments.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import ActivityTypes, CallerIdConstants, InvokeResponse
from botframework.connector.auth import AuthenticationConstants
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import heap, msrest_speedups
from bot.config import Settings
from bot.connector import ConnectorClients, HttpClient, HttpLimits, SharedClientsAuthentication
from bot.signing_keys import SigningKeys, metadata_urls
from dialogs.shared.cards import ADAPTIVE_CARD
from dialogs.shared.content import Content, ContentError, load_content
from dialogs.shared.overrides import apply_overrides
from dialogs.shared.text_keys import KeyUse, problems, scan
from bot.delivery import OutboxDelivery
from bot.handler import PeerSpaceBot
from dialogs.shared.links import LinkSigner
from dialogs.shared.mail import Mailer
from bot.http import MessagesEndpoint, health_handler, offline_card
from storage.logs import describe_exception
from bot.messenger import Messenger, MessengerLimits
from bot.redelivery import Redelivery
from bot.replies import ReplyAdapter
from bot.state_storage import SqlConversationState, SqlStorage
from dialogs.shared.context import BotServices
from dialogs.menu import MenuActions, menu_feature
from dialogs.shared.registry import FeatureContext, FeatureRegistry
from dialogs.shared.samples import SampleData
from dialogs.shared.web import PREFIX as WEB_PREFIX, WebSettings, WebSite
from scheduler.clock import Clock, SystemClock
from scheduler.dispatcher import Dispatcher
from scheduler.replicas import Leadership, Membership
from scheduler.service import SchedulerService
from storage import outbox
from storage.activities import ActivityLedger
from storage.db import WalCheckpoints, bounded, create_engine, create_sessionmaker, is_postgres, sqlite_file
from storage.replicas import LockConnection
from storage.personal_data import PersonalDataRegistry
from storage.roles import ConfiguredRoles
from storage.state_store import StateStore

log = logging.getLogger(__name__)
_INVOKE_KEY = "BotFrameworkAdapter.InvokeResponse"


@dataclass
class Components:
    """What create_app built, reachable from the app for tests, benchmarks and the CLI."""

    settings: Settings
    content: Content
    adapter: CloudAdapter
    bot: PeerSpaceBot
    messenger: Messenger
    delivery: OutboxDelivery
    dispatcher: Dispatcher
    scheduler: SchedulerService
    registry: FeatureRegistry
    services: BotServices
    engine: AsyncEngine
    ledger: ActivityLedger
    http: HttpClient
    signing_keys: SigningKeys
    membership: Membership | None = None  # replicas on PostgreSQL only


COMPONENTS = web.AppKey("components", Components)


def sdk_authentication(settings: Settings) -> ConfigurationBotFrameworkAuthentication:
    """botbuilder's own authentication for our settings, as the SDK's samples build it."""
    msrest_speedups.apply()
    config = SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )
    if settings.openid_metadata_url:
        # A custom metadata URL switches botbuilder to its "parameterized" authentication,
        # which takes None for everything not given: restore the public-cloud values.
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
        config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        config.OAUTH_URL = AuthenticationConstants.OAUTH_URL
        config.CALLER_ID = CallerIdConstants.public_azure_channel
    return ConfigurationBotFrameworkAuthentication(config)


def sdk_adapter(settings: Settings) -> CloudAdapter:
    """The SDK's sample adapter: a new connector client and blocking requests for every send."""
    return CloudAdapter(sdk_authentication(settings))


def http_client(settings: Settings) -> HttpClient:
    return HttpClient(HttpLimits(connect_timeout=settings.http_connect_timeout,
                                 read_timeout=settings.http_read_timeout,
                                 max_connections=settings.http_max_connections))


def _adapter(settings: Settings, http: HttpClient) -> ReplyAdapter:
    """The bot's adapter: the SDK's, with connector clients reused and sent through aiohttp
    (bot/connector.py), and a turn's replies posted as JSON (bot/replies.py)."""
    return ReplyAdapter(SharedClientsAuthentication(sdk_authentication(settings), ConnectorClients(http)))


# Each module has `install(ctx: FeatureContext)`; a feature package's lives in its __init__.py.
# The menu is installed first by create_app; the order here is the order features are offered in.
FEATURE_MODULES = (
    "dialogs.my_data",
    "dialogs.roles",
    "dialogs.sessions",
    "dialogs.feedback",
    "dialogs.checkins",
    "dialogs.people",
    "dialogs.tripartite",
    "dialogs.supervision",
    "dialogs.coreflections",
    "dialogs.samples",
    "dialogs.cadence",
)


def _install_features(ctx: FeatureContext) -> MenuActions:
    menu_feat, menu_actions = menu_feature(ctx.services, ctx.registry)
    ctx.registry.add(menu_feat)
    for name in FEATURE_MODULES:
        importlib.import_module(name).install(ctx)
    return menu_actions


_SOURCE = Path(__file__).resolve().parent.parent


@cache
def code_text_uses() -> tuple[KeyUse, ...]:
    """The text keys dialogs/ and bot/ ask for, read from their source once per process."""
    return tuple(scan([_SOURCE / "dialogs", _SOURCE / "bot"], _SOURCE))


def load_all_content(settings: Settings) -> Content:
    """The shipped (or configured) content with the organisation's overrides laid over it."""
    content = load_content(settings.content_dir)
    if settings.content_overrides is not None:
        apply_overrides(content, settings.content_overrides)
    return content


def _validate_content(content: Content, registry: FeatureRegistry) -> None:
    content.require_texts(registry.menu_texts())
    wrong = problems(code_text_uses(), content.texts)
    if wrong:
        shown = "; ".join(wrong[:5]) + (f" (and {len(wrong) - 5} more)" if len(wrong) > 5 else "")
        raise ContentError(f"{content.root}: texts do not fit the code: {shown}")
    missing = sorted(set(registry.required_cards()) - set(content.cards))
    if missing:
        raise ContentError(f"{content.root / 'cards'}: missing card templates {', '.join(missing)}")
    if "support" not in content.data or not content.data["support"].get("urgent"):
        raise ContentError(f"{content.file('support.yaml')}: urgent: at least one entry is needed")


def create_app(settings: Settings, *, clock: Clock | None = None, messenger_sleep=None) -> web.Application:
    """Build the whole bot. Nothing runs until the app's startup hooks fire."""
    clock = clock or SystemClock()
    content = load_all_content(settings)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    open_db = create_sessionmaker(engine)
    # The outbox's batch of concurrent sends takes at most half of what the pool may open (the
    # pool's size; it opens as many again at a peak), leaving the rest to turns.
    background_db = bounded(open_db, settings.db_pool_size)

    configured_roles = ConfiguredRoles.of(*settings.role_ids())
    services = BotServices(
        db=open_db,
        engine=engine,
        content=content,
        personal_data=PersonalDataRegistry(configured_roles),
        configured_roles=configured_roles,
        default_zone=settings.default_time_zone,
        min_group_size=settings.min_group_size,
        support_name=settings.support_contact_name,
        support_email=settings.support_contact_email,
        now=clock.now,
        links=LinkSigner(settings.secret_bytes, settings.base_url),
        local_dev=settings.local_dev,
        sample_data=SampleData(enabled=settings.local_dev),
        mail=Mailer(settings.smtp(), content),
    )
    http = http_client(settings)
    signing_keys = SigningKeys(http, metadata_urls(settings.openid_metadata_url))
    signing_keys.install()
    adapter = _adapter(settings, http)
    limits = MessengerLimits(
        per_conversation_per_second=settings.rate_per_conversation_per_second,
        per_conversation_per_hour=settings.rate_per_conversation_per_hour,
        global_per_second=settings.rate_global_per_second,
    )
    extra = {"sleep": messenger_sleep} if messenger_sleep else {}
    messenger = Messenger(adapter, settings.app_id, limits, **extra)
    delivery = OutboxDelivery(background_db, messenger, on_gone=services.actors.clear)
    dispatcher = Dispatcher(open_db, delivery.deliver, clock, batch_size=settings.dispatch_batch_size,
                            lease=timedelta(seconds=settings.dispatch_lease_seconds), settle_db=background_db,
                            prepare=delivery.prepare)
    state_store = StateStore(engine)
    ledger = ActivityLedger(engine, state_store, lease=timedelta(seconds=settings.redelivery_lease_seconds))

    scheduler, membership = _coordination(settings, engine, open_db, clock, messenger)
    drain = membership.after_join(dispatcher.drain) if membership else dispatcher.drain
    scheduler.every("outbox.dispatch", settings.dispatch_interval_seconds, drain, everywhere=True)
    scheduler.every("maintenance.prune", 3600, _prune(open_db, ledger, clock), run_at_start=False)

    app = web.Application(client_max_size=settings.max_body_bytes)
    registry = FeatureRegistry()
    site = _web_site(settings, services)
    menu_actions = _install_features(FeatureContext(services, registry, delivery, scheduler, app.router, clock,
                                                    site))
    app.add_subapp(WEB_PREFIX, site.app)
    _validate_content(content, registry)
    adapter.on_turn_error = _on_turn_error(content, settings, registry)
    conversation_state = SqlConversationState(SqlStorage(state_store))
    bot = PeerSpaceBot(services, registry, menu_actions, conversation_state)

    endpoint = MessagesEndpoint(
        adapter, bot, Redelivery(ledger), conversation_state,
        already_received=_text_answer(content.text("bot.already_received")),
        max_body_bytes=settings.max_body_bytes,
        auth_required=bool(settings.app_id),
        allowed_tenant=settings.app_tenant_id or None,
        registry=registry,
    )
    app.router.add_post("/api/messages", endpoint.handle)
    app.router.add_get("/healthz", health_handler(engine))
    app[COMPONENTS] = Components(settings, content, adapter, bot, messenger, delivery, dispatcher, scheduler,
                                 registry, services, engine, ledger, http, signing_keys, membership)

    database_file = sqlite_file(settings.database_url)
    checkpoints = WalCheckpoints(database_file) if database_file else None

    async def on_startup(_app: web.Application) -> None:
        if checkpoints is not None:
            checkpoints.start()
        if settings.app_id:  # development mode checks no tokens
            await signing_keys.start()
        if settings.scheduler_enabled:
            if membership is not None:
                await membership.join()
            scheduler.start()
        if not settings.app_id:
            log.warning("development mode: requests are not authenticated; listening on %s only", settings.host)
        heap.settle()  # last: what start-up built stays out of full collections (bot/heap.py)

    async def on_cleanup(_app: web.Application) -> None:
        heap.unsettle()
        dispatcher.stop_claiming()
        await scheduler.stop()
        if membership is not None and settings.scheduler_enabled:
            await membership.leave()
        await services.mail.close()
        await signing_keys.stop()
        await ledger.flush()
        await engine.dispose()
        if checkpoints is not None:
            await checkpoints.stop()
        await http.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def _coordination(settings: Settings, engine: AsyncEngine, open_db, clock: Clock,
                  messenger: Messenger) -> tuple[SchedulerService, Membership | None]:
    """Replicas on one PostgreSQL database share the app's rate and elect one scheduler leader;
    one process on SQLite leads alone at the whole rate."""
    if not is_postgres(engine):
        return SchedulerService(), None
    membership = Membership(open_db, clock, app_rate=settings.rate_global_per_second,
                            set_rate=messenger.set_app_rate, interval=settings.heartbeat_seconds,
                            timeout=settings.replica_timeout_seconds)
    lock = LockConnection(settings.database_url, timeout=settings.heartbeat_seconds)
    scheduler = SchedulerService(Leadership(lock), leader_check_seconds=settings.heartbeat_seconds)
    scheduler.every("replicas.heartbeat", settings.heartbeat_seconds, membership.beat, everywhere=True)
    return scheduler, membership


def _web_site(settings: Settings, services: BotServices) -> WebSite:
    return WebSite(services.content, services.links, WebSettings(
        org_name=settings.org_name, brand_colour=settings.brand_colour, text_colour=settings.text_colour,
        base_url=settings.base_url, posts_per_minute=settings.web_posts_per_minute,
        max_form_bytes=settings.web_max_form_bytes, overrides=settings.content_overrides,
        client_address_header=settings.web_client_address_header), services.now)


def _prune(open_db, ledger: ActivityLedger, clock: Clock):
    async def prune() -> None:
        now = clock.now()
        await ledger.prune(now - timedelta(days=2))
        async with open_db() as db, db.begin():
            await outbox.purge_settled(db, before=now - timedelta(days=90))

    return prune


def _text_answer(text: str) -> dict[str, object]:
    """A Universal Action answer that shows a short text instead of replacing the card."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


def _on_turn_error(content: Content, settings: Settings, registry: FeatureRegistry):
    async def on_error(turn_context: TurnContext, error: Exception) -> None:
        log.error("turn failed (%s): %s", turn_context.activity.type, describe_exception(error))
        text = content.text("bot.something_went_wrong", support=settings.support_contact_name)
        if turn_context.activity.type == ActivityTypes.invoke:
            # An invoke needs an answer in the HTTP response, not a message. A card action with
            # an answer built from content alone (check-in signposting) still gets it.
            card = offline_card(registry, turn_context.activity)
            body = ({"statusCode": 200, "type": ADAPTIVE_CARD, "value": card} if card is not None else
                    _text_answer(text))
            turn_context.turn_state[_INVOKE_KEY] = SimpleNamespace(value=InvokeResponse(status=200, body=body))
            return
        try:
            await turn_context.send_activity(text)
        except Exception as exc:  # noqa: BLE001 - the apology itself failed; nothing more to do
            log.error("could not send the apology: %s", type(exc).__name__)

    return on_error
