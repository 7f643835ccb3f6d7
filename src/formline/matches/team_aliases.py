"""One canonical name per US franchise, and the names the shared sources give it over time.

Sources keep their own spelling (``team`` columns); this table gives each row a canonical
franchise name as well, so that a franchise that moved or was renamed is one team, and the
sources' codes (SBR's ``gs``, ``SFO``, ``NYRangers``; FiveThirtyEight's ``GSW``) meet the full
names. The canonical name is the franchise's current one (its latest, for a franchise that moved
on). A name the table does not know is its own canonical name.

Moves and renames (the years a name was used)
---------------------------------------------
* NFL: Oakland Raiders (1960-81, 1995-2019), Los Angeles Raiders (1982-94), Las Vegas Raiders
  (2020-); Washington Redskins (1937-2019), Washington Football Team (2020-21), Washington
  Commanders (2022-); San Diego Chargers (1961-2016) to Los Angeles (2017-); St. Louis Rams
  (1995-2015) to Los Angeles (2016-); Houston Oilers (1960-96), Tennessee Oilers (1997-98),
  Tennessee Titans (1999-); Baltimore Colts (1953-83) to Indianapolis (1984-); Boston Patriots
  (1960-70) to New England; St. Louis (1960-87) and Phoenix (1988-93) Cardinals to Arizona.
* NBA: Seattle SuperSonics (1967-2008) to Oklahoma City Thunder (2008-); New Jersey Nets
  (1977-2012) to Brooklyn (2012-); Vancouver Grizzlies (1995-2001) to Memphis; New Orleans
  Hornets (2002-13) renamed Pelicans (2013-); Charlotte Bobcats (2004-14) renamed Hornets (2014-);
  Washington Bullets (1974-97) renamed Wizards; San Diego Clippers (1978-84) to Los Angeles.
* MLB: Florida Marlins to Miami (2012-); Cleveland Indians renamed Guardians (2022-); Montreal
  Expos to Washington (2005-); Tampa Bay Devil Rays renamed Rays (2008-); Oakland Athletics to
  Sacramento as the Athletics (2025-).
* NHL: Phoenix Coyotes (1996-2014), Arizona Coyotes (2014-24), Utah (2024-: the NHL counts Utah
  as a new franchise that took the Coyotes' players; formline treats it as one team, as the
  ratings should carry over); Atlanta Thrashers (1999-2011) to Winnipeg Jets (2011-); Hartford
  Whalers to Carolina (1997-); Quebec Nordiques to Colorado (1995-); Minnesota North Stars to
  Dallas (1993-).
"""

from __future__ import annotations

__all__ = ["FRANCHISES", "canonical_team"]

