"""The course's lessons as tools, each a run over an app's trials: the learning-rate x batch-size grid
(``sweep``; ``tuning`` holds the grid parsing and the library-level search), gradient health by depth and
initialisation (``study``), the family leaderboard (``compare``), the translation of a trial into app arguments
(``trials``) and their pictures (``plots``). Lessons use the core and the runtime's app contract; the core never
imports them."""
