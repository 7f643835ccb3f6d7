"""Identity across rows and sources: a move listed by both clubs and both sources is one
transfer, counter-club spellings pair with covered clubs only when they can be the same name,
players are a name plus a consistent birth year, and what cannot be settled is counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from transfer_files import EMORDONEZ_HEADER, EWENME_HEADER, emordonez_row, ewenme_row, write

from formline.transfers.identity import Resolved, normalise, resolve
from formline.transfers.ingest import read_transfer_files


def _resolve(tmp_path: Path, ewenme: list[str], emordonez: list[str] | None = None) -> Resolved:
    paths = [write(tmp_path / "e" / "premier-league.csv", EWENME_HEADER, ewenme)]
    if emordonez:
        paths.append(write(tmp_path / "m.csv", EMORDONEZ_HEADER, emordonez))
    return resolve(read_transfer_files(paths).sightings)


def test_names_fold_accents_case_and_punctuation() -> None:
    assert normalise("Atlético  Madrid") == normalise("atletico-madrid") == "atletico madrid"
    assert normalise("Торпедо-Лужники") == "торпедо лужники"  # other scripts stay


def test_a_move_listed_by_both_clubs_and_both_sources_is_one_transfer(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path,
        [
            ewenme_row("Chelsea FC", "Ann Bee", "24", "Man City", "in"),
            ewenme_row("Manchester City", "Ann Bee", "24", "Chelsea", "out"),
        ],
        [
            emordonez_row("Chelsea FC", "Ann Bee", "24.0", "Man City", "in", fee="1400000.0"),
            emordonez_row("Manchester City", "Ann Bee", "25.0", "Chelsea", "out"),
        ],
    )
    moves = resolved.batch.transfers
    assert len(moves) == 1
    move = moves.iloc[0]
    assert (move["from_club_key"], move["to_club_key"]) == ("manchester city", "chelsea fc")
    assert move["sightings"] == 4
    # Values come from the source with market values first, then the others.
    assert move["source"] == "transfermarkt-emordonez" and move["fee_eur"] == 1.4e6
    assert move["market_value_eur"] == 2e6
    assert move["observed_at"] == pd.Timestamp("2015-09-01")  # the summer window's close
    aliases = resolved.batch.club_aliases.set_index("alias")
    assert aliases.loc["man city", ["club_key", "rule"]].tolist() == ["manchester city", "paired"]
    assert aliases.loc["chelsea", ["club_key", "rule"]].tolist() == ["chelsea fc", "paired"]
    assert resolved.counts["listed_twice_or_more"] == 1


def test_a_loan_chain_pairs_no_unrelated_names(tmp_path: Path) -> None:
    # Loaned by Middlesbrough to Walsall and bought by Barnsley from Walsall in one window:
    # Barnsley's "Walsall" row pairs with Middlesbrough's row, but "Walsall" cannot be
    # "Middlesbrough FC".
    resolved = _resolve(
        tmp_path,
        [
            ewenme_row("Middlesbrough FC", "Tom Wry", "22", "Walsall", "out", window="Winter"),
            ewenme_row("Barnsley FC", "Tom Wry", "22", "Walsall", "in", window="Winter"),
        ],
    )
    aliases = resolved.batch.club_aliases.set_index("alias")
    assert aliases.loc["walsall", ["club_key", "rule"]].tolist() == ["walsall", "name"]
    moves = resolved.batch.transfers
    assert sorted(zip(moves["from_club_key"], moves["to_club_key"], strict=True)) == [
        ("middlesbrough fc", "walsall"),
        ("walsall", "barnsley fc"),
    ]
    assert set(moves["observed_at"]) == {pd.Timestamp("2016-02-01")}  # the winter close
    assert resolved.counts["ambiguous_players"] == 0  # the two moves share Walsall


def test_one_name_with_two_birth_years_is_two_players(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path,
        [
            ewenme_row("Middlesbrough FC", "Tommy Wright", "26", "Leicester", "in", year="1992"),
            ewenme_row("Middlesbrough FC", "Tommy Wright", "29", "Bradford", "out", year="1995"),
            ewenme_row(
                "Newcastle United", "Tommy Wright", "29", "Nottm Forest", "out", year="1993"
            ),
            ewenme_row("Reading FC", "Tommy Wright", "NA", "Stoke", "in", year="1999"),
            ewenme_row("Reading FC", "Solo Name", "NA", "Stoke", "in", year="1999"),
            ewenme_row("Reading FC", "Solo Name", "30", "Hull", "out", year="2001"),
        ],
    )
    players = resolved.batch.players.set_index("key")
    assert players.loc["tommy wright|1966", "identity"] == "resolved"
    assert players.loc["tommy wright|1964", "identity"] == "resolved"
    assert players.loc["tommy wright|?", "identity"] == "unresolved"  # no age, two candidates
    assert players.loc["solo name|1971", "birth_year"] == 1971  # the age-less row joined him
    assert "solo name|?" not in players.index
    moves = resolved.batch.transfers
    assert (moves["player_key"] == "tommy wright|1966").sum() == 2
    assert resolved.counts["unresolved_rows"] == 1


def test_two_moves_in_one_window_sharing_no_club_are_ambiguous(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path,
        [
            ewenme_row("Chelsea FC", "John Smith", "25", "Fulham", "in"),
            ewenme_row("Everton FC", "John Smith", "25", "Burnley", "out"),
            ewenme_row("Everton FC", "Al Kay", "25", "Burnley", "out", window="Winter"),
        ],
    )
    players = resolved.batch.players.set_index("key")
    assert players.loc["john smith|1990", "identity"] == "ambiguous"
    assert players.loc["al kay|1990", "identity"] == "resolved"
    assert resolved.counts["ambiguous_rows"] == 2
    assert len(resolved.batch.transfers) == 3  # kept, all of them


def test_statuses_are_no_clubs_and_a_move_to_the_club_itself_is_rejected(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path,
        [
            ewenme_row("Chelsea FC", "Old Hand", "36", "Retired", "out", fee="-", cleaned="NA"),
            ewenme_row(
                "Chelsea FC",
                "New Hand",
                "20",
                "Without Club",
                "in",
                fee="free transfer",
                cleaned="0",
            ),
            ewenme_row("Chelsea FC", "Odd Row", "20", "Chelsea FC", "in"),
            ewenme_row(
                "Chelsea FC",
                "Back Again",
                "21",
                "Reading",
                "in",
                fee="End of loanJun 30, 2016",
                cleaned="NA",
                year="2016",
            ),
        ],
    )
    moves = resolved.batch.transfers.set_index("player_key")
    assert moves.loc["old hand|1979", "to_status"] == "retired"
    assert pd.isna(moves.loc["old hand|1979", "to_club_key"])
    assert moves.loc["new hand|1995", "from_status"] == "without club"
    # The end of a loan is dated: known then, before its window closes.
    assert moves.loc["back again|1995", "observed_at"] == pd.Timestamp("2016-06-30")
    rejects = resolved.batch.rejects
    assert rejects[["column", "reason"]].values.tolist() == [
        ["counter_club", "'Chelsea FC' is the club itself"]
    ]
    assert int(resolved.batch.transfers["sightings"].sum()) + len(rejects) == 4
    clubs = set(resolved.batch.clubs["key"])
    assert not clubs & {"retired", "without club"}


@pytest.mark.parametrize("window", ["summer", "winter"])
def test_every_row_is_a_sighting_of_exactly_one_transfer(tmp_path: Path, window: str) -> None:
    rows = [
        ewenme_row(
            "Chelsea FC",
            f"P {i}",
            "20",
            "Man City" if i % 2 else "Reading",
            "in",
            window=window.title(),
        )
        for i in range(6)
    ]
    resolved = _resolve(tmp_path, rows)
    assert int(resolved.batch.transfers["sightings"].sum()) == 6
    assert resolved.batch.transfers["key"].is_unique
