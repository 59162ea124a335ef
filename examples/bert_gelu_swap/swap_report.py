"""Swap the GELUs of a tiny BERT for Mish, and see what was replaced and what was not.

    python examples/bert_gelu_swap/swap_report.py

Needs the transformers extra (no weights are downloaded: the model is built from a config).
"""

import torch
from transformers import BertConfig, BertForSequenceClassification

import actlab

config = BertConfig(vocab_size=12, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64, max_position_embeddings=32, num_labels=2)
model = BertForSequenceClassification(config).eval()
tokens = torch.randint(1, 12, (2, 17))

for site in actlab.activation_sites(model):
    print(site)
before = model(tokens).logits
report = actlab.swap_activations(model, "mish", where="GELU*", example_inputs=[tokens])
print(report)
after = model(tokens).logits
print(f"logits before {tuple(before.shape)}, after {tuple(after.shape)}, "
      f"finite: {bool(torch.isfinite(after).all())}")
