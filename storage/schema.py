"""Every model module, imported so `Base.metadata` is complete (Alembic and schema tests use it)."""

from storage.cadence import models as cadence_models  # noqa: F401
from storage.checkins import models as checkin_models  # noqa: F401
from storage.coreflections import models as coreflection_models  # noqa: F401
from storage.feedback import corrections, models as feedback_models, you_said  # noqa: F401
from storage.models import Base
from storage.people import models as people_models  # noqa: F401
from storage import replicas  # noqa: F401
from storage.sessions import models as session_models  # noqa: F401
from storage.tripartite import models as tripartite_models  # noqa: F401
from storage.supervision import models as supervision_models  # noqa: F401

__all__ = ["Base"]
