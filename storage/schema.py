"""Every model module, imported so `Base.metadata` is complete (Alembic and schema tests use it)."""

from storage import feedback_models, session_models, you_said  # noqa: F401
from storage.models import Base

__all__ = ["Base"]
