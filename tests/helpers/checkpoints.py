"""Write tiny, random but well-formed model files for tests.

A real model is 46 MB; the converter's and validator's edge cases only need the *shape* of a
sentence-transformers checkpoint or a GGUF, so these are generated in milliseconds.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

TINY_VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "the",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "a",
    "is",
    "and",
    "##s",
    "##ing",
    ".",
    ",",
    "hello",
    "world",
    "search",
    "file",
    "run",
    "red",
    "blue",
    "green",
    "house",
    "car",
    "tree",
    "book",
    "paper",
    "note",
]


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for blob in blobs:
            fh.write(blob)


def write_tiny_bert(
    folder: Path,
    *,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    intermediate: int = 64,
    max_positions: int = 64,
    pooling: str = "mean",
    seed: int = 0,
) -> Path:
    """A complete sentence-transformers BERT folder with random weights."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "1_Pooling").mkdir(exist_ok=True)
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": intermediate,
        "max_position_embeddings": max_positions,
        "vocab_size": len(TINY_VOCAB),
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "vocab.txt").write_text("\n".join(TINY_VOCAB) + "\n")
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 48}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": hidden,
                "pooling_mode_mean_tokens": pooling == "mean",
                "pooling_mode_cls_token": pooling == "cls",
            }
        )
    )

    def w(*shape: int) -> np.ndarray:
        return rng.normal(0, 0.05, size=shape).astype(np.float32)

    tensors = {
        "embeddings.word_embeddings.weight": w(len(TINY_VOCAB), hidden),
        "embeddings.position_embeddings.weight": w(max_positions, hidden),
        "embeddings.token_type_embeddings.weight": w(2, hidden),
        "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for part in (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
        ):
            tensors[p + part + ".weight"] = w(hidden, hidden)
            tensors[p + part + ".bias"] = w(hidden)
        tensors[p + "attention.output.LayerNorm.weight"] = np.ones(hidden, np.float32)
        tensors[p + "attention.output.LayerNorm.bias"] = np.zeros(hidden, np.float32)
        tensors[p + "intermediate.dense.weight"] = w(intermediate, hidden)
        tensors[p + "intermediate.dense.bias"] = w(intermediate)
        tensors[p + "output.dense.weight"] = w(hidden, intermediate)
        tensors[p + "output.dense.bias"] = w(hidden)
        tensors[p + "output.LayerNorm.weight"] = np.ones(hidden, np.float32)
        tensors[p + "output.LayerNorm.bias"] = np.zeros(hidden, np.float32)
    tensors["pooler.dense.weight"] = w(hidden, hidden)
    tensors["pooler.dense.bias"] = w(hidden)
    write_safetensors(folder / "model.safetensors", tensors)
    return folder


def write_chat_gguf(path: Path) -> Path:
    """A tiny GGUF of a text-generation architecture (llama), as a chat model file would be."""
    import gguf

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny-chat")
    writer.add_context_length(128)
    writer.add_embedding_length(16)
    writer.add_block_count(1)
    writer.add_feed_forward_length(32)
    writer.add_head_count(2)
    writer.add_tokenizer_model("llama")
    writer.add_tensor("token_embd.weight", np.zeros((8, 16), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
