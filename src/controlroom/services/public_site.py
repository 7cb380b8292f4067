"""Who the force's public pages act as when they change something.

The public pages (``web/public``) are the force's own system, taking reports and live chats
from people who do not sign in. They submit through the same services as any partner system,
as this integration principal, so the one access check and the audit trail apply to them too.
"""

from __future__ import annotations

from controlroom.domain.access import Principal
from controlroom.domain.contacts import Role

#: The public website (online reports and live chat), recorded as the actor of what it does.
PUBLIC_SITE = Principal(name="public-site", role=Role.INTEGRATION)
