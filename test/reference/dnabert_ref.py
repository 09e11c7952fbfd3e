"""DNABERT v1 model reference: the fork's BertForMaskedLM (github jerryji1993/DNABERT,
src/transformers/modeling_bert.py, transformers 2.x): bert.* with token-type embeddings and the
pooler, cls.predictions.{transform,decoder,bias} with the decoder tied to the word embeddings,
and config.json as src/transformers/dnabert-config/bert-config-K ships it (no model_type).
Its encoder is Hugging Face's BertModel, which encoders.BertModel reproduces (post-LN, learned
absolute positions, token type 0, exact GELU). The tokenizer is dnabert_tokenizer_ref.py.
"""
import torch
from torch import nn

import encoders
from dnabert_tokenizer_ref import SPECIALS


def config(k, **kw):
    """bert-config-K/config.json's keys (no model_type: detected from "architectures")."""
    c = {"architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
         "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
         "intermediate_size": 3072, "max_position_embeddings": 512, "num_attention_heads": 12,
         "num_hidden_layers": 12, "type_vocab_size": 2, "vocab_size": 4 ** k + len(SPECIALS)}
    c.update(kw)
    return c


def bert_config_defaults(c):
    """What transformers' BertConfig fills in for keys config.json leaves out."""
    d = {"layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute"}
    d.update(c)
    return d


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])


class DnabertModel(encoders.BertModel):
    def __init__(self, c):
        super().__init__(c, mosaic=False)
        self.pooler = BertPooler(c)


class PredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class LMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = PredictionHeadTransform(c)
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.decoder.bias = self.bias


class OnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = LMPredictionHead(c)


class DnabertForMaskedLM(nn.Module):
    """The fork's BertForMaskedLM; forward returns the last hidden state (what varformer
    embeds). The decoder shares the word embeddings, as tie_weights() does."""

    def __init__(self, config_json):
        super().__init__()
        c = bert_config_defaults(config_json)
        self.bert = DnabertModel(c)
        self.cls = OnlyMLMHead(c)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, ids):
        return self.bert(ids)
