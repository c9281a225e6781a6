"""What GRPO saves over PPO in memory: the value network (critic) and, with rule-based rewards,
the reward model.

PPO for language models keeps four models: the policy and a value network, both trained, and a
frozen reference policy and reward model. GRPO drops the value network (the group mean is the
baseline) and, with rule-based rewards as in R1-Zero, needs no reward model either. The byte
counts per parameter are this book's assumptions, not DeepSeek's figures: a trained model with
mixed-precision Adam holds about 16 bytes per parameter (16-bit weights and gradients, 32-bit
master weights and two Adam moments), a frozen one 2 (16-bit weights). Activations, the
rollouts' KV cache and any sharding are left out: this counts the models only.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import validate

TRAINED_BYTES_PER_PARAM = 16   # book's assumption: 2 + 2 + 4 + 4 + 4 (weights, grads, master, m, v)
FROZEN_BYTES_PER_PARAM = 2     # book's assumption: 16-bit weights only


@dataclass(frozen=True)
class ModelMemory:
    """Bytes for the models one RL algorithm holds, by role."""

    roles: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.roles.values())


def rl_model_memory(n_params: float, algorithm: str, rule_rewards: bool = True,
                    critic_params: float | None = None,
                    trained_bytes: float = TRAINED_BYTES_PER_PARAM,
                    frozen_bytes: float = FROZEN_BYTES_PER_PARAM) -> ModelMemory:
    """Memory of the models of ``"ppo"`` or ``"grpo"`` for a policy of ``n_params`` parameters.

    ``critic_params`` defaults to the policy's size (a value network "of comparable size" as
    DeepSeekMath describes it); the reward model, when there is one, is taken to be the policy's
    size as well.
    """
    n = validate.positive("n_params", n_params)
    validate.choice("algorithm", algorithm, ("ppo", "grpo"))
    if not isinstance(rule_rewards, bool):
        raise TypeError(f"rule_rewards must be True or False, got {rule_rewards!r}")
    critic = n if critic_params is None else validate.positive("critic_params", critic_params)
    validate.positive("trained_bytes", trained_bytes)
    validate.positive("frozen_bytes", frozen_bytes)
    roles = {"policy (trained)": n * trained_bytes, "reference (frozen)": n * frozen_bytes}
    if algorithm == "ppo":
        roles["value network (trained)"] = critic * trained_bytes
    if not rule_rewards:
        roles["reward model (frozen)"] = n * frozen_bytes
    return ModelMemory(roles)
