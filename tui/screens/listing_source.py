"""A Listing read through the Service, in the shape the message list pages from."""

from __future__ import annotations

from engine.listing import Listing
from engine.models import Agent, MessageSummary
from engine.service import Service


class ListingSource:
    """Counts, pages and positions of one Listing, as one agent may see it."""

    def __init__(self, service: Service, agent: Agent, listing: Listing,
                 *, total: int | None = None) -> None:
        self.service = service
        self.agent = agent
        self.listing = listing
        # A count the caller already has (a search is counted to check the query):
        # used once, for the first load.
        self._known_total = total

    async def count(self) -> int:
        if self._known_total is not None:
            total, self._known_total = self._known_total, None
            return total
        return await self.service.count_listing(self.agent, self.listing)

    async def fetch(self, offset: int, limit: int) -> list[MessageSummary]:
        return await self.service.list_listing(self.agent, self.listing, offset=offset,
                                               limit=limit)

    async def position(self, message_id: int) -> int | None:
        return await self.service.position_in_listing(self.agent, self.listing, message_id)
