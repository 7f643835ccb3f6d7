"""The frames of the transfer tables a :class:`~formline.transfers.frames.TransferBatch` does not
carry: contracts, per-player season stats, signal events and user events.

Players and clubs are named by their natural keys (``player_key``, ``club_key``, see
:mod:`formline.transfers.frames`); the store writer turns them into ids. Timestamps are
timezone-naive UTC (``datetime64[us]``).

Natural keys
------------
* contract: (player, club, ``expires_on``); season stats: (player, club, season);
* signal event: (entity type, player, club, signal type, source, ``effective_from``,
  ``observed_at``): a value learned again later is a new observation, kept beside the first
  (bitemporal), while the same observation loaded twice is one row;
* user event: its ``event_id``.
"""

from __future__ import annotations

CONTRACT_COLUMNS: dict[str, str] = {
    "player_key": "string",
    "club_key": "string",
    "starts_on": "datetime64[us]",
    "expires_on": "datetime64[us]",
    "observed_at": "datetime64[us]",
    "source": "string",
}

SEASON_STAT_COLUMNS: dict[str, str] = {
    "player_key": "string",
    "club_key": "string",
    "season": "Int64",
    "appearances": "Int64",
    "minutes": "Int64",
    "goals": "Int64",
    "assists": "Int64",
    "observed_at": "datetime64[us]",
    "source": "string",
}

SIGNAL_COLUMNS: dict[str, str] = {
    "entity_type": "string",  # one of formline.transfers.tables.SIGNAL_ENTITIES
    "player_key": "string",  # NA for a club signal
    "club_key": "string",  # NA for a player signal
    "signal_type": "string",
    "value_number": "Float64",
    "source": "string",
    "confidence": "Float64",  # in [0, 1]
    "observed_at": "datetime64[us]",
    "effective_from": "datetime64[us]",
    "effective_to": "datetime64[us]",  # NA: open-ended
}

USER_EVENT_COLUMNS: dict[str, str] = {
    "event_id": "string",
    "session_id": "string",
    "player_key": "string",
    "club_key": "string",  # the club the user looked at beside the player, if any
    "kind": "string",  # one of formline.transfers.tables.USER_EVENT_KINDS
    "occurred_at": "datetime64[us]",
}

#: The signal types formline knows of (the demo publishes the first two; the derived ones come
#: from :mod:`formline.transfers.attention`).
MARKET_VALUE = "market_value_eur"
CONTRACT_MONTHS = "contract_months_remaining"
ATTENTION_VELOCITY = "attention_velocity"
DESTINATION_COOCCURRENCE = "destination_cooccurrence"
