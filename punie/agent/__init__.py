"""The Code-Mode agent: a model answers a question by writing a short Python program against
the typed tools; the program runs in a sandbox (:mod:`punie.agent.executor`), its output goes
back to the model, until it calls ``final_answer``. Model backends live in
:mod:`punie.agent.backends`, the prompt in :mod:`punie.agent.prompt`, reply parsing in
:mod:`punie.agent.parse`.
"""

from punie.agent.loop import CONSTRAIN, MAX_STEPS, MAX_TOKENS, Step, TurnResult, run_turn

__all__ = ["CONSTRAIN", "MAX_STEPS", "MAX_TOKENS", "Step", "TurnResult", "run_turn"]
