"""Every model module, imported so `Base.metadata` is complete (Alembic and schema tests use it)."""

from storage.checkins import models as checkin_models  # noqa: F401
from storage.feedback import corrections, models as feedback_models, you_said  # noqa: F401
from storage.models import Base
from storage.sessions import models as session_models  # noqa: F401

__all__ = ["Base"]
