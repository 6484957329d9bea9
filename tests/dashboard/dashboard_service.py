"""What the browser tests know about the live service they drive."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LiveService"]


@dataclass(frozen=True)
class LiveService:
    base_url: str
    #: The admin key when the service requires API keys (the full stack does), else None.
    api_key: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key} if self.api_key else {}
