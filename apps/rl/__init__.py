"""Board games by AlphaZero-style self-play: tic-tac-toe, Connect Four and chess, judged against real opponents."""