#: sport -> canonical franchise name -> the other names and codes the sources use for it.
FRANCHISES: dict[str, dict[str, tuple[str, ...]]] = {
    "nfl": {
        "Arizona Cardinals": ("Phoenix Cardinals", "St. Louis Cardinals", "ARI"),
        "Atlanta Falcons": ("ATL",),
        "Baltimore Ravens": ("BAL",),
        "Buffalo Bills": ("BUF",),
        "Carolina Panthers": ("CAR",),
        "Chicago Bears": ("CHI",),
        "Cincinnati Bengals": ("CIN",),
        "Cleveland Browns": ("CLE",),
        "Dallas Cowboys": ("DAL",),
        "Denver Broncos": ("DEN",),
        "Detroit Lions": ("DET",),
        "Green Bay Packers": ("GB",),
        "Houston Texans": ("HOU",),
        "Indianapolis Colts": ("Baltimore Colts", "IND"),
        "Jacksonville Jaguars": ("JAX",),
        "Kansas City Chiefs": ("KC",),
        "Las Vegas Raiders": ("Oakland Raiders", "Los Angeles Raiders", "OAK", "LVR", "LV"),
        "Los Angeles Chargers": ("San Diego Chargers", "LAC"),
        "Los Angeles Rams": ("St. Louis Rams", "LAR"),
        "Miami Dolphins": ("MIA",),
        "Minnesota Vikings": ("MIN",),
        "New England Patriots": ("Boston Patriots", "NE"),
        "New Orleans Saints": ("NO",),
        "New York Giants": ("NYG",),
        "New York Jets": ("NYJ", "NJY"),
        "Philadelphia Eagles": ("PHI",),
        "Pittsburgh Steelers": ("PIT",),
        "San Francisco 49ers": ("SF",),
        "Seattle Seahawks": ("SEA",),
        "Tampa Bay Buccaneers": ("TB",),
        "Tennessee Titans": ("Houston Oilers", "Tennessee Oilers", "TEN"),
        "Washington Commanders": (
            "Washington Redskins",
            "Washington Football Team",
            "WAS",
            "WSH",
        ),
    },
    "nba": {
        "Atlanta Hawks": ("ATL", "atl"),
        "Boston Celtics": ("BOS", "bos"),
        "Brooklyn Nets": ("New Jersey Nets", "NJN", "BRK", "bkn"),
        "Charlotte Hornets": ("Charlotte Bobcats", "CHA", "CHO", "cha"),
        "Chicago Bulls": ("CHI", "chi"),
        "Cleveland Cavaliers": ("CLE", "cle"),
        "Dallas Mavericks": ("DAL", "dal"),
        "Denver Nuggets": ("DEN", "den"),
        "Detroit Pistons": ("DET", "det"),
        "Golden State Warriors": ("GSW", "gs"),
        "Houston Rockets": ("HOU", "hou"),
        "Indiana Pacers": ("IND", "ind"),
        "Los Angeles Clippers": ("LA Clippers", "San Diego Clippers", "LAC", "lac"),
        "Los Angeles Lakers": ("LAL", "lal"),
        "Memphis Grizzlies": ("Vancouver Grizzlies", "MEM", "mem"),
        "Miami Heat": ("MIA", "mia"),
        "Milwaukee Bucks": ("MIL", "mil"),
        "Minnesota Timberwolves": ("MIN", "min"),
        "New Orleans Pelicans": ("New Orleans Hornets", "NOP", "NOH", "NOK", "no"),
        "New York Knicks": ("NYK", "ny"),
        "Oklahoma City Thunder": ("Seattle SuperSonics", "SEA", "OKC", "okc"),
        "Orlando Magic": ("ORL", "orl"),
        "Philadelphia 76ers": ("PHI", "phi"),
        "Phoenix Suns": ("PHO", "phx"),
        "Portland Trail Blazers": ("POR", "por"),
        "Sacramento Kings": ("Kansas City Kings", "KCK", "SAC", "sac"),
        "San Antonio Spurs": ("SAS", "sa"),
        "Toronto Raptors": ("TOR", "tor"),
        "Utah Jazz": ("New Orleans Jazz", "NOJ", "UTA", "utah"),
        "Washington Wizards": ("Washington Bullets", "WSB", "WAS", "wsh"),
    },
    "mlb": {
        "Arizona Diamondbacks": ("ARI",),
        "Atlanta Braves": ("ATL",),
        "Baltimore Orioles": ("BAL",),
        "Boston Red Sox": ("BOS",),
        "Chicago Cubs": ("CUB",),
        "Chicago White Sox": ("CWS",),
        "Cincinnati Reds": ("CIN",),
        "Cleveland Guardians": ("Cleveland Indians", "CLE"),
        "Colorado Rockies": ("COL",),
        "Detroit Tigers": ("DET",),
        "Houston Astros": ("HOU",),
        "Kansas City Royals": ("KAN",),
        "Los Angeles Angels": ("LAA",),
        "Los Angeles Dodgers": ("LAD",),
        "Miami Marlins": ("Florida Marlins", "MIA"),
        "Milwaukee Brewers": ("MIL",),
        "Minnesota Twins": ("MIN",),
        "New York Mets": ("NYM",),
        "New York Yankees": ("NYY",),
        "Athletics": ("Oakland Athletics", "OAK"),
        "Philadelphia Phillies": ("PHI",),
        "Pittsburgh Pirates": ("PIT",),
        "San Diego Padres": ("SDG",),
        "San Francisco Giants": ("SFO",),
        "Seattle Mariners": ("SEA",),
        "St. Louis Cardinals": ("STL",),
        "Tampa Bay Rays": ("Tampa Bay Devil Rays", "TAM"),
        "Texas Rangers": ("TEX",),
        "Toronto Blue Jays": ("TOR",),
        "Washington Nationals": ("Montreal Expos", "WAS"),
    },
    "nhl": {
        "Anaheim Ducks": ("Anaheim",),
        "Boston Bruins": ("Boston",),
        "Buffalo Sabres": ("Buffalo",),
        "Calgary Flames": ("Calgary",),
        "Carolina Hurricanes": ("Hartford Whalers", "Carolina"),
        "Chicago Blackhawks": ("Chicago",),
        "Colorado Avalanche": ("Quebec Nordiques", "Colorado"),
        "Columbus Blue Jackets": ("Columbus",),
        "Dallas Stars": ("Minnesota North Stars", "Dallas"),
        "Detroit Red Wings": ("Detroit",),
        "Edmonton Oilers": ("Edmonton",),
        "Florida Panthers": ("Florida",),
        "Los Angeles Kings": ("LosAngeles",),
        "Minnesota Wild": ("Minnesota",),
        "Montreal Canadiens": ("Montreal",),
        "Nashville Predators": ("Nashville",),
        "New Jersey Devils": ("NewJersey",),
        "New York Islanders": ("NYIslanders", "NY Islanders"),
        "New York Rangers": ("NYRangers",),
        "Ottawa Senators": ("Ottawa",),
        "Philadelphia Flyers": ("Philadelphia",),
        "Pittsburgh Penguins": ("Pittsburgh",),
        "San Jose Sharks": ("SanJose",),
        "Seattle Kraken": ("Seattle",),
        "St. Louis Blues": ("St.Louis",),
        "Tampa Bay Lightning": ("TampaBay", "Tampa Bay", "Tampa"),
        "Toronto Maple Leafs": ("Toronto",),
        "Utah Mammoth": (
            "Phoenix Coyotes",
            "Arizona Coyotes",
            "Utah Hockey Club",
            "Phoenix",
            "Arizona",
            "Arizonas",
        ),
        "Vancouver Canucks": ("Vancouver",),
        "Vegas Golden Knights": ("Vegas",),
        "Washington Capitals": ("Washington",),
        "Winnipeg Jets": ("Atlanta Thrashers", "Winnipeg"),
    },
}


def _reverse(franchises: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, names in franchises.items():
        for name in (canonical, *names):
            if out.setdefault(name, canonical) != canonical:
                raise ValueError(f"{name!r} names both {out[name]!r} and {canonical!r}")
    return out


_CANONICAL: dict[str, dict[str, str]] = {s: _reverse(f) for s, f in FRANCHISES.items()}


def canonical_team(sport_name: str, name: str) -> str:
    """The canonical franchise name of ``name`` in ``sport_name`` (``name`` itself if unknown).

    >>> canonical_team("nfl", "Oakland Raiders")
    'Las Vegas Raiders'
    >>> canonical_team("nba", "okc")
    'Oklahoma City Thunder'
    """
    return _CANONICAL.get(sport_name, {}).get(name, name)
