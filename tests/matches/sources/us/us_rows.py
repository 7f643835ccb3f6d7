"""Hand-written rows of each US-sports layout, shared by the reader tests."""

from __future__ import annotations

# spreadspoke
SPREADSPOKE_HEADER = (
    "schedule_date,schedule_season,schedule_week,schedule_playoff,team_home,score_home,"
    "score_away,team_away,team_favorite_id,spread_favorite,over_under_line,stadium,"
    "stadium_neutral,weather_temperature,weather_wind_mph,weather_humidity,weather_detail"
)
SPREADSPOKE_ROWS = [
    "2/2/2020,2019,Superbowl,TRUE,Kansas City Chiefs,31,20,San Francisco 49ers,KC,-1.5,54.5,"
    "Hard Rock Stadium,TRUE,,,,",
    "9/13/2020,2020,1,FALSE,Carolina Panthers,30,34,Las Vegas Raiders,LVR,-3,47.5,"
    "Bank of America Stadium,FALSE,,,,",
    "10/1/1978,1978,5,FALSE,Oakland Raiders,20,17,Green Bay Packers,PICK,0,31,"
    "Oakland Coliseum,FALSE,,,,",
    "10/5/2025,2025,5,FALSE,Buffalo Bills,,,New England,,,,,,,,,",
]


# oddsportal
ODDSPORTAL_HEADER = (
    "date,season_type,neutral,team_1,team_2,points_1,points_2,moneyline_1,moneyline_2,game_url"
)
ODDSPORTAL_URL = "https://www.oddsportal.com/basketball/usa/nba-2019-2020/x-y-abc/"
ODDSPORTAL_ROWS = [
    f"11 Oct 2020,Play Offs,1,Los Angeles Lakers,Miami Heat,106,93,-150,+130,{ODDSPORTAL_URL}",
    f"16 Feb 2020,All Stars,0,Team LeBron,Team Giannis,157,155,-125,+105,{ODDSPORTAL_URL}",
    "15 Aug 2020,Promotion - Play Offs,1,Portland Trail Blazers,Memphis Grizzlies,126,122,-,-,"
    + ODDSPORTAL_URL,
    "05 Oct 2008,Pre-season,0,Utah Jazz,Los Angeles Lakers,99,98,,,"
    "https://www.oddsportal.com/basketball/usa/nba/x/",
]


# nba_odds
NBA_ODDS_HEADER = (
    "season,dates,regular,playoffs,away,home,score_away,score_home,q1_away,q2_away,q3_away,"
    "q4_away,ot_away,q1_home,q2_home,q3_home,q4_home,ot_home,whos_favored,spread,total,"
    "moneyline_away,moneyline_home,h2_spread,h2_total,id_spread,id_total"
)
NBA_ODDS_ROWS = [
    "2008,10/30/2007,TRUE,FALSE,por,sa,97,106,26,23,28,20,0,29,30,22,25,0,home,13,189.5,900,"
    "-1400,5,95,0,1",
    "2021,5/18/2021,FALSE,FALSE,cha,ind,117,144,0,0,0,0,0,0,0,0,0,0,away,2.5,224,-130,110,1,"
    "110,0,1",
    "2009,6/14/2009,FALSE,TRUE,lal,orl,99,86,0,0,0,0,0,0,0,0,0,0,away,3,199,-150,130,1,100,0,1",
]


# mlb_sbr
MLB_SBR_HEADER = (
    "seas,date,v_rot,v_team,v_final,h_rot,h_team,h_final,v_ml_open,v_ml_close,v_rl,v_rl_odds,"
    "h_ml_open,h_ml_close,h_rl,h_rl_odds,ou_open,ou_open_ovr,ou_open_und,ou_close,ou_close_ovr,"
    "ou_close_und,neutral"
)
MLB_SBR_ROWS = [
    "2016,2016-04-24,963,MIA,1,964,COL,8,135,130,1.5,-150,-155,-150,-1.5,130,10,-110,-110,9.5,"
    "-115,-105,0",
    "2016,2016-04-24,981,MIA,4,982,COL,1,-108,-104,NA,NA,-112,-116,NA,NA,9.5,-114,-106,NA,NA,NA,0",
]


# nhl_sbr
NHL_SBR_HEADER = (
    "season,game_date,date_mmdd,rot,vh,team,p1,p2,p3,final,ml_open,ml_close,pl_line,pl_odds,"
    "pl_text,ou_open,ou_open_odds,ou_close,ou_close_odds,source_file"
)
NHL_SBR_GAME = [
    "2014-15,2014-10-08,1008,1,V,Philadelphia,1,2,0,3.0,140.0,130.0,1.5,-200.0,,5.5,-110.0,"
    "5.5,-105.0,x.xlsx",
    "2014-15,2014-10-08,1008,2,H,Boston,2,0,0,2.0,-160.0,-150.0,-1.5,170.0,,5.5,-110.0,5.5,"
    "-115.0,x.xlsx",
]
NHL_SBR_BUBBLE = [
    "2019-20,2020-09-28,928,51,N,Dallas,0,1,1,2.0,150.0,155.0,,,,5.5,-120.0,5.5,-125.0,x.xlsx",
    "2019-20,2020-09-28,928,52,N,TampaBay,1,1,0,5.0,-170.0,-175.0,,,,5.5,100.0,5.5,105.0,x.xlsx",
]


# fivethirtyeight
ELO_NFL = (
    "date,season,neutral,team1,team2,elo1_pre,elo2_pre,elo_prob1,elo_prob2,elo1_post,elo2_post,"
    "score1,score2"
)
ELO_NBA = ELO_NFL.replace("neutral,", "neutral,playoff,")
