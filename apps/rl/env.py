"""The games as gymnasium environments: two players alternate in one env, observations are planes from the side
to move, ``info["action_mask"]`` lists the legal moves, and the reward goes to the player who just moved (+1 for
a winning move, 0 otherwise; an illegal move loses on the spot, -1, so random agents cannot crash an episode)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from .games import Game, make_game


class BoardGameEnv(gym.Env):
    metadata = {"render_modes": ["ansi"]}

    def __init__(self, game: str | Game = "tictactoe", render_mode: str | None = None):
        self.game = make_game(game) if isinstance(game, str) else game
        self.render_mode = render_mode
        p, (h, w) = self.game.num_planes, self.game.board_size
        self.observation_space = gym.spaces.Box(0.0, 1.0, (p, h, w), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(self.game.num_actions)
        self.state = self.game.initial()

    def _info(self) -> dict:
        return {"action_mask": self.game.legal_mask(self.state).astype(np.int8),
                "to_play": self.game.to_play(self.state)}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.state = self.game.initial()
        return self.game.planes(self.state), self._info()

    def step(self, action):
        action = int(action)
        if not self.game.legal_mask(self.state)[action]:
            return self.game.planes(self.state), -1.0, True, False, {**self._info(), "illegal": True}
        self.state = self.game.play(self.state, action)
        result = self.game.outcome(self.state)  # for the side now to move
        reward = 1.0 if result == -1.0 else 0.0
        return self.game.planes(self.state), reward, result is not None, False, self._info()

    def render(self):
        return self.game.render(self.state)
